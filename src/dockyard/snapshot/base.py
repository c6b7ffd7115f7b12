"""The Snapshotter contract (after containerd's).

Lifecycle::

    prepare(key, parent) -> ACTIVE snapshot, writable; mounts(key) describes it
    view(key, parent)    -> VIEW snapshot, read-only
    commit(name, key)    -> ACTIVE ``key`` becomes COMMITTED ``name`` (key is gone); only
                            committed snapshots can be parents
    remove(key)          -> Conflict while any snapshot names it as parent

``parent`` is "" for a snapshot on an empty filesystem. A key that exists already raises
Conflict (``prepare``/``view``/``commit``); an unknown key raises NotFound. Methods return
``list[Mount]`` and never mount anything themselves.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from dockyard.mount import Mount

__all__ = ["Info", "Kind", "Snapshotter", "Usage"]


class Kind(enum.Enum):
    VIEW = "view"
    ACTIVE = "active"
    COMMITTED = "committed"


@dataclass(frozen=True, slots=True)
class Info:
    name: str
    kind: Kind
    parent: str
    created: float
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Usage:
    size: int
    inodes: int


class Snapshotter(Protocol):
    def prepare(
        self, key: str, parent: str = "", labels: dict[str, str] | None = None
    ) -> list[Mount]: ...

    def view(
        self, key: str, parent: str = "", labels: dict[str, str] | None = None
    ) -> list[Mount]: ...

    def commit(self, name: str, key: str, labels: dict[str, str] | None = None) -> None: ...

    def mounts(self, key: str) -> list[Mount]: ...

    def stat(self, key: str) -> Info: ...

    def usage(self, key: str) -> Usage:
        """Disk used by this snapshot's own layer (not its parents)."""
        ...

    def remove(self, key: str) -> None: ...

    def walk(self) -> Iterator[Info]: ...
