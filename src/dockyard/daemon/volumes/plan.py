"""A container's mounts, decided once at create: what goes where, from which source (pure).

Sources, in Docker's precedence (a later one replaces an earlier one at the same
destination): the image's ``VOLUME``s and ``-v /path`` (``Config.Volumes``: anonymous
volumes), ``--volumes-from`` (the other container's mounts, ``:ro``/``:rw`` applied), then
``-v`` binds (``HostConfig.Binds``) and ``--mount`` (``HostConfig.Mounts``). Two binds or
mounts at one destination are ``Duplicate mount point: /x``.

``-v`` syntax: ``name:/dst[:opts]`` (named volume, created if missing) or ``/host:/dst[:opts]``
(bind; a missing host path is created as a directory, as Docker does), opts a comma list
of ``ro``/``rw``, ``z``/``Z`` (SELinux labels: accepted, no effect here), ``nocopy``, and a
propagation (``shared``, ``rslave``, ...). ``--mount type=bind`` with a missing source is an
error (``invalid mount config for type "bind": bind source path does not exist: /x``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from dockyard.apitypes.host_config import Mount
from dockyard.errors import InvalidParameter

__all__ = ["PlannedMount", "from_json", "plan_mounts", "to_json"]

PROPAGATIONS = ("shared", "rshared", "slave", "rslave", "private", "rprivate")
_MODES = ("ro", "rw", "z", "Z", "nocopy", *PROPAGATIONS)


@dataclass(frozen=True, slots=True)
class PlannedMount:
    """``type`` bind/volume/tmpfs; ``name`` "" for an anonymous volume not yet created;
    ``create_source``: a missing bind source is made (``-v``) rather than refused."""

    type: str
    destination: str
    source: str = ""
    name: str = ""
    rw: bool = True
    mode: str = ""
    propagation: str = ""
    nocopy: bool = False
    anonymous: bool = False
    copied: bool = False
    tmpfs_options: tuple[str, ...] = ()
    volume_options: dict[str, str] | None = None
    volume_labels: dict[str, str] | None = None
    create_source: bool = False


def to_json(mounts: Sequence[PlannedMount]) -> list[dict[str, Any]]:
    return [asdict(m) for m in mounts]


def from_json(doc: Iterable[dict[str, Any]]) -> list[PlannedMount]:
    out = []
    for raw in doc:
        raw = dict(raw)
        raw["tmpfs_options"] = tuple(raw.get("tmpfs_options") or ())
        out.append(PlannedMount(**raw))
    return out


def _clean(dst: str, spec: str) -> str:
    if not dst.startswith("/"):
        raise InvalidParameter(f"invalid volume specification: '{spec}'")
    return posixpath.normpath(dst)


def parse_bind(spec: str) -> PlannedMount:
    """One ``-v`` entry of ``HostConfig.Binds``."""
    parts = spec.split(":")
    if len(parts) < 2 or len(parts) > 3 or not parts[0] or not parts[1]:
        raise InvalidParameter(f"invalid volume specification: '{spec}'")
    src, dst = parts[0], _clean(parts[1], spec)
    opts = [o for o in (parts[2].split(",") if len(parts) == 3 else []) if o]
    for opt in opts:
        if opt not in _MODES:
            raise InvalidParameter(f"invalid mode: {opt}")
    rw = "ro" not in opts
    propagation = next((o for o in opts if o in PROPAGATIONS), "")
    mode = ",".join(opts)
    if src.startswith("/"):
        return PlannedMount(
            "bind", dst, source=posixpath.normpath(src), rw=rw, mode=mode,
            propagation=propagation or "rprivate", create_source=True,
        )  # fmt: skip
    return PlannedMount("volume", dst, name=src, rw=rw, mode=mode or "z", nocopy="nocopy" in opts)


def from_mount(m: Mount) -> PlannedMount:
    """One ``--mount`` (already shape-checked at create by apitypes)."""
    dst = _clean(m.target, m.target)
    if m.type == "bind":
        prop = m.bind_options.propagation if m.bind_options else ""
        return PlannedMount(
            "bind", dst, source=posixpath.normpath(m.source), rw=not m.read_only,
            propagation=prop or "rprivate",
        )  # fmt: skip
    if m.type == "volume":
        vo = m.volume_options
        driver_opts = vo.driver_config.options if vo and vo.driver_config else None
        return PlannedMount(
            "volume", dst, name=m.source, rw=not m.read_only, nocopy=bool(vo and vo.no_copy),
            anonymous=not m.source, volume_options=driver_opts,
            volume_labels=dict(vo.labels) if vo and vo.labels else None,
        )  # fmt: skip
    if m.type == "tmpfs":
        opts = ["nosuid", "nodev", "noexec"]
        if m.tmpfs_options and m.tmpfs_options.size_bytes:
            opts.append(f"size={m.tmpfs_options.size_bytes}")
        if m.tmpfs_options and m.tmpfs_options.mode:
            opts.append(f"mode={m.tmpfs_options.mode:o}")
        opts.append("ro" if m.read_only else "rw")
        return PlannedMount("tmpfs", dst, rw=not m.read_only, tmpfs_options=tuple(opts))
    raise InvalidParameter(f'invalid mount config for type "{m.type}": mount type unknown')


def with_volumes_from(mounts: Sequence[PlannedMount], mode: str) -> list[PlannedMount]:
    """Another container's mounts for ``--volumes-from x[:ro|rw]`` (tmpfs is not shared)."""
    if mode not in ("", "ro", "rw"):
        raise InvalidParameter(f"invalid mode: {mode}")
    out = []
    for m in mounts:
        if m.type == "tmpfs":
            continue
        out.append(m if not mode else replace(m, rw=mode == "rw"))
    return out


def plan_mounts(
    image_volumes: Iterable[str],
    volumes_from: Sequence[PlannedMount],
    binds: Iterable[str],
    mounts: Iterable[Mount],
) -> list[PlannedMount]:
    """Every mount of a new container, one per destination, in the order to mount them."""
    explicit: dict[str, PlannedMount] = {}
    for m in [*(parse_bind(b) for b in binds), *(from_mount(m) for m in mounts)]:
        if m.destination in explicit:
            raise InvalidParameter(f"Duplicate mount point: {m.destination}")
        explicit[m.destination] = m
    plan: dict[str, PlannedMount] = {}
    for dst in image_volumes:
        path = _clean(dst, dst)
        plan[path] = PlannedMount("volume", path, anonymous=True)
    for m in volumes_from:
        plan[m.destination] = m
    plan.update(explicit)
    return sorted(plan.values(), key=lambda m: m.destination.count("/"))
