"""An in-memory VolumeDriver for daemon and API tests: the local driver's contract, no disk.

It passes ``tests/contract/test_volume_driver.py``. Differences from
:class:`~dockyard.volume.local.LocalVolumeDriver`, by design: mountpoints are paths that do
not exist, driver options are "mounted" by a flag (:meth:`MemoryVolumeDriver.is_mounted`),
and :meth:`~MemoryVolumeDriver.usage` reports what a test set with
:meth:`~MemoryVolumeDriver.set_usage` (0 otherwise).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.errors import Conflict, NotFound
from dockyard.util.ids import random_id
from dockyard.volume.base import (
    ANONYMOUS_LABEL,
    DEFAULT_DRIVER,
    Volume,
    in_use_message,
    no_such_volume,
)
from dockyard.volume.validate import mount_for_options, validate_name, validate_options

__all__ = ["MemoryVolumeDriver"]


@dataclass(slots=True)
class _Entry:
    volume: Volume
    refs: set[str] = field(default_factory=set)
    mounted: bool = False
    size: int = 0


class MemoryVolumeDriver:
    name = DEFAULT_DRIVER

    def __init__(self, root: Path = Path("/nonexistent/memory-volumes")) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._volumes: dict[str, _Entry] = {}

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
                if options and dict(options) != dict(existing.volume.options or {}):
                    raise Conflict(
                        f"create {name}: volume {name!r} already exists with different "
                        "driver options"
                    )
                return existing.volume
            volume = Volume(
                name=name,
                driver=self.name,
                mountpoint=self._root / name / "_data",
                created_at=time.time(),
                labels=None if labels is None else dict(labels),
                options=None if options is None else dict(options),
            )
            self._volumes[name] = _Entry(volume)
            return volume

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
            del self._volumes[name]

    def mount(self, name: str, ref: str) -> Path:
        with self._lock:
            entry = self._entry(name)
            if mount_for_options(entry.volume.options) is not None:
                entry.mounted = True
            entry.refs.add(ref)
            return entry.volume.mountpoint

    def unmount(self, name: str, ref: str) -> None:
        with self._lock:
            entry = self._entry(name)
            entry.refs.discard(ref)
            if not entry.refs:
                entry.mounted = False

    def usage(self, name: str) -> int:
        with self._lock:
            return self._entry(name).size

    # -- test hooks -----------------------------------------------------------------------

    def is_mounted(self, name: str) -> bool:
        """Whether the volume's driver options are mounted now."""
        with self._lock:
            return self._entry(name).mounted

    def set_usage(self, name: str, size: int) -> None:
        with self._lock:
            self._entry(name).size = size

    def _entry(self, name: str) -> _Entry:
        entry = self._volumes.get(name)
        if entry is None:
            raise NotFound(no_such_volume(name))
        return entry
