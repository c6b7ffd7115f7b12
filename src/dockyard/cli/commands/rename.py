"""``dockyard rename``: give a container a new name."""

from __future__ import annotations

from dockyard.cli.flags import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run"]


def command(path: str) -> Command:
    return Command(path, "CONTAINER NEW_NAME", "Rename a container", [], min_args=2, max_args=2)


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.context import CommandError
    from dockyard.client.errors import ClientError

    old, new = args[0], args[1].strip()
    if not old or not new:
        raise CommandError("Error: Neither old nor new names may be empty")
    try:
        ctx.client().request("POST", f"/containers/{old}/rename", {"name": new}).read()
    except ClientError as err:
        if err.status == 0:
            raise
        raise CommandError(
            f"Error: failed to rename container named {old}: "
            f"Error response from daemon: {err.message}"
        ) from None
    return 0
