"""``dockyard container inspect``: containers' JSON (``-s`` adds SizeRw/SizeRootFs)."""

from __future__ import annotations

from dockyard.cli.commands.image_inspect import INSPECT_FORMAT_HELP
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
        "Display detailed information on one or more containers",
        [
            Flag("format", "f", "str", INSPECT_FORMAT_HELP),
            Flag("size", "s", help="Display total file sizes"),
        ],
        min_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.commands.inspect import inspect_typed

    return inspect_typed(ctx, opts["format"], args, ["container"], opts["size"])
