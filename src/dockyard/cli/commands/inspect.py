"""``dockyard inspect``: low-level information; images only for now."""

from __future__ import annotations

from dockyard.cli.commands.image_inspect import INSPECT_FORMAT_HELP, inspect_objects
from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run"]


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS] NAME|ID [NAME|ID...]",
        "Return low-level information on Docker objects",
        [
            Flag("format", "f", "str", INSPECT_FORMAT_HELP),
            Flag("size", "s", help="Display total file sizes if the type is container"),
            Flag("type", "", "str", "Only inspect objects of the given type"),
        ],
        min_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.context import CommandError

    if opts["type"] not in ("", "image"):
        raise CommandError(f'"{opts["type"]}" is not a valid value for --type')
    return inspect_objects(ctx, opts["format"], args, "/images/{name}/json")
