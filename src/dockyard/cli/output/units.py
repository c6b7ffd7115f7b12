"""Sizes and durations in go-units' words (what the docker CLI prints)."""

from __future__ import annotations

__all__ = ["human_duration", "human_size", "since", "truncate_id"]

from dockyard.util.humanize import human_duration, human_size


def since(timestamp: float, now: float) -> str:
    """``2 hours ago``."""
    return human_duration(now - timestamp) + " ago"


def truncate_id(image_id: str) -> str:
    """Docker's ``stringid.TruncateID``: drop the algorithm, keep 12 hex digits."""
    return image_id.split(":", 1)[-1][:12]
