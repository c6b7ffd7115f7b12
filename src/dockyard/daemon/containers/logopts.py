"""json-file log options (``--log-opt max-size=10m --log-opt max-file=3``), as Docker reads them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dockyard.errors import InvalidParameter

__all__ = ["LogOptions", "parse_log_options"]

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5}
_KNOWN = frozenset(
    {
        "max-size",
        "max-file",
        "compress",
        "labels",
        "env",
        "env-regex",
        "tag",
        "labels-regex",
        "mode",
        "max-buffer-size",
    }
)


@dataclass(frozen=True, slots=True)
class LogOptions:
    max_size: int | None = None
    max_file: int = 1


def parse_log_options(driver: str, opts: Mapping[str, str]) -> LogOptions:
    """Validate like dockerd: only json-file here; sizes are decimal (go-units FromHumanSize)."""
    if driver not in ("json-file", ""):
        raise InvalidParameter(f"logger: no log driver named '{driver}' is registered")
    for key in opts:
        if key not in _KNOWN:
            raise InvalidParameter(f"unknown log opt '{key}' for json-file log driver")
    max_size = None
    if opts.get("max-size"):
        match = _SIZE.match(opts["max-size"].strip())
        if match is None:
            raise InvalidParameter(f"invalid size: '{opts['max-size']}'")
        max_size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
        if max_size <= 0:
            max_size = None
    max_file = 1
    if opts.get("max-file"):
        try:
            max_file = int(opts["max-file"])
        except ValueError as err:
            raise InvalidParameter(f"invalid value for max-file: {opts['max-file']}") from err
        if max_file < 1:
            raise InvalidParameter("max-file cannot be less than 1")
        if max_file > 1 and max_size is None:
            raise InvalidParameter("max-file cannot be set without max-size")
    return LogOptions(max_size=max_size, max_file=max_file)
