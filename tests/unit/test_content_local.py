"""LocalWriter beyond the store contract: the running digest the archive reader relies on."""

from __future__ import annotations

import errno
import os
from concurrent.futures import Future
from pathlib import Path

import pytest

from dockyard.content import local
from dockyard.content.local import LocalContentStore
from dockyard.oci.digest import compute


def test_writer_digest_is_the_digest_commit_names_the_blob(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    data = os.urandom(20 << 20)  # past several writeback strides
    writer = store.writer("ref")
    for start in range(0, len(data), 3 << 20):
        writer.write(data[start : start + (3 << 20)])
    assert writer.digest() == compute(data)
    assert writer.commit(len(data), compute(data)) == compute(data)
    with store.open(compute(data)) as fh:
        assert fh.read() == data


def test_resumed_writer_digest_covers_the_bytes_written_before(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    with store.writer("ref") as first:
        first.write(b"hello ")
    resumed = store.writer("ref")
    resumed.write(b"world")
    assert resumed.digest() == compute(b"hello world")
    resumed.abort()


def test_deleted_big_blob_is_gone_at_once_and_can_be_stored_again(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    data = os.urandom(9 << 20)  # big enough to be freed by the reaper thread
    writer = store.writer("ref")
    writer.write(data)
    digest = writer.commit(len(data))
    store.delete(digest)
    assert not store.blob_path(digest).exists()
    assert list(store.walk()) == []
    again = store.writer("ref-2")
    again.write(data)
    assert again.commit(len(data)) == digest
    with store.open(digest) as fh:
        assert fh.read() == data


def test_background_sync_error_fails_the_writer_and_nothing_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_sync(fd: int) -> Future[None]:
        future: Future[None] = Future()
        future.set_exception(OSError(errno.EIO, "I/O error"))
        return future

    monkeypatch.setattr(local, "sync_in_background", failing_sync)
    store = LocalContentStore(tmp_path)
    data = os.urandom(40 << 20)  # past several background syncs
    writer = store.writer("ref")
    with pytest.raises(OSError, match="I/O error"):  # at the next write or the commit
        for start in range(0, len(data), 1 << 20):
            writer.write(data[start : start + (1 << 20)])
        writer.commit(len(data))
    writer.abort()  # what a caller does on any error
    assert not store.blob_path(compute(data)).exists()
    assert list(store.ingests()) == []
