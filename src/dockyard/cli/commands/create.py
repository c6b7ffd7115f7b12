"""``dockyard create``: the container is created (pulled if missing), its id printed."""

from __future__ import annotations

from dockyard.cli.flags import Command
from dockyard.cli.runflags import create_flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context
    from dockyard.cli.runopts import CreateSpec

__all__ = ["build_spec", "command", "run"]


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS] IMAGE [COMMAND] [ARG...]",
        "Create a new container",
        create_flags(),
        min_args=1,
        interspersed=False,
    )


def build_spec(ctx: Context, cmd: Command, opts: dict[str, Any], args: list[str]) -> CreateSpec:
    """The create request, with flag errors reported as docker does for ``cmd``."""
    import os

    from dockyard.cli.containers import with_help
    from dockyard.cli.context import CommandError
    from dockyard.cli.runopts import FlagValueError, OptionsError, build_create

    try:
        return build_create(opts, args, environ=ctx.environ, cwd=os.getcwd())
    except FlagValueError as err:
        raise cmd.fail(str(err)) from None
    except OptionsError as err:
        raise CommandError(with_help(str(err), cmd.path), 125) from None


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.containers import create_container

    cmd = command("create")
    spec = build_spec(ctx, cmd, opts, args)
    ctx.write(create_container(ctx, spec, "create") + "\n")
    return 0
