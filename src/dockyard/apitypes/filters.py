"""The ``filters`` query parameter: JSON ``{"key": ["v", ...]}`` or the legacy map form."""

from __future__ import annotations

import json
from collections.abc import Iterable

from dockyard.errors import InvalidParameter

__all__ = ["Filters", "parse_filters", "validate_keys"]

Filters = dict[str, list[str]]


def parse_filters(text: str | None) -> Filters:
    """Accept ``{"k":["v"]}`` and the pre-1.23 ``{"k":{"v":true}}``; reject anything else."""
    if not text:
        return {}
    try:
        doc = json.loads(text)
    except ValueError as err:
        raise InvalidParameter(f"invalid filter: {err}") from err
    if not isinstance(doc, dict):
        raise InvalidParameter("invalid filter: expected a JSON object")
    out: Filters = {}
    for key, value in doc.items():
        if isinstance(value, list):
            out[str(key)] = [str(v) for v in value]
        elif isinstance(value, dict):
            out[str(key)] = [str(k) for k, enabled in value.items() if enabled]
        else:
            raise InvalidParameter(f"invalid filter '{key}': expected a list of values")
    return out


def validate_keys(filters: Filters, allowed: Iterable[str]) -> None:
    """Docker's message for a filter this endpoint does not know."""
    permitted = set(allowed)
    for key in filters:
        if key not in permitted:
            raise InvalidParameter(f"invalid filter '{key}'")
