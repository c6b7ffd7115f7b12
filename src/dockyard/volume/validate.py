"""Pure checks shared by every volume driver: names, driver options, and the Mount they mean.

Local volume names follow Docker's ``RestrictedNamePattern`` (the name is a directory under
the data root, so it must not be able to escape it). Driver options are ``mount(8)``'s:
``type`` (filesystem type, ``none`` for a bind), ``device`` (source) and ``o`` (comma
separated options); Docker requires ``type`` and ``device`` together, and both with ``o``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dockyard.errors import InvalidParameter
from dockyard.mount import Mount

__all__ = [
    "RESTRICTED_NAME_CHARS",
    "mount_for_options",
    "validate_name",
    "validate_options",
]

RESTRICTED_NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
_NAME = re.compile(RESTRICTED_NAME_CHARS + "+")
_VALID_OPTIONS = ("type", "device", "o")
# an option given needs these too (Docker's mandatoryOpts)
_REQUIRES: dict[str, tuple[str, ...]] = {
    "device": ("type",),
    "type": ("device",),
    "o": ("device", "type"),
}


def validate_name(name: str) -> None:
    """InvalidParameter, in Docker's words, for a name the local driver cannot store."""
    if len(name) == 1:
        raise InvalidParameter(
            f"create {name}: volume name is too short, names should be at least two "
            "alphanumeric characters"
        )
    if _NAME.fullmatch(name) is None:
        raise InvalidParameter(
            f'create {name}: "{name}" includes invalid characters for a local volume name, '
            f'only "{RESTRICTED_NAME_CHARS}" are allowed. If you intended to pass a host '
            "directory, use absolute path"
        )


def validate_options(name: str, options: Mapping[str, str] | None) -> None:
    """Unknown keys and incomplete type/device/o sets raise InvalidParameter."""
    if not options:
        return
    for key in sorted(options):
        if key not in _VALID_OPTIONS:
            raise InvalidParameter(f'create {name}: invalid option: "{key}"')
    for key in _VALID_OPTIONS:
        if key in options:
            for needed in _REQUIRES[key]:
                if needed not in options:
                    raise InvalidParameter(f'create {name}: missing required option: "{needed}"')


def mount_for_options(options: Mapping[str, str] | None) -> Mount | None:
    """The mount the options describe, or None for a plain directory volume.

    ``type=none,o=bind,device=/srv/x`` becomes a bind of ``/srv/x``;
    ``type=tmpfs,device=tmpfs,o=size=100m,uid=1000`` a tmpfs with that data string.
    """
    if not options or "device" not in options:
        return None
    opts = tuple(o for o in options.get("o", "").split(",") if o)
    return Mount(type=options.get("type", "none"), source=options["device"], options=opts)
