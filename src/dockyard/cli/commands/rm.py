"""``dockyard rm``: remove containers; with ``-f`` a missing one is reported, not fatal."""

from __future__ import annotations

from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run"]


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Remove one or more containers",
        [
            Flag("force", "f", help="Force the removal of a running container (uses SIGKILL)"),
            Flag("link", "l", help="Remove the specified link"),
            Flag("volumes", "v", help="Remove anonymous volumes associated with the container"),
        ],
        min_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.client.errors import ClientError

    client = ctx.client()
    query = {
        "v": opts["volumes"] or None,
        "link": opts["link"] or None,
        "force": opts["force"] or None,
    }
    failed = False
    for raw in args:
        name = raw.strip("/")
        if not name:
            ctx.stderr.write("Container name cannot be empty\n")
            failed = True
            continue
        try:
            client.request("DELETE", f"/containers/{name}", query).read()
        except ClientError as err:
            if err.status == 0:
                raise
            ctx.stderr.write(f"Error response from daemon: {err.message}\n")
            if not (opts["force"] and err.status == 404):
                failed = True
            continue
        ctx.write(f"{raw}\n")
    return 1 if failed else 0
