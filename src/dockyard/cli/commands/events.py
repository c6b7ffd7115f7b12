"""``dockyard events``: the daemon's event stream, one line per event as docker prints it."""

from __future__ import annotations

from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "event_line", "get_timestamp", "run"]

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS]",
        "Get real time events from the server",
        [
            Flag(
                "filter",
                "f",
                "list",
                "Filter output based on conditions provided",
                metavar="filter",
            ),
            Flag("format", "", "str", "Format output using a custom template"),
            Flag("since", "", "str", "Show all events created since timestamp"),
            Flag("until", "", "str", "Stream events until this timestamp"),
        ],
        max_args=0,
    )


def _duration(text: str) -> float | None:
    """Go's ``time.ParseDuration`` (``1h30m``, ``10m``, ``1.5s``), in seconds."""
    import re

    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNITS[u] for n, u in parts)


def get_timestamp(value: str, now: float) -> str:
    """Docker's ``timetypes.GetTimestamp``: durations count back from ``now``, dates become
    Unix seconds, and Unix timestamps pass through unchanged."""
    import datetime

    from dockyard.cli.context import CommandError

    seconds = _duration(value)
    if seconds is not None:
        return _unix(now - seconds)
    if value.replace(".", "", 1).isdigit():
        return value
    text = value.replace("Z", "+00:00")
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f'invalid value for "--since/--until": {value!r}', 125) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return _unix(moment.timestamp())


def _unix(ts: float) -> str:
    whole = int(ts // 1)
    return f"{whole}.{round((ts - whole) * 1e9):09d}"


def event_line(event: dict[str, Any]) -> str:
    import datetime

    nanos = int(event.get("timeNano") or 0) or int(event.get("time") or 0) * 1_000_000_000
    line = ""
    if nanos:
        moment = datetime.datetime.fromtimestamp(nanos // 1_000_000_000).astimezone()
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
        offset = moment.strftime("%z")
        zone = "Z" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}"
        line = f"{stamp}.{nanos % 1_000_000_000:09d}{zone} "
    actor = event.get("Actor") or {}
    line += f"{event.get('Type', '')} {event.get('Action', '')} {actor.get('ID', '')}"
    attrs = actor.get("Attributes") or {}
    if attrs:
        line += " (" + ", ".join(f"{k}={attrs[k]}" for k in sorted(attrs)) + ")"
    return line + "\n"


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.common import filters_json

    now = ctx.clock()
    query = {
        "since": get_timestamp(opts["since"], now) if opts["since"] else None,
        "until": get_timestamp(opts["until"], now) if opts["until"] else None,
        "filters": filters_json(opts["filter"]),
    }
    fmt: str = opts["format"]
    template = None
    if fmt:
        from dockyard.cli.output.formatter import compile_format

        template = compile_format(fmt)
    for event in ctx.client().stream_json("GET", "/events", query):
        ctx.write(event_line(event) if template is None else template.execute(event) + "\n")
        ctx.stdout.flush()
    return 0
