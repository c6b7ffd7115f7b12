"""Matching rules of the image ``filters`` (list and prune), as Docker applies them.

* ``reference``: Go's ``path.Match`` glob (``*`` stops at ``/``) against the familiar
  ``name:tag`` and then the familiar name alone;
* ``label``: ``key`` or ``key=value`` (all given must match), ``label!`` the negation;
* ``until``/``before``/``since``: a Unix time, an RFC 3339 / date string, or a Go duration
  (``10m``, ``1h30m``) counted back from now;
* ``dangling``: ``true``/``1`` or ``false``/``0``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from dockyard.errors import InvalidParameter
from dockyard.oci.reference import Reference
from dockyard.util.timefmt import parse_rfc3339

__all__ = [
    "dangling_filter",
    "labels_match",
    "parse_timestamp",
    "path_match",
    "reference_matches",
]

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H", "%Y-%m-%d")


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                raise InvalidParameter(f"invalid reference filter {pattern!r}: syntax error")
            body = pattern[i + 1 : end]
            if body.startswith("^"):
                body = "^" + body[1:].replace("\\", "\\\\")
            else:
                body = body.replace("\\", "\\\\")
            out.append(f"(?!/)[{body}]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def path_match(pattern: str, name: str) -> bool:
    """Go's ``path.Match``."""
    return _glob(pattern).match(name) is not None


def reference_matches(pattern: str, ref: Reference) -> bool:
    """Docker's ``FamiliarMatch``: the familiar string, then the familiar name."""
    return path_match(pattern, ref.familiar()) or path_match(pattern, ref.familiar_name)


def labels_match(labels: Mapping[str, str], specs: Sequence[str]) -> bool:
    """Every ``key`` / ``key=value`` in ``specs`` holds for ``labels``."""
    for spec in specs:
        key, sep, value = spec.partition("=")
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


def dangling_filter(values: Sequence[str]) -> bool | None:
    """None when absent; InvalidParameter in Docker's words for anything but a boolean."""
    if not values:
        return None
    wanted = {v.lower() for v in values}
    if wanted <= {"true", "1"}:
        return True
    if wanted <= {"false", "0"}:
        return False
    raise InvalidParameter(f"invalid filter 'dangling=[{' '.join(values)}]'")


def _duration(text: str) -> float | None:
    body = text.lstrip("+-")
    if not body or _DURATION_PART.sub("", body):
        return None
    total = sum(float(n) * _UNITS[u] for n, u in _DURATION_PART.findall(body))
    return -total if text.startswith("-") else total


def parse_timestamp(text: str, now: float) -> float:
    """Unix seconds for ``until``/``since``-style values (see module doc)."""
    value = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    duration = _duration(value)
    if duration is not None:
        return now - duration
    try:
        return parse_rfc3339(value)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return _dt.datetime.strptime(value, fmt).timestamp()
        except ValueError:
            continue
    raise InvalidParameter(f"failed to parse value as time or duration: {text!r}")
