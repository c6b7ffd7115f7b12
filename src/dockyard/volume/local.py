"""The ``local`` volume driver: one directory per volume, driver options mounted on use.

On-disk layout (``root`` is ``<data-root>/volumes``)::

    <root>/
      <name>/
        _data/          the volume's data: the mountpoint containers bind; a volume with
                        driver options has them mounted here while any ref holds it
        opts.json       {"created": <unix>, "labels": {..}|null, "options": {..}|null}
        refs.json       ["<container id>", ...]; absent when no ref holds the volume
      .tmp-<hex>/       a create in progress: renamed to <name> once opts.json is written
      .trash-<hex>/     a remove in progress: renamed away first, deleted after

Every file is written atomically (temp + fsync + rename) and a volume directory appears by
one rename, so after a crash a volume is either complete or absent; ``.tmp-*`` and
``.trash-*`` leftovers are deleted when the driver opens. Names cannot start with ``.``,
so they never collide with those.

Refs are persisted because containers outlive the daemon (the monitor keeps them running):
a restarted daemon reads them back with :meth:`LocalVolumeDriver.refs` and calls
``unmount`` for containers that are gone. A volume whose options are mounted but which no
ref holds (a crash between the two) is unmounted at open. Whether the options are mounted
is read from the kernel's mount table, never remembered, so a host reboot (mounts gone,
refs still on disk) heals on the next ``mount``.

A volume is deleted only after nothing is mounted below it: deleting through a live bind
mount would delete the host directory it shows.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.errors import Conflict, DockyardError, InvalidParameter, NotFound
from dockyard.mount import Mount, mount_all, unmount_all
from dockyard.util.atomic import atomic_write, fsync_dir
from dockyard.util.ids import random_id
from dockyard.volume.base import (
    ANONYMOUS_LABEL,
    DEFAULT_DRIVER,
    Volume,
    in_use_message,
    no_such_volume,
)
from dockyard.volume.mountinfo import is_mountpoint, mounts_under
from dockyard.volume.validate import mount_for_options, validate_name, validate_options

__all__ = ["LocalVolumeDriver"]

log = logging.getLogger(__name__)

_DATA = "_data"
_OPTS = "opts.json"
_REFS = "refs.json"
_TMP = ".tmp-"
_TRASH = ".trash-"


@dataclass(slots=True)
class _Entry:
    volume: Volume
    refs: set[str] = field(default_factory=set)

    @property
    def mount(self) -> Mount | None:
        return mount_for_options(self.volume.options)


def _str_map(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    return {str(k): str(v) for k, v in dict(value).items()}


class LocalVolumeDriver:
    """Volumes as directories under ``root`` (see the module doc for the layout)."""

    name = DEFAULT_DRIVER

    def __init__(self, root: Path) -> None:
        self._root = Path(root)
        self._lock = threading.Lock()
        self._root.mkdir(mode=0o701, parents=True, exist_ok=True)
        self._volumes: dict[str, _Entry] = {}
        self._load()

    # -- restart --------------------------------------------------------------------------

    def _load(self) -> None:
        for child in sorted(self._root.iterdir()):
            if child.name.startswith((_TMP, _TRASH)):
                self._delete_tree(child)
                continue
            if not child.is_dir() or not (child / _OPTS).is_file():
                log.warning("ignoring %s: not a volume directory", child)
                continue
            try:
                entry = self._read_entry(child)
            except (OSError, ValueError, TypeError) as err:
                log.warning("ignoring volume %s: unreadable metadata: %s", child.name, err)
                continue
            if not entry.refs and entry.mount is not None:
                unmount_all(entry.volume.mountpoint, detach=True)
            self._volumes[child.name] = entry

    def _read_entry(self, vdir: Path) -> _Entry:
        doc = json.loads((vdir / _OPTS).read_bytes())
        volume = Volume(
            name=vdir.name,
            driver=self.name,
            mountpoint=vdir / _DATA,
            created_at=float(doc["created"]),
            labels=_str_map(doc.get("labels")),
            options=_str_map(doc.get("options")),
        )
        refs_path = vdir / _REFS
        refs = set(json.loads(refs_path.read_bytes())) if refs_path.exists() else set()
        return _Entry(volume, {str(r) for r in refs})

    # -- VolumeDriver ---------------------------------------------------------------------

    def create(
        self,
        name: str | None,
        labels: Mapping[str, str] | None = None,
        options: Mapping[str, str] | None = None,
    ) -> Volume:
        if not name:
            name = random_id()
            labels = {**(labels or {}), ANONYMOUS_LABEL: ""}
        else:
            validate_name(name)
        validate_options(name, options)
        with self._lock:
            existing = self._volumes.get(name)
            if existing is not None:
                stored = dict(existing.volume.options or {})
                if options and dict(options) != stored:
                    raise Conflict(
                        f"create {name}: volume {name!r} already exists with different "
                        f"driver options {stored}"
                    )
                return existing.volume
            volume = self._write_new(name, _str_map(labels), _str_map(options))
            self._volumes[name] = _Entry(volume)
            return volume

    def _write_new(
        self, name: str, labels: dict[str, str] | None, options: dict[str, str] | None
    ) -> Volume:
        tmp = self._root / f"{_TMP}{secrets.token_hex(8)}"
        created = time.time()
        try:
            tmp.mkdir(mode=0o701)
            (tmp / _DATA).mkdir(mode=0o755)
            doc = {"created": created, "labels": labels, "options": options}
            atomic_write(tmp / _OPTS, json.dumps(doc, sort_keys=True).encode(), mode=0o600)
            tmp.rename(self._root / name)
            fsync_dir(self._root)
        except OSError as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise DockyardError(f"create {name}: error while creating volume: {err}") from err
        return Volume(
            name=name,
            driver=self.name,
            mountpoint=self._root / name / _DATA,
            created_at=created,
            labels=labels,
            options=options,
        )

    def get(self, name: str) -> Volume:
        with self._lock:
            return self._entry(name).volume

    def list(self) -> list[Volume]:
        with self._lock:
            return [self._volumes[n].volume for n in sorted(self._volumes)]

    def refs(self, name: str) -> frozenset[str]:
        with self._lock:
            return frozenset(self._entry(name).refs)

    def remove(self, name: str, force: bool = False) -> None:
        with self._lock:
            entry = self._volumes.get(name)
            if entry is None:
                if force:
                    return
                raise NotFound(no_such_volume(name))
            if entry.refs:
                raise Conflict(in_use_message(name, frozenset(entry.refs)))
            vdir = self._root / name
            self._unmount_below(vdir)
            trash = self._root / f"{_TRASH}{secrets.token_hex(8)}"
            try:
                vdir.rename(trash)
                fsync_dir(self._root)
            except OSError as err:
                raise DockyardError(f"remove {name}: {err}") from err
            del self._volumes[name]
        self._delete_tree(trash)

    def mount(self, name: str, ref: str) -> Path:
        with self._lock:
            entry = self._entry(name)
            data = entry.volume.mountpoint
            m = entry.mount
            mounted_now = False
            if m is not None and not is_mountpoint(data):
                self._mount_options(m, data)
                mounted_now = True
            if ref not in entry.refs:
                try:
                    self._save_refs(name, entry.refs | {ref})
                except BaseException:
                    if mounted_now and not entry.refs:
                        unmount_all(data, detach=True)
                    raise
                entry.refs.add(ref)
            return data

    def unmount(self, name: str, ref: str) -> None:
        with self._lock:
            entry = self._entry(name)
            if ref not in entry.refs:
                return
            self._save_refs(name, entry.refs - {ref})
            entry.refs.discard(ref)
            if not entry.refs and entry.mount is not None:
                log.debug("unmounting volume %s: last ref %s left", name, ref)
                unmount_all(entry.volume.mountpoint, detach=True)

    def usage(self, name: str) -> int:
        data = self.get(name).mountpoint
        return _tree_size(data)

    # -- helpers --------------------------------------------------------------------------

    def _entry(self, name: str) -> _Entry:
        entry = self._volumes.get(name)
        if entry is None:
            raise NotFound(no_such_volume(name))
        return entry

    def _save_refs(self, name: str, refs: set[str]) -> None:
        path = self._root / name / _REFS
        if refs:
            atomic_write(path, json.dumps(sorted(refs)).encode(), mode=0o600)
        else:
            path.unlink(missing_ok=True)
            fsync_dir(path.parent)

    def _mount_options(self, m: Mount, data: Path) -> None:
        what = f"error while mounting volume '{data}': failed to mount local volume"
        if (m.type in ("none", "bind") or "bind" in m.options or "rbind" in m.options) and (
            not Path(m.source).exists()
        ):
            raise InvalidParameter(f"{what}: bind device {m.source!r} does not exist")
        try:
            mount_all([m], data)
        except DockyardError as err:
            raise DockyardError(f"{what}: {err}") from err

    def _unmount_below(self, vdir: Path) -> None:
        for point in mounts_under(vdir):
            unmount_all(point, detach=True)
        left = mounts_under(vdir)
        if left:
            raise DockyardError(f"remove {vdir.name}: still mounted at {', '.join(left)}")

    def _delete_tree(self, path: Path) -> None:
        """Delete ``path`` without ever descending into a mount below it."""
        try:
            self._unmount_below(path)
        except DockyardError as err:
            log.warning("not deleting %s: %s", path, err)
            return
        shutil.rmtree(path, ignore_errors=True)
        if path.exists():
            log.warning("could not delete all of %s; retried when the driver next opens", path)


def _tree_size(root: Path) -> int:
    """Docker's ``directory.Size``: sizes of non-directories, each inode counted once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    stack = [os.fspath(root)]
    while stack:
        try:
            it = os.scandir(stack.pop())
        except OSError:
            continue
        with it:
            for entry in it:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    continue
                key = (st.st_dev, st.st_ino)
                if st.st_size and key not in seen:
                    seen.add(key)
                    total += st.st_size
    return total
