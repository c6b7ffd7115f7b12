"""``dockyard diff``: files changed in the container's filesystem (A/C/D lines)."""

from __future__ import annotations

from dockyard.cli.flags import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run"]

KINDS = {0: "C", 1: "A", 2: "D"}


def command(path: str) -> Command:
    return Command(
        path,
        "CONTAINER",
        "Inspect changes to files or directories on a container's filesystem",
        [],
        min_args=1,
        max_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    changes = ctx.client().json("GET", f"/containers/{args[0]}/changes") or []
    ctx.write("".join(f"{KINDS.get(c.get('Kind'), '?')} {c.get('Path', '')}\n" for c in changes))
    return 0
