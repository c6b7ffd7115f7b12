"""``dockyard commit``: a new image from a container's changes; prints the image id."""

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
        "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
        "Create a new image from a container's changes",
        [
            Flag(
                "author", "a", "str", 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")'
            ),
            Flag("change", "c", "list", "Apply Dockerfile instruction to the created image"),
            Flag("message", "m", "str", "Commit message"),
            Flag("pause", "p", help="Pause container during commit (default true)", default=True),
        ],
        min_args=1,
        max_args=2,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.commands.images import split_reference

    repo = tag = ""
    if len(args) == 2:
        repo, tag = split_reference(args[1])
        if "@" in args[1]:
            from dockyard.cli.context import CommandError

            raise CommandError("refusing to create a tag with a digest reference")
    query: list[tuple[str, str]] = [("container", args[0])]
    if repo:
        query.append(("repo", repo))
    if tag:
        query.append(("tag", tag))
    if opts["message"]:
        query.append(("comment", opts["message"]))
    if opts["author"]:
        query.append(("author", opts["author"]))
    query.append(("pause", "1" if opts["pause"] else "0"))
    query += [("changes", change) for change in opts["change"]]
    doc = ctx.client().json("POST", "/commit", query, {}) or {}
    ctx.write(f"{doc.get('Id', '')}\n")
    return 0
