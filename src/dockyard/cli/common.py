"""Pieces several verbs share: the --format/--filter flags, filters on the wire, prompts."""

from __future__ import annotations

from dockyard.cli.context import CommandError
from dockyard.cli.flags import Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["confirm", "filter_flag", "filters_json", "format_flag", "stream_messages"]

TABLE_FORMAT_HELP = (
    "Format output using a custom template:\n"
    "'table':            Print output in table format with column headers (default)\n"
    "'table TEMPLATE':   Print output in table format using the given Go template\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template."
)


def format_flag(short: str = "") -> Flag:
    return Flag("format", short, "str", TABLE_FORMAT_HELP)


def filter_flag(help: str = "Filter output based on conditions provided") -> Flag:
    return Flag("filter", "f", "list", help, metavar="filter")


def filters_json(pairs: list[str], extra: dict[str, list[str]] | None = None) -> str | None:
    """``["a=b", "a=c"]`` -> Docker's ``{"a":{"b":true,"c":true}}``; None when empty."""
    table: dict[str, dict[str, bool]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise CommandError(f"bad format of filter (expected name=value): {pair}", 125)
        table.setdefault(key.strip().lower(), {})[value.strip()] = True
    for key, values in (extra or {}).items():
        for value in values:
            table.setdefault(key, {})[value] = True
    if not table:
        return None
    import json

    return json.dumps(table, separators=(",", ":"))


def confirm(ctx: Context, warning: str) -> bool:
    """Docker's prompt: ``<warning> [y/N] ``; only ``y``/``yes`` proceed."""
    ctx.write(f"{warning} [y/N] ")
    ctx.stdout.flush()
    answer = ctx.stdin.readline().decode("utf-8", "replace").strip().lower()
    return answer in ("y", "yes")


def stream_messages(ctx: Context, messages: Any) -> None:
    """Print a JSON-lines progress stream (``stream``/``status`` lines); raise its error."""
    from dockyard.client.errors import ClientError

    for message in messages:
        if not isinstance(message, dict):
            continue
        if message.get("error") or message.get("errorDetail"):
            detail = message.get("errorDetail") or {}
            raise ClientError(500, str(detail.get("message") or message.get("error")))
        if "stream" in message:
            ctx.write(str(message["stream"]))
        elif "status" in message:
            line = str(message["status"])
            if message.get("id"):
                line = f"{message['id']}: {line}"
            if message.get("progress"):
                line += f" {message['progress']}"
            ctx.write(line + "\n")
