"""``dockyard load``: upload a tar (file or stdin) and print ``Loaded image: x``."""

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
        "[OPTIONS]",
        "Load an image from a tar archive or STDIN",
        [
            Flag("input", "i", "str", "Read from tar archive file, instead of STDIN"),
            Flag("quiet", "q", help="Suppress the load output"),
            Flag("platform", "", "list", "Load only the given platform(s)"),
        ],
        max_args=0,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.common import stream_messages
    from dockyard.cli.context import CommandError

    path: str = opts["input"]
    query = {"quiet": opts["quiet"] or None, "platform": opts["platform"] or None}
    client = ctx.client()
    if path:
        try:
            source = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            raise CommandError(f"open {path}: {(err.strerror or str(err)).lower()}") from err
        with source:
            response = client.upload("POST", "/images/load", source, query)
            stream_messages(ctx, _messages(response))
        return 0
    if ctx.stdin.isatty():
        raise CommandError("requested load from stdin, but stdin is empty")
    response = client.upload("POST", "/images/load", ctx.stdin, query)
    stream_messages(ctx, _messages(response))
    return 0


def _messages(response: Any) -> Any:
    from dockyard.client.jsonfast import loads

    try:
        for line in response.iter_lines():
            yield loads(line)
    finally:
        response.close()
