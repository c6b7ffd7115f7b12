"""``network ls`` and ``network prune`` filters, as dockerd applies them (pure).

ls: ``driver`` (exact), ``id`` and ``name`` (equal, else a regular expression searched in
the value), ``label`` (``key`` / ``key=value``, all must hold), ``scope`` (``local``),
``type`` (``custom`` / ``builtin``), ``dangling`` (``true``: no container attached; the
predefined networks never count as dangling). prune: ``until``, ``label``, ``label!``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence

from dockyard.apitypes.filters import Filters, validate_keys
from dockyard.daemon.networks.records import NetworkRecord
from dockyard.errors import InvalidParameter
from dockyard.util.timefmt import parse_rfc3339

__all__ = ["LIST_FILTERS", "PRUNE_FILTERS", "list_matcher", "prune_matcher"]

LIST_FILTERS = ("dangling", "driver", "id", "label", "name", "scope", "type")
PRUNE_FILTERS = ("label", "label!", "until")


def _match(pattern: str, value: str) -> bool:
    if pattern == value:
        return True
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


def _labels_hold(labels: Mapping[str, str], specs: Sequence[str]) -> bool:
    for spec in specs:
        key, sep, value = spec.partition("=")
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


def _bool(key: str, values: Sequence[str]) -> bool:
    wanted = {v.lower() for v in values}
    if wanted <= {"true", "1"}:
        return True
    if wanted <= {"false", "0"}:
        return False
    raise InvalidParameter(f"invalid filter '{key}={' '.join(values)}'")


def list_matcher(filters: Filters) -> Callable[[NetworkRecord, bool], bool]:
    """``(record, has containers) -> shown``; bad filters raise InvalidParameter up front."""
    validate_keys(filters, LIST_FILTERS)
    for kind in filters.get("type", []):
        if kind not in ("custom", "builtin"):
            raise InvalidParameter(f"invalid filter: 'type'='{kind}'")
    dangling = _bool("dangling", filters["dangling"]) if filters.get("dangling") else None

    def ok(rec: NetworkRecord, used: bool) -> bool:
        f = filters
        if f.get("driver") and rec.driver not in f["driver"]:
            return False
        if f.get("id") and not any(_match(v, rec.id) for v in f["id"]):
            return False
        if f.get("name") and not any(_match(v, rec.name) for v in f["name"]):
            return False
        if f.get("label") and not _labels_hold(rec.labels, f["label"]):
            return False
        if f.get("scope") and "local" not in f["scope"]:
            return False
        if f.get("type") and ("builtin" if rec.builtin else "custom") not in f["type"]:
            return False
        if dangling is not None:
            is_dangling = not used and not rec.builtin
            if is_dangling != dangling:
                return False
        return True

    return ok


def _until(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_rfc3339(text)
    except ValueError as err:
        raise InvalidParameter(f"invalid filter 'until={text}'") from err


def prune_matcher(filters: Filters) -> Callable[[NetworkRecord], bool]:
    validate_keys(filters, PRUNE_FILTERS)
    untils = [_until(v) for v in filters.get("until", [])]
    now = time.time()

    def ok(rec: NetworkRecord) -> bool:
        if rec.builtin:
            return False
        if untils and not all(rec.created < min(u, now) for u in untils):
            return False
        if filters.get("label") and not _labels_hold(rec.labels, filters["label"]):
            return False
        return not (filters.get("label!") and _labels_hold(rec.labels, filters["label!"]))

    return ok
