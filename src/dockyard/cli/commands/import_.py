"""``dockyard import``: a filesystem tarball (file, ``-`` or URL) becomes a one-layer image."""

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
        "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
        "Import the contents from a tarball to create a filesystem image",
        [
            Flag("change", "c", "list", "Apply Dockerfile instruction to the created image"),
            Flag("message", "m", "str", "Set commit message for imported image"),
            Flag("platform", "", "str", "Set platform if server is multi-platform capable"),
        ],
        min_args=1,
        max_args=2,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.commands.load import _messages
    from dockyard.cli.commands.tag import split_target
    from dockyard.cli.common import stream_messages
    from dockyard.cli.context import CommandError

    source = args[0]
    query: list[tuple[str, str]] = []
    if len(args) == 2:
        repo, tag = split_target(args[1])
        query += [("repo", repo), ("tag", tag)]
    if opts["message"]:
        query.append(("message", opts["message"]))
    if opts["platform"]:
        query.append(("platform", opts["platform"]))
    query += [("changes", change) for change in opts["change"]]
    client = ctx.client()
    if "://" in source:
        query.insert(0, ("fromSrc", source))
        stream_messages(ctx, client.stream_json("POST", "/images/create", query))
        return 0
    query.insert(0, ("fromSrc", "-"))
    if source == "-":
        response = client.upload("POST", "/images/create", ctx.stdin, query)
    else:
        try:
            stream = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            raise CommandError(f"open {source}: {(err.strerror or str(err)).lower()}") from err
        with stream:
            response = client.upload("POST", "/images/create", stream, query)
            stream_messages(ctx, _messages(response))
        return 0
    stream_messages(ctx, _messages(response))
    return 0
