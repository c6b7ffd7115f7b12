"""``dockyard stats``: live resource usage; ``--no-stream`` prints one sample per container."""

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
        "[OPTIONS] [CONTAINER...]",
        "Display a live stream of container(s) resource usage statistics",
        [
            Flag("all", "a", help="Show all containers (default shows just running)"),
            Flag("format", "", "str", "Format output using a custom template"),
            Flag("no-stream", help="Disable streaming stats and only pull the first result"),
            Flag("no-trunc", help="Do not truncate output"),
        ],
    )


def _render(ctx: Context, fmt: str, names: list[str], samples: dict[str, Any], trunc: bool) -> str:
    from dockyard.cli.output.formatter import render
    from dockyard.cli.output.stats import STATS_HEADERS, stats_row

    rows = [stats_row(name, samples.get(name), trunc) for name in names]
    return render(fmt, rows, STATS_HEADERS)


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.context import CommandError
    from dockyard.cli.output.stats import DEFAULT
    from dockyard.client.errors import ClientError

    client = ctx.client()
    fmt = opts["format"] or DEFAULT
    trunc = not opts["no_trunc"]
    names = list(args)
    if not names:
        listed = client.json("GET", "/containers/json", {"all": opts["all"] or None}) or []
        names = [str(c["Id"]) for c in listed]
    if opts["no_stream"]:
        samples: dict[str, Any] = {}
        errors = []
        for name in names:
            try:
                samples[name] = client.json("GET", f"/containers/{name}/stats", {"stream": False})
            except ClientError as err:
                if err.status == 0:
                    raise
                errors.append(f"Error response from daemon: {err.message}")
        if errors:
            raise CommandError("\n".join(errors))
        ctx.write(_render(ctx, fmt, names, samples, trunc))
        return 0
    return _stream(ctx, fmt, names, trunc)


def _stream(ctx: Context, fmt: str, names: list[str], trunc: bool) -> int:
    """One reader thread per container; the table is redrawn on every new sample."""
    import queue
    import threading

    updates: queue.Queue[tuple[str, Any]] = queue.Queue()

    def reader(name: str) -> None:
        try:
            for sample in (
                ctx.client()
                .fork()
                .stream_json("GET", f"/containers/{name}/stats", {"stream": True})
            ):
                updates.put((name, sample))
        except Exception:  # noqa: BLE001  (a gone container shows "--")
            pass
        updates.put((name, None))

    for name in names:
        threading.Thread(target=reader, args=(name,), daemon=True).start()
    samples: dict[str, Any] = {}
    live = set(names)
    clear = "\x1b[2J\x1b[H" if ctx.stdout.isatty() else ""
    while live:
        name, sample = updates.get()
        if sample is None:
            live.discard(name)
            continue
        samples[name] = sample
        ctx.write(clear + _render(ctx, fmt, names, samples, trunc))
        ctx.stdout.flush()
    return 0
