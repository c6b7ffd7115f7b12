"""``dockyard unpause``: thaw the processes of paused containers."""

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
        "Unpause all processes within one or more containers",
        [],
        min_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.containers import for_each

    client = ctx.client()
    return for_each(
        ctx, args, lambda name: client.request("POST", f"/containers/{name}/unpause").read()
    )
