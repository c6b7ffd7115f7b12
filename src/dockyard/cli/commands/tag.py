"""``dockyard tag SOURCE TARGET``."""

from __future__ import annotations

from dockyard.cli.flags import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run"]


def command(path: str) -> Command:
    return Command(
        path,
        "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
        "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
        [],
        min_args=2,
        max_args=2,
    )


def split_target(ref: str) -> tuple[str, str]:
    """Repository and tag of ``ref`` (``latest`` when none); digests are not tags."""
    slash, colon = ref.rfind("/"), ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :]
    return ref, "latest"


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.context import CommandError

    source, target = args
    if "@" in target:
        raise CommandError("refusing to create a tag with a digest reference")
    repo, tag = split_target(target)
    ctx.client().json("POST", f"/images/{source}/tag", {"repo": repo, "tag": tag})
    return 0
