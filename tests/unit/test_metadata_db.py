"""The metadata database: migrations, transactions, and durability across a SIGKILL."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.metadata.db import Database
from dockyard.metadata.migrations import MIGRATIONS


def test_new_database_is_migrated_to_latest(tmp_path: Path) -> None:
    db = Database(tmp_path / "d.db")
    assert db.schema_version == len(MIGRATIONS)
    assert db.query_one("SELECT name FROM sqlite_master WHERE name='images'") is not None
    db.close()


def test_reopening_keeps_rows(tmp_path: Path) -> None:
    db = Database(tmp_path / "d.db")
    with db.transaction() as tx:
        tx.execute("INSERT INTO images VALUES ('sha256:a','m','sha256:b',1,0,0,'')")
    db.close()
    again = Database(tmp_path / "d.db")
    assert [r["id"] for r in again.query("SELECT id FROM images")] == ["sha256:a"]
    again.close()


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    db = Database(tmp_path / "d.db")
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.execute("INSERT INTO images VALUES ('sha256:a','m','sha256:b',1,0,0,'')")
        raise RuntimeError("boom")
    assert db.query("SELECT id FROM images") == []
    db.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = Database(tmp_path / "d.db")
    with db.transaction() as tx:
        tx.execute(f"PRAGMA user_version={len(MIGRATIONS) + 5}")
    db.close()
    with pytest.raises(DockyardError, match="newer than this Dockyard"):
        Database(tmp_path / "d.db")


WRITER = """
import sys
from dockyard.metadata.db import Database
db = Database(sys.argv[1])
i = 0
while True:
    with db.transaction() as tx:
        tx.execute("INSERT INTO images VALUES (?, 'm', 'sha256:b', 1, 0, 0, '')", (f"id{i}",))
    print(i, flush=True)
    i += 1
"""


def test_sigkill_mid_write_loses_no_acknowledged_row(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    Database(path).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    acknowledged = -1
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= 300:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    db = Database(path)
    ids = {r["id"] for r in db.query("SELECT id FROM images")}
    db.close()
    assert {f"id{i}" for i in range(acknowledged + 1)} <= ids
