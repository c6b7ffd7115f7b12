"""``dockyard logs``: a container's output, demultiplexed to stdout/stderr unless TTY."""

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
        "Fetch the logs of a container",
        [
            Flag("details", help="Show extra details provided to logs"),
            Flag("follow", "f", help="Follow log output"),
            Flag("since", "", "str", "Show logs since timestamp or relative (e.g. 42m)"),
            Flag(
                "tail",
                "n",
                "str",
                'Number of lines to show from the end of the logs (default "all")',
                "all",
            ),
            Flag("timestamps", "t", help="Show timestamps"),
            Flag("until", "", "str", "Show logs before a timestamp or relative (e.g. 42m)"),
        ],
        min_args=1,
        max_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.commands.events import get_timestamp
    from dockyard.cli.containers import inspect_container
    from dockyard.client.stream import FrameDemuxer

    info = inspect_container(ctx, args[0])
    tty = bool((info.get("Config") or {}).get("Tty"))
    now = ctx.clock()
    query = {
        "stdout": True,
        "stderr": True,
        "since": get_timestamp(opts["since"], now) if opts["since"] else None,
        "until": get_timestamp(opts["until"], now) if opts["until"] else None,
        "timestamps": opts["timestamps"] or None,
        "follow": opts["follow"] or None,
        "tail": opts["tail"],
        "details": opts["details"] or None,
    }
    ctx.stdout.flush()
    ctx.stderr.flush()
    out, err = ctx.stdout.buffer, ctx.stderr.buffer
    demux = None if tty else FrameDemuxer()
    for chunk in ctx.client().stream_raw("GET", f"/containers/{args[0]}/logs", query):
        if demux is None:
            out.write(chunk)
            out.flush()
            continue
        for kind, payload in demux.feed(chunk):
            sink = err if kind == 2 else out
            sink.write(payload)
            sink.flush()
    return 0
