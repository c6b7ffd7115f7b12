"""``dockyard history``: the layers of an image, newest first."""

from __future__ import annotations

from dockyard.cli.common import format_flag
from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context
    from dockyard.cli.output.gotemplate import Struct

__all__ = ["command", "history_rows", "run"]

DEFAULT = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
NON_HUMAN = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
HEADERS = {
    "ID": "IMAGE",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "CreatedBy": "CREATED BY",
    "Size": "SIZE",
    "Comment": "COMMENT",
}


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS] IMAGE",
        "Show the history of an image",
        [
            format_flag(),
            Flag("human", "H", help="Print sizes and dates in human readable format", default=True),
            Flag("no-trunc", help="Don't truncate output"),
            Flag("quiet", "q", help="Only show image IDs"),
        ],
        min_args=1,
        max_args=1,
    )


def ellipsis(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def rfc3339(ts: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(ts).astimezone().isoformat().replace("+00:00", "Z")


def history_rows(items: list[dict[str, Any]], trunc: bool, human: bool, now: float) -> list[Struct]:
    from dockyard.cli.output.gotemplate import Struct
    from dockyard.cli.output.units import human_size, since, truncate_id

    rows = []
    for item in items:
        created = int(item.get("Created", 0))
        created_at = rfc3339(created)
        created_by = str(item.get("CreatedBy", "")).replace("\t", " ")
        size = int(item.get("Size", 0))
        image_id = str(item.get("Id", ""))
        created_since = created_at
        if human:
            created_since = "N/A" if created <= 0 else since(created, now)
        fields = {
            "ID": truncate_id(image_id) if trunc and image_id != "<missing>" else image_id,
            "CreatedSince": created_since,
            "CreatedAt": created_at,
            "CreatedBy": ellipsis(created_by, 45) if trunc else created_by,
            "Size": human_size(size, 3) if human else str(size),
            "Comment": str(item.get("Comment", "")),
        }
        rows.append(Struct("*image.historyContext", fields))
    return rows


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.output.formatter import render

    items = ctx.client().json("GET", f"/images/{args[0]}/history") or []
    fmt: str = opts["format"]
    if opts["quiet"]:
        fmt = "{{.ID}}"
    elif not fmt or fmt == "table":
        fmt = DEFAULT if opts["human"] else NON_HUMAN
    rows = history_rows(items, not opts["no_trunc"], opts["human"], ctx.clock())
    ctx.write(render(fmt, rows, HEADERS))
    return 0
