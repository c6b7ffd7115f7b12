"""``dockyard rmi`` / ``image rm``: prints ``Untagged:``/``Deleted:`` as the daemon reports."""

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
        "[OPTIONS] IMAGE [IMAGE...]",
        "Remove one or more images",
        [
            Flag("force", "f", help="Force removal of the image"),
            Flag("no-prune", help="Do not delete untagged parents"),
        ],
        min_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.client.errors import ClientError

    client = ctx.client()
    query = {"force": opts["force"] or None, "noprune": opts["no_prune"] or None}
    failures = []
    for name in args:
        try:
            report = client.json("DELETE", f"/images/{name}", query) or []
        except ClientError as err:
            if err.status == 0:
                raise
            failures.append(err.message)
            continue
        for entry in report:
            if entry.get("Untagged"):
                ctx.write(f"Untagged: {entry['Untagged']}\n")
            if entry.get("Deleted"):
                ctx.write(f"Deleted: {entry['Deleted']}\n")
    if failures:
        ctx.stderr.write("".join(f"Error response from daemon: {m}\n" for m in failures))
        return 125
    return 0
