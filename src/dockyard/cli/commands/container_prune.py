"""``dockyard container prune``: remove all stopped containers after a prompt."""

from __future__ import annotations

from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["WARNING", "command", "run"]

WARNING = "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?"


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS]",
        "Remove all stopped containers",
        [
            Flag("filter", "", "list", 'Provide filter values (e.g. "until=<timestamp>")'),
            Flag("force", "f", help="Do not prompt for confirmation"),
        ],
        max_args=0,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.common import confirm, filters_json
    from dockyard.cli.output.units import human_size

    if not opts["force"] and not confirm(ctx, WARNING):
        return 0
    query = {"filters": filters_json(opts["filter"])}
    report = ctx.client().json("POST", "/containers/prune", query) or {}
    deleted = report.get("ContainersDeleted") or []
    if deleted:
        ctx.write("Deleted Containers:\n" + "".join(f"{cid}\n" for cid in deleted) + "\n")
    ctx.write(f"Total reclaimed space: {human_size(int(report.get('SpaceReclaimed') or 0))}\n")
    return 0
