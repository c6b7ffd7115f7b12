"""Timestamps in the shapes Docker's API uses."""

from __future__ import annotations

import datetime as _dt
import re

__all__ = ["parse_rfc3339", "rfc3339_nano", "utcnow_rfc3339"]

_FRACTION = re.compile(r"\.(\d+)")


def rfc3339_nano(ts: float) -> str:
    """``2026-11-23T01:02:03.123456789Z`` from a Unix time."""
    whole = int(ts)
    nanos = round((ts - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    base = _dt.datetime.fromtimestamp(whole, tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{nanos:09d}Z"


def utcnow_rfc3339() -> str:
    return rfc3339_nano(_dt.datetime.now(tz=_dt.UTC).timestamp())


def parse_rfc3339(text: str) -> float:
    """Unix time from an RFC 3339 string, keeping up to microseconds of the fraction."""
    if not text:
        return 0.0
    normalized = text.replace("Z", "+00:00")
    normalized = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), normalized, count=1)
    return _dt.datetime.fromisoformat(normalized).timestamp()
