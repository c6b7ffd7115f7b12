"""``dockyard wait``: block until containers stop, print each exit code."""

from __future__ import annotations

from dockyard.cli.flags import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run"]


def command(path: str) -> Command:
    return Command(
        path,
        "CONTAINER [CONTAINER...]",
        "Block until one or more containers stop, then print their exit codes",
        [],
        min_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.client.errors import ClientError

    client = ctx.client()
    failed = False
    for name in args:
        try:
            doc = client.json("POST", f"/containers/{name}/wait") or {}
        except ClientError as err:
            if err.status == 0:
                raise
            ctx.stderr.write(f"Error response from daemon: {err.message}\n")
            failed = True
            continue
        ctx.write(f"{doc.get('StatusCode', 0)}\n")
    return 1 if failed else 0
