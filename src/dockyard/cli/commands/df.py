"""``dockyard system df``: disk usage by type, or per object with ``-v``."""

from __future__ import annotations

from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context
    from dockyard.cli.output.gotemplate import Struct

__all__ = ["command", "run", "summary_rows"]

DEFAULT = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
HEADERS = {
    "Type": "TYPE",
    "TotalCount": "TOTAL",
    "Active": "ACTIVE",
    "Size": "SIZE",
    "Reclaimable": "RECLAIMABLE",
}
VERBOSE_IMAGES = (
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    "\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}"
)
VERBOSE_VOLUMES = "table {{.Name}}\t{{.Links}}\t{{.Size}}"


def command(path: str) -> Command:
    from dockyard.cli.common import format_flag

    return Command(
        path,
        "[OPTIONS]",
        "Show docker disk usage",
        [format_flag(), Flag("verbose", "v", help="Show detailed information on space usage")],
        max_args=0,
    )


def _summary(kind: str, total: int, active: int, size: int, reclaimable: int) -> Struct:
    from dockyard.cli.output.gotemplate import Struct
    from dockyard.cli.output.units import human_size

    shown = human_size(reclaimable)
    if size > 0:
        shown += f" ({reclaimable * 100 // size}%)"
    return Struct(
        "*formatter.diskUsageContext",
        {
            "Type": kind,
            "TotalCount": str(total),
            "Active": str(active),
            "Size": human_size(size),
            "Reclaimable": shown,
        },
    )


def summary_rows(doc: dict[str, Any]) -> list[Struct]:
    """The four rows of the default table, computed as the docker CLI does."""
    images = doc.get("Images") or []
    layers = int(doc.get("LayersSize") or 0)
    used = sum(
        int(i.get("Size", 0)) - max(int(i.get("SharedSize", 0)), 0)
        for i in images
        if int(i.get("Containers", 0)) > 0
    )
    active_images = sum(1 for i in images if int(i.get("Containers", 0)) > 0)
    containers = doc.get("Containers") or []
    c_size = sum(int(c.get("SizeRw") or 0) for c in containers)
    running = [c for c in containers if c.get("State") in ("running", "paused", "restarting")]
    c_reclaim = c_size - sum(int(c.get("SizeRw") or 0) for c in running)
    volumes = doc.get("Volumes") or []
    usage = [v.get("UsageData") or {} for v in volumes]
    v_size = sum(max(int(u.get("Size", 0)), 0) for u in usage)
    v_active = sum(1 for u in usage if int(u.get("RefCount", 0)) > 0)
    v_reclaim = sum(max(int(u.get("Size", 0)), 0) for u in usage if int(u.get("RefCount", 0)) == 0)
    cache = doc.get("BuildCache") or []
    b_size = sum(int(b.get("Size", 0)) for b in cache if not b.get("Shared"))
    b_active = sum(1 for b in cache if b.get("InUse"))
    b_reclaim = sum(
        int(b.get("Size", 0)) for b in cache if not b.get("InUse") and not b.get("Shared")
    )
    return [
        _summary("Images", len(images), active_images, layers, max(layers - used, 0)),
        _summary("Containers", len(containers), len(running), c_size, c_reclaim),
        _summary("Local Volumes", len(volumes), v_active, v_size, v_reclaim),
        _summary("Build Cache", len(cache), b_active, b_size, b_reclaim),
    ]


def _verbose(ctx: Context, doc: dict[str, Any]) -> None:
    from dockyard.cli.commands.images import HEADERS as IMAGE_HEADERS
    from dockyard.cli.commands.images import image_rows
    from dockyard.cli.output.formatter import render
    from dockyard.cli.output.gotemplate import Struct
    from dockyard.cli.output.units import human_size

    ctx.write("Images space usage:\n\n")
    rows = image_rows(doc.get("Images") or [], True, False, ctx.clock())
    ctx.write(render(VERBOSE_IMAGES, rows, IMAGE_HEADERS))
    ctx.write("\nContainers space usage:\n\n")
    ctx.write(
        "CONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES\n"
    )
    ctx.write("\nLocal Volumes space usage:\n\n")
    volumes = []
    for vol in doc.get("Volumes") or []:
        usage = vol.get("UsageData") or {}
        size = int(usage.get("Size", -1))
        fields = {
            "Name": str(vol.get("Name", "")),
            "Links": "N/A" if usage.get("RefCount", -1) == -1 else str(usage.get("RefCount")),
            "Size": "N/A" if size == -1 else human_size(size),
        }
        volumes.append(Struct("*formatter.volumeContext", fields))
    ctx.write(
        render(VERBOSE_VOLUMES, volumes, {"Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"})
    )
    total = sum(int(b.get("Size", 0)) for b in doc.get("BuildCache") or [])
    ctx.write(f"\nBuild cache usage: {human_size(total)}\n\n")
    ctx.write("CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n")


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.output.formatter import render

    doc = ctx.client().json("GET", "/system/df") or {}
    fmt: str = opts["format"]
    if opts["verbose"] and (not fmt or fmt == "table"):
        _verbose(ctx, doc)
        return 0
    ctx.write(render(DEFAULT if not fmt or fmt == "table" else fmt, summary_rows(doc), HEADERS))
    return 0
