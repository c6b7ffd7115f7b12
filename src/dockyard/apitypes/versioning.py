"""API versions: what we advertise and the checks Docker applies to a ``/v1.xx`` prefix."""

from __future__ import annotations

from dockyard.errors import InvalidParameter

__all__ = ["MAX_VERSION", "MIN_VERSION", "check_version", "version_tuple"]

MIN_VERSION = "1.24"
MAX_VERSION = "1.45"


def version_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError as err:
        raise InvalidParameter(f"invalid API version {text!r}") from err


def check_version(requested: str) -> None:
    """Raise Docker's 400 messages for a version outside MIN..MAX."""
    wanted = version_tuple(requested)
    if wanted > version_tuple(MAX_VERSION):
        raise InvalidParameter(
            f"client version {requested} is too new. Maximum supported API version is {MAX_VERSION}"
        )
    if wanted < version_tuple(MIN_VERSION):
        raise InvalidParameter(
            f"client version {requested} is too old. Minimum supported API version is "
            f"{MIN_VERSION}, please upgrade your client to a newer version"
        )
