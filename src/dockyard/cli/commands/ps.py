"""``dockyard ps`` / ``container ls``: docker's container table, ``-q`` short ids."""

from __future__ import annotations

from dockyard.cli.common import filter_flag, format_flag
from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["DEFAULT", "command", "run"]

DEFAULT = (
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
)


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS]",
        "List containers",
        [
            Flag("all", "a", help="Show all containers (default shows just running)"),
            filter_flag(),
            format_flag(),
            Flag("last", "n", "int", "Show n last created containers (includes all states)", -1),
            Flag("latest", "l", help="Show the latest created container (includes all states)"),
            Flag("no-trunc", help="Don't truncate output"),
            Flag("quiet", "q", help="Only display container IDs"),
            Flag("size", "s", help="Display total file sizes"),
        ],
        max_args=0,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.common import filters_json
    from dockyard.cli.output.containers import PS_HEADERS, container_row
    from dockyard.cli.output.formatter import render

    fmt: str = opts["format"]
    limit = opts["last"]
    if opts["latest"] and limit == -1:
        limit = 1
    size = opts["size"] or ".Size" in fmt
    if opts["quiet"] and not fmt:
        fmt = "{{.ID}}"
        size = False
    elif not fmt or fmt == "table":
        fmt = "{{.ID}}" if opts["quiet"] else DEFAULT + ("\t{{.Size}}" if size else "")
    query = {
        "all": opts["all"] or None,
        "limit": limit if limit > 0 else None,
        "size": size or None,
        "filters": filters_json(opts["filter"]),
    }
    summaries = ctx.client().json("GET", "/containers/json", query) or []
    now = ctx.clock()
    rows = [container_row(s, not opts["no_trunc"], now) for s in summaries]
    ctx.write(render(fmt, rows, PS_HEADERS))
    return 0
