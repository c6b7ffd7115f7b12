"""``dockyard top``: the container's processes (``ps`` arguments pass through)."""

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
        "CONTAINER [ps OPTIONS]",
        "Display the running processes of a container",
        [],
        min_args=1,
        interspersed=False,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.output.tabwriter import align

    query = {"ps_args": " ".join(args[1:]) or None}
    doc = ctx.client().json("GET", f"/containers/{args[0]}/top", query) or {}
    lines = ["\t".join(doc.get("Titles") or [])]
    lines += ["\t".join(row) for row in doc.get("Processes") or []]
    ctx.write(align("\n".join(lines) + "\n", 20, 3))
    return 0
