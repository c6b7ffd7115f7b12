"""``dockyard restart``: stop (as ``stop`` does) and start again."""

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
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Restart one or more containers",
        [
            Flag("signal", "s", "str", "Signal to send to the container"),
            Flag("time", "t", "int", "Seconds to wait before killing the container", optional=True),
        ],
        min_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.containers import for_each

    client = ctx.client()
    query = {"signal": opts["signal"] or None, "t": opts["time"]}
    verb = "restart"
    return for_each(
        ctx, args, lambda name: client.request("POST", f"/containers/{name}/{verb}", query).read()
    )
