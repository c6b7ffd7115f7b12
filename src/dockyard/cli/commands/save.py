"""``dockyard save``: the daemon's docker-archive tar to a file or a redirected stdout."""

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
        "[OPTIONS] IMAGE [IMAGE...]",
        "Save one or more images to a tar archive (streamed to STDOUT by default)",
        [
            Flag("output", "o", "str", "Write to a file, instead of STDOUT"),
            Flag("platform", "", "list", "Save only the given platform(s)"),
        ],
        min_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    import os
    from pathlib import Path

    from dockyard.cli.context import CommandError

    output: str = opts["output"]
    if not output and ctx.stdout.isatty():
        raise CommandError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
    query: list[tuple[str, str]] = [("names", name) for name in args]
    query += [("platform", p) for p in opts["platform"]]
    chunks = ctx.client().stream_raw("GET", "/images/get", query)
    if not output:
        ctx.stdout.flush()
        sink = ctx.stdout.buffer
        for chunk in chunks:
            sink.write(chunk)
        sink.flush()
        return 0
    temp = Path(f"{output}.dockyard-tmp-{os.getpid()}")
    try:
        with temp.open("wb") as sink:
            for chunk in chunks:
                sink.write(chunk)
        temp.replace(output)
    except OSError as err:
        raise CommandError(f"failed to save image: {err}") from err
    finally:
        temp.unlink(missing_ok=True)
    return 0
