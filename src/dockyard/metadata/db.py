"""One sqlite database per data root, shared by every service of the daemon.

Why sqlite in WAL mode: readers never block the writer, every change is a transaction, and a
process killed mid-write (SIGKILL, crash) loses nothing that was committed — the daemon only
acknowledges an API call after its transaction committed. ``synchronous=NORMAL`` is durable
against process crashes, which is what the engine promises; a power cut may lose the last
transactions, never corrupt the file.

The connection is used from worker threads (``asyncio.to_thread``), so every use goes through
one lock; sqlite is fast enough that a single writer is not the bottleneck.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dockyard.errors import DockyardError
from dockyard.metadata.migrations import MIGRATIONS

__all__ = ["Database"]


class Database:
    """Thread-safe access to ``dockyard.db``; call :meth:`open` once, then use transactions."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.schema_version
        if current > len(MIGRATIONS):
            raise DockyardError(
                f"{self.path}: schema version {current} is newer than this Dockyard "
                f"understands ({len(MIGRATIONS)}); refusing to touch it"
            )
        for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.transaction() as tx:
                for statement in script:
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version={number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything inside commits together or not at all (BEGIN IMMEDIATE)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def close(self) -> None:
        with self._lock:
            self._conn.close()
