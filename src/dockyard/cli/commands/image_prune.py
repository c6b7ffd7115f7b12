"""``dockyard image prune``: remove dangling (or, with -a, unused) images after a prompt."""

from __future__ import annotations

from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run"]

ALL_WARNING = (
    "WARNING! This will remove all images without at least one container associated to them.\n"
    "Are you sure you want to continue?"
)
DANGLING_WARNING = (
    "WARNING! This will remove all dangling images.\nAre you sure you want to continue?"
)


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS]",
        "Remove unused images",
        [
            Flag("all", "a", help="Remove all unused images, not just dangling ones"),
            Flag("filter", "", "list", 'Provide filter values (e.g. "until=<timestamp>")'),
            Flag("force", "f", help="Do not prompt for confirmation"),
        ],
        max_args=0,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.common import confirm, filters_json
    from dockyard.cli.output.units import human_size

    warning = ALL_WARNING if opts["all"] else DANGLING_WARNING
    if not opts["force"] and not confirm(ctx, warning):
        return 0
    dangling = "false" if opts["all"] else "true"
    filters = filters_json(opts["filter"], {"dangling": [dangling]})
    report = ctx.client().json("POST", "/images/prune", {"filters": filters}) or {}
    deleted = report.get("ImagesDeleted") or []
    if deleted:
        lines = ["Deleted Images:"]
        for entry in deleted:
            if entry.get("Untagged"):
                lines.append(f"untagged: {entry['Untagged']}")
            else:
                lines.append(f"deleted: {entry.get('Deleted', '')}")
        ctx.write("\n".join(lines) + "\n\n")
    ctx.write(f"Total reclaimed space: {human_size(int(report.get('SpaceReclaimed') or 0))}\n")
    return 0
