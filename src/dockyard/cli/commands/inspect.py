"""``dockyard inspect``: any object by name; without ``--type`` a container, then an image
(docker's order), ``Error: No such object: x`` when neither exists."""

from __future__ import annotations

from dockyard.cli.commands.image_inspect import INSPECT_FORMAT_HELP, print_inspected
from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "inspect_typed", "run"]

PATHS = {"container": "/containers/{name}/json", "image": "/images/{name}/json"}
TYPES = frozenset("config container image network node plugin secret service task volume".split())


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


def inspect_typed(ctx: Context, fmt: str, names: list[str], kinds: list[str], size: bool) -> int:
    """Look each name up as each kind in turn; a 404 moves on, other errors are kept."""
    from dockyard.client.errors import ClientError

    client = ctx.client()
    found: list[Any] = []
    errors: list[str] = []
    for name in names:
        error = f"Error: No such object: {name}"
        for kind in kinds:
            query = {"size": True} if size and kind == "container" else None
            try:
                found.append(client.json("GET", PATHS[kind].format(name=name), query))
            except ClientError as err:
                if err.status == 0:
                    raise
                if len(kinds) == 1 or err.status != 404:
                    error = f"Error response from daemon: {err.message}"
                    break
                continue
            error = ""
            break
        if error:
            errors.append(error)
    return print_inspected(ctx, fmt, found, errors)


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.context import CommandError

    kind = opts["type"]
    if kind and kind not in TYPES:
        raise CommandError(f'"{kind}" is not a valid value for --type')
    if kind and kind not in PATHS:
        raise CommandError(f"dockyard does not manage {kind} objects yet")
    kinds = [kind] if kind else ["container", "image"]
    return inspect_typed(ctx, opts["format"], args, kinds, opts["size"])
