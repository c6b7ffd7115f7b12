"""Wire shapes of the volume routes, and the pure ``filters`` matching of list and prune.

This module sits below ``dockyard.volume`` (L0), so it reads volumes through the
:class:`VolumeLike` protocol, which ``dockyard.volume.base.Volume`` satisfies; the daemon
passes driver records straight in.

Shapes, as dockerd sends them::

    Volume      {"CreatedAt": "2026-11-23T01:02:03Z", "Driver", "Labels", "Mountpoint",
                 "Name", "Options", "Scope", ["Status"], ["UsageData": {"Size", "RefCount"}]}
    list        {"Volumes": [...], "Warnings": null}
    prune       {"VolumesDeleted": [...], "SpaceReclaimed": n}

``Labels``/``Options`` are ``null`` when the creator sent none and ``{}`` when it sent an
empty object (the docker CLI sends ``{}``, docker-py and implicit creates send nothing).
``Status`` is only for inspect and only when the driver has one; ``UsageData`` only for
``/system/df``.

Filters (Docker's rules; an unknown key is ``invalid filter '<key>'``):

* list: ``dangling`` (``true``/``1``: no container uses it; ``false``/``0``: in use),
  ``driver`` (exact), ``name`` (exact, else a regular expression searched in the name, so
  a plain word matches a substring), ``label`` (``key`` / ``key=value``, all must hold);
* prune: ``label``, ``label!`` (excluded when all of them hold), ``all``. Prune only ever
  considers unused ``local`` volumes without driver options; since API 1.42 only anonymous
  ones unless ``all=true`` (older clients always get ``all``).
"""

# wf() returns a dataclasses.field (with a default or default_factory), not a shared value.
# ruff: noqa: RUF009

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from dockyard.apitypes.filters import Filters, validate_keys
from dockyard.apitypes.gojson import decode, wf
from dockyard.apitypes.versioning import MAX_VERSION, version_tuple
from dockyard.errors import InvalidParameter, NotFound

__all__ = [
    "ANONYMOUS_LABEL",
    "LIST_FILTERS",
    "PRUNE_FILTERS",
    "ListFilter",
    "PruneFilter",
    "PruneReport",
    "VolumeCreateRequest",
    "VolumeLike",
    "VolumeUsage",
    "create_request_from_wire",
    "format_created",
    "list_to_wire",
    "parse_list_filters",
    "parse_prune_filters",
    "prune_to_wire",
    "volume_to_wire",
]

ANONYMOUS_LABEL = "com.docker.volume.anonymous"
LIST_FILTERS = ("dangling", "driver", "label", "name")
PRUNE_FILTERS = ("all", "label", "label!")
_DRIVERS = frozenset({"local"})
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


class VolumeLike(Protocol):
    """What the wire needs of a volume (``dockyard.volume.base.Volume`` fits)."""

    @property
    def name(self) -> str: ...
    @property
    def driver(self) -> str: ...
    @property
    def mountpoint(self) -> os.PathLike[str]: ...
    @property
    def created_at(self) -> float: ...
    @property
    def labels(self) -> Mapping[str, str] | None: ...
    @property
    def options(self) -> Mapping[str, str] | None: ...
    @property
    def scope(self) -> str: ...


@dataclass(frozen=True, slots=True)
class VolumeUsage:
    """``UsageData`` of ``/system/df``; -1 means "not available", as in Docker."""

    size: int = -1
    ref_count: int = -1


@dataclass(frozen=True, slots=True)
class PruneReport:
    deleted: tuple[str, ...] = ()
    space_reclaimed: int = 0


def format_created(ts: float) -> str:
    """RFC 3339 to the second, as Docker's ``time.RFC3339`` (in UTC: ``...Z``)."""
    return _dt.datetime.fromtimestamp(int(ts), tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def volume_to_wire(
    v: VolumeLike,
    *,
    usage: VolumeUsage | None = None,
    status: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "CreatedAt": format_created(v.created_at),
        "Driver": v.driver,
        "Labels": None if v.labels is None else dict(v.labels),
        "Mountpoint": os.fspath(v.mountpoint),
        "Name": v.name,
        "Options": None if v.options is None else dict(v.options),
        "Scope": v.scope,
    }
    if status:
        out["Status"] = dict(status)
    if usage is not None:
        out["UsageData"] = {"Size": usage.size, "RefCount": usage.ref_count}
    return out


def list_to_wire(volumes: Iterable[VolumeLike], warnings: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "Volumes": [volume_to_wire(v) for v in volumes],
        "Warnings": list(warnings) if warnings else None,
    }


def prune_to_wire(report: PruneReport) -> dict[str, Any]:
    return {"VolumesDeleted": list(report.deleted), "SpaceReclaimed": report.space_reclaimed}


# -- create ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VolumeCreateRequest:
    """``POST /volumes/create``; ``name`` "" asks for an anonymous volume."""

    name: str = wf("Name", "string")
    driver: str = wf("Driver", "string")
    driver_opts: dict[str, str] | None = wf("DriverOpts", "map[string]string")
    labels: dict[str, str] | None = wf("Labels", "map[string]string")


def create_request_from_wire(doc: Any, drivers: frozenset[str] = _DRIVERS) -> VolumeCreateRequest:
    """Decode with Go's rules; ``Driver`` "" means ``local``; an unknown driver is NotFound
    in Docker's words (``error looking up volume plugin x: plugin "x" not found``)."""
    req = decode(VolumeCreateRequest, doc, "CreateOptions")
    driver = req.driver or "local"
    if driver not in drivers:
        prefix = f"create {req.name}: " if req.name else ""
        raise NotFound(
            f'{prefix}error looking up volume plugin {driver}: plugin "{driver}" not found'
        )
    return VolumeCreateRequest(req.name, driver, req.driver_opts, req.labels)


# -- filters --------------------------------------------------------------------------------


def _labels_hold(labels: Mapping[str, str] | None, specs: Sequence[str]) -> bool:
    """Docker's ``MatchKVList``: every ``key`` / ``key=value`` in ``specs`` holds."""
    if not specs:
        return True
    if not labels:
        return False
    for spec in specs:
        key, sep, value = spec.partition("=")
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


def _name_matches(pattern: str, name: str) -> bool:
    """Docker's ``Args.Match``: equal, or the pattern (a regexp) found in the name."""
    if pattern == name:
        return True
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


@dataclass(frozen=True, slots=True)
class ListFilter:
    """``GET /volumes`` filters, parsed and checked once; ``matches`` is pure."""

    dangling: bool | None = None
    drivers: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    def matches(self, v: VolumeLike, in_use: bool) -> bool:
        """``in_use``: any container (running or not) references the volume."""
        if self.drivers and v.driver not in self.drivers:
            return False
        if self.names and not any(_name_matches(p, v.name) for p in self.names):
            return False
        if not _labels_hold(v.labels, self.labels):
            return False
        return self.dangling is None or self.dangling != in_use


def _dangling(values: Sequence[str]) -> bool:
    wanted = {v.lower() for v in values}
    is_true = bool(wanted & {"1", "true"})
    is_false = bool(wanted & {"0", "false"})
    if is_true == is_false:
        raise InvalidParameter(f"invalid filter 'dangling=[{' '.join(sorted(values))}]'")
    return is_true


def parse_list_filters(filters: Filters) -> ListFilter:
    validate_keys(filters, LIST_FILTERS)
    dangling = _dangling(filters["dangling"]) if "dangling" in filters else None
    return ListFilter(
        dangling=dangling,
        drivers=tuple(filters.get("driver", ())),
        names=tuple(filters.get("name", ())),
        labels=tuple(filters.get("label", ())),
    )


@dataclass(frozen=True, slots=True)
class PruneFilter:
    """``POST /volumes/prune`` filters; ``matches`` says whether to delete a volume."""

    all: bool = False
    labels: tuple[str, ...] = ()
    not_labels: tuple[str, ...] = ()

    def matches(self, v: VolumeLike, in_use: bool) -> bool:
        if in_use or v.driver != "local" or v.options:
            return False
        if not self.all and not (v.labels is not None and ANONYMOUS_LABEL in v.labels):
            return False
        if not _labels_hold(v.labels, self.labels):
            return False
        return not (self.not_labels and _labels_hold(v.labels, self.not_labels))


def _prune_all(values: Sequence[str]) -> bool:
    if len(values) > 1:
        raise InvalidParameter(
            f"invalid filter 'all=[{' '.join(values)}]': only one value is expected"
        )
    if not values:
        return False
    if values[0] in _GO_TRUE:
        return True
    if values[0] in _GO_FALSE:
        return False
    raise InvalidParameter(
        f"invalid filter 'all': strconv.ParseBool: parsing \"{values[0]}\": invalid syntax"
    )


def parse_prune_filters(filters: Filters, api_version: str = MAX_VERSION) -> PruneFilter:
    """Clients older than API 1.42 prune every unused volume, not only anonymous ones."""
    validate_keys(filters, PRUNE_FILTERS)
    everything = _prune_all(filters.get("all", []))
    if version_tuple(api_version) < (1, 42):
        everything = True
    return PruneFilter(
        all=everything,
        labels=tuple(filters.get("label", ())),
        not_labels=tuple(filters.get("label!", ())),
    )
