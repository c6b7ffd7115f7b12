"""What overlay and native snapshotters share: the metadata database and the directory tree.

Layout (``root`` is ``<data-root>/snapshots`` for overlay, ``.../native`` for native)::

    root/
    ├── metadata.db              sqlite: key -> id, kind, parent key, labels, created
    └── snapshots/
        └── <id>/
            ├── fs/              the snapshot's own files (overlay: its upperdir;
            │                    native: a full copy of the tree)
            └── work/            overlay workdir (overlay only)

Why ids: a key is a caller's name (a chain id, a container id) and changes on ``commit``,
while the directory must not move under a mounted overlay; ``id`` is never reused
(AUTOINCREMENT), so a directory left by a crash can never be mistaken for a live snapshot.

Crash safety: a snapshot's row and its directory are created in one sqlite transaction that
commits only after the directory exists; removal deletes the row first and the directory
after. Whatever a crash leaves is a directory without a row, which :meth:`cleanup` removes.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import Conflict, InvalidParameter, NotFound
from dockyard.mount import Mount
from dockyard.snapshot.base import Info, Kind, Usage

__all__ = ["DirSnapshotter", "MetaStore", "Record", "disk_usage"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    key     TEXT NOT NULL UNIQUE,
    kind    TEXT NOT NULL,
    parent  TEXT NOT NULL,
    labels  TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots(parent);
"""


@dataclass(frozen=True, slots=True)
class Record:
    id: int
    info: Info


class MetaStore:
    """The sqlite side of a snapshotter; thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @staticmethod
    def _record(row: tuple[int, str, str, str, str, float]) -> Record:
        id_, key, kind, parent, labels, created = row
        return Record(id_, Info(key, Kind(kind), parent, created, json.loads(labels)))

    def _get(self, key: str) -> Record | None:
        row = self._db.execute(
            "SELECT id, key, kind, parent, labels, created FROM snapshots WHERE key = ?", (key,)
        ).fetchone()
        return self._record(row) if row else None

    def get(self, key: str) -> Record:
        with self._lock:
            rec = self._get(key)
        if rec is None:
            raise NotFound(f"snapshot {key}: not found")
        return rec

    def chain(self, key: str) -> list[Record]:
        """``key``'s record then its parents, newest first."""
        out = [self.get(key)]
        while out[-1].info.parent:
            out.append(self.get(out[-1].info.parent))
        return out

    def create(
        self,
        key: str,
        kind: Kind,
        parent: str,
        labels: dict[str, str] | None,
        populate: Callable[[int], None],
    ) -> Record:
        """Insert ``key`` and run ``populate(id)`` before the row commits (see module doc)."""
        if not key:
            raise InvalidParameter("snapshot key must not be empty")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._get(key) is not None:
                    raise Conflict(f"snapshot {key}: already exists")
                if parent:
                    p = self._get(parent)
                    if p is None:
                        raise NotFound(f"parent snapshot {parent}: not found")
                    if p.info.kind is not Kind.COMMITTED:
                        raise InvalidParameter(f"parent snapshot {parent} is not committed")
                created = time.time()
                cur = self._db.execute(
                    "INSERT INTO snapshots(key, kind, parent, labels, created) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (key, kind.value, parent, json.dumps(labels or {}), created),
                )
                assert cur.lastrowid is not None
                rec = Record(cur.lastrowid, Info(key, kind, parent, created, dict(labels or {})))
                populate(rec.id)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return rec

    def commit(self, name: str, key: str, labels: dict[str, str] | None) -> Record:
        """Rename ACTIVE ``key`` to COMMITTED ``name``, keeping its id (and directory)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rec = self._get(key)
                if rec is None:
                    raise NotFound(f"snapshot {key}: not found")
                if rec.info.kind is not Kind.ACTIVE:
                    raise InvalidParameter(
                        f"snapshot {key} is {rec.info.kind.value}; only active ones commit"
                    )
                if self._get(name) is not None:
                    raise Conflict(f"snapshot {name}: already exists")
                new_labels = rec.info.labels if labels is None else labels
                self._db.execute(
                    "UPDATE snapshots SET key = ?, kind = ?, labels = ? WHERE id = ?",
                    (name, Kind.COMMITTED.value, json.dumps(new_labels), rec.id),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        info = Info(name, Kind.COMMITTED, rec.info.parent, rec.info.created, dict(new_labels))
        return Record(rec.id, info)

    def remove(self, key: str) -> Record:
        """Delete ``key``'s row; Conflict while another snapshot names it as parent."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rec = self._get(key)
                if rec is None:
                    raise NotFound(f"snapshot {key}: not found")
                child = self._db.execute(
                    "SELECT key FROM snapshots WHERE parent = ? LIMIT 1", (key,)
                ).fetchone()
                if child:
                    raise Conflict(
                        f"snapshot {key} has children (e.g. {child[0]}); remove them first"
                    )
                self._db.execute("DELETE FROM snapshots WHERE id = ?", (rec.id,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return rec

    def walk(self) -> Iterator[Info]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, key, kind, parent, labels, created FROM snapshots ORDER BY id"
            ).fetchall()
        for row in rows:
            yield self._record(row).info

    def ids(self) -> set[int]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM snapshots")}


def disk_usage(path: Path) -> Usage:
    """Blocks (``st_blocks * 512``) and inodes under ``path``, each hard-linked inode once."""
    seen: set[tuple[int, int]] = set()
    size = 0
    stack = [os.fspath(path)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                st = entry.stat(follow_symlinks=False)
                key = (st.st_dev, st.st_ino)
                if key in seen:
                    continue
                seen.add(key)
                size += st.st_blocks * 512
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
    return Usage(size=size, inodes=len(seen))


class DirSnapshotter:
    """The parts of a directory-per-snapshot snapshotter that do not depend on how layers
    stack; subclasses say how a new snapshot is populated and how it is mounted."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        (self.root / "snapshots").mkdir(parents=True, exist_ok=True)
        self._meta = MetaStore(self.root / "metadata.db")

    # --- hooks -------------------------------------------------------------------------

    def _populate(self, dir_: Path, parent: Record | None, kind: Kind) -> None:
        raise NotImplementedError

    def _mounts(self, chain: list[Record]) -> list[Mount]:
        raise NotImplementedError

    # --- shared ------------------------------------------------------------------------

    def _dir(self, id_: int) -> Path:
        return self.root / "snapshots" / str(id_)

    def _fs(self, id_: int) -> Path:
        return self._dir(id_) / "fs"

    def _create(
        self, key: str, parent: str, labels: dict[str, str] | None, kind: Kind
    ) -> list[Mount]:
        def populate(id_: int) -> None:
            d = self._dir(id_)
            if d.exists():  # left by a crash before its row committed
                shutil.rmtree(d)
            try:
                d.mkdir()
                self._populate(d, self._meta.get(parent) if parent else None, kind)
            except BaseException:
                shutil.rmtree(d, ignore_errors=True)
                raise

        self._meta.create(key, kind, parent, labels, populate)
        return self.mounts(key)

    def prepare(
        self, key: str, parent: str = "", labels: dict[str, str] | None = None
    ) -> list[Mount]:
        return self._create(key, parent, labels, Kind.ACTIVE)

    def view(self, key: str, parent: str = "", labels: dict[str, str] | None = None) -> list[Mount]:
        return self._create(key, parent, labels, Kind.VIEW)

    def commit(self, name: str, key: str, labels: dict[str, str] | None = None) -> None:
        self._meta.commit(name, key, labels)

    def mounts(self, key: str) -> list[Mount]:
        chain = self._meta.chain(key)
        if chain[0].info.kind is Kind.COMMITTED:
            raise Conflict(
                f"snapshot {key} is committed and cannot be mounted; prepare or view a child"
            )
        return self._mounts(chain)

    def stat(self, key: str) -> Info:
        return self._meta.get(key).info

    def usage(self, key: str) -> Usage:
        return disk_usage(self._fs(self._meta.get(key).id))

    def remove(self, key: str) -> None:
        rec = self._meta.remove(key)
        shutil.rmtree(self._dir(rec.id), ignore_errors=True)

    def walk(self) -> Iterator[Info]:
        return self._meta.walk()

    def cleanup(self) -> list[Path]:
        """Remove snapshot directories no row names (crash leftovers); return them."""
        live = self._meta.ids()
        removed = []
        for d in (self.root / "snapshots").iterdir():
            if not (d.name.isdigit() and int(d.name) in live):
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
        return removed

    def close(self) -> None:
        self._meta.close()
