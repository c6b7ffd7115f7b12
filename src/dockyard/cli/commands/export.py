"""``dockyard export``: the container's filesystem as a tar, to ``-o`` or redirected stdout."""

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
        "[OPTIONS] CONTAINER",
        "Export a container's filesystem as a tar archive",
        [Flag("output", "o", "str", "Write to a file, instead of STDOUT")],
        min_args=1,
        max_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    import os
    from pathlib import Path

    from dockyard.cli.context import CommandError

    output: str = opts["output"]
    if not output and ctx.stdout.isatty():
        raise CommandError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
    chunks = ctx.client().stream_raw("GET", f"/containers/{args[0]}/export")
    if not output:
        ctx.stdout.flush()
        for chunk in chunks:
            ctx.stdout.buffer.write(chunk)
        ctx.stdout.buffer.flush()
        return 0
    temp = Path(f"{output}.dockyard-tmp-{os.getpid()}")
    try:
        with temp.open("wb") as sink:
            for chunk in chunks:
                sink.write(chunk)
        temp.replace(output)
    except OSError as err:
        raise CommandError(f"failed to export container: {err}") from err
    finally:
        temp.unlink(missing_ok=True)
    return 0
