"""ContentStore contract, run against every implementation (see content/base.py)."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dockyard.content.local import LocalContentStore
from dockyard.errors import Conflict, InvalidParameter, NotFound
from dockyard.oci.digest import Digest, compute
from dockyard.testing.memory_content import MemoryContentStore

Store = Any  # LocalContentStore | MemoryContentStore: both satisfy ContentStore + helpers

DATA = b"hello content store\n" * 100
DIGEST = compute(DATA)


@pytest.fixture(params=["local", "memory"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """A factory: calling it twice on the local store reopens the same root (a restart)."""
    if request.param == "local":
        return lambda: LocalContentStore(tmp_path / "content")
    store = MemoryContentStore()
    return lambda: store


@pytest.fixture
def store(make_store: Callable[[], Store]) -> Store:
    return make_store()


def put(store: Store, data: bytes, ref: str = "ref-1") -> Digest:
    w = store.writer(ref)
    w.write(data)
    digest: Digest = w.commit(len(data), compute(data))
    return digest


def test_committed_blob_is_readable_by_digest(store: Store) -> None:
    digest = put(store, DATA)
    assert digest == DIGEST
    with store.open(digest) as fh:
        assert fh.read() == DATA


def test_info_reports_size_of_committed_blob(store: Store) -> None:
    put(store, DATA)
    info = store.info(DIGEST)
    assert (info.digest, info.size) == (DIGEST, len(DATA))


def test_blob_is_invisible_until_commit(store: Store) -> None:
    w = store.writer("ref-1")
    w.write(DATA)
    with pytest.raises(NotFound):
        store.info(DIGEST)
    with pytest.raises(NotFound):
        store.open(DIGEST)
    assert list(store.walk()) == []
    w.abort()


def test_opened_blob_is_seekable(store: Store) -> None:
    put(store, DATA)
    with store.open(DIGEST) as fh:
        fh.seek(6)
        assert fh.read(7) == DATA[6:13]


def test_commit_with_wrong_digest_is_invalid_and_discards_ingest(store: Store) -> None:
    w = store.writer("ref-1")
    w.write(DATA)
    with pytest.raises(InvalidParameter, match="digest mismatch"):
        w.commit(len(DATA), compute(b"other"))
    assert list(store.ingests()) == []
    assert list(store.walk()) == []


def test_commit_with_wrong_size_is_invalid_and_discards_ingest(store: Store) -> None:
    w = store.writer("ref-1")
    w.write(DATA)
    with pytest.raises(InvalidParameter, match="size mismatch"):
        w.commit(len(DATA) + 1)
    assert list(store.ingests()) == []


def test_expected_digest_given_to_writer_is_checked_at_commit(store: Store) -> None:
    w = store.writer("ref-1", compute(b"other"))
    w.write(DATA)
    with pytest.raises(InvalidParameter, match="digest mismatch"):
        w.commit()


def test_committing_an_existing_digest_keeps_the_blob(store: Store) -> None:
    put(store, DATA, "a")
    assert put(store, DATA, "b") == DIGEST
    assert [i.digest for i in store.walk()] == [DIGEST]


def test_second_writer_on_same_ref_is_conflict(store: Store) -> None:
    w = store.writer("ref-1")
    with pytest.raises(Conflict):
        store.writer("ref-1")
    w.abort()


def test_writers_on_different_refs_do_not_conflict(store: Store) -> None:
    a, b = store.writer("a"), store.writer("b")
    a.write(b"x")
    b.write(b"y")
    assert a.commit() == compute(b"x")
    assert b.commit() == compute(b"y")


def test_closed_writer_is_resumed_at_its_offset(make_store: Callable[[], Store]) -> None:
    w = make_store().writer("ref-1")
    w.write(DATA[:100])
    w.close()
    store = make_store()  # for the local store: a fresh instance, as after a restart
    w2 = store.writer("ref-1")
    assert w2.offset == 100
    w2.write(DATA[100:])
    assert w2.commit(len(DATA), DIGEST) == DIGEST


def test_abort_removes_ingest_and_frees_ref(store: Store) -> None:
    w = store.writer("ref-1")
    w.write(DATA)
    w.abort()
    assert list(store.ingests()) == []
    w2 = store.writer("ref-1")
    assert w2.offset == 0
    w2.abort()


def test_ingests_lists_uncommitted_writes(store: Store) -> None:
    w = store.writer("ref-1")
    w.write(b"abc")
    [status] = store.ingests()
    assert (status.ref, status.active) == ("ref-1", True)
    w.close()
    [status] = store.ingests()
    assert (status.offset, status.active) == (3, False)
    store.abort("ref-1")


def test_store_abort_of_stale_ingest_removes_it(store: Store) -> None:
    w = store.writer("ref-1")
    w.write(b"abc")
    w.close()
    store.abort("ref-1")
    assert list(store.ingests()) == []


def test_store_abort_of_active_ingest_is_conflict(store: Store) -> None:
    w = store.writer("ref-1")
    with pytest.raises(Conflict):
        store.abort("ref-1")
    w.abort()


def test_store_abort_of_unknown_ref_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.abort("nope")


def test_delete_removes_blob(store: Store) -> None:
    put(store, DATA)
    store.delete(DIGEST)
    with pytest.raises(NotFound):
        store.info(DIGEST)


def test_delete_of_absent_blob_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.delete(DIGEST)


def test_walk_lists_every_committed_blob(store: Store) -> None:
    blobs = [b"one", b"two", b"three"]
    for i, data in enumerate(blobs):
        put(store, data, f"ref-{i}")
    assert sorted(i.digest for i in store.walk()) == sorted(compute(d) for d in blobs)


def test_write_after_commit_is_invalid(store: Store) -> None:
    w = store.writer("ref-1")
    w.write(b"x")
    w.commit()
    with pytest.raises(InvalidParameter):
        w.write(b"y")


def test_large_blob_written_in_chunks_has_streaming_digest(store: Store) -> None:
    chunks = [bytes([i]) * 300_000 for i in range(7)]
    w = store.writer("big")
    for c in chunks:
        w.write(memoryview(c))
    expected = hashlib.sha256(b"".join(chunks)).hexdigest()
    assert w.commit() == "sha256:" + expected


# --- local store specifics: the on-disk layout and crash behaviour -----------------------


def test_local_open_returns_a_real_file(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    put(store, DATA)
    with store.open(DIGEST) as fh:
        assert fh.fileno() >= 0
        assert not isinstance(fh, io.BytesIO)


def test_local_committed_blob_lives_under_blobs_sha256(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    put(store, DATA)
    path = tmp_path / "blobs" / "sha256" / DIGEST.split(":")[1]
    assert path.read_bytes() == DATA
    assert path.stat().st_mode & 0o222 == 0


def test_local_ingest_left_by_a_crash_is_resumed(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    w = store.writer("ref-1")
    w.write(DATA[:10])
    # simulate the process dying after its writes reached the file: its file and lock go
    # away without the writer's cleanup
    w._out.flush()
    os.close(w._fd)
    os.close(w._lock_fd)
    w._closed = True
    w2 = LocalContentStore(tmp_path).writer("ref-1")
    assert w2.offset == 10
    w2.write(DATA[10:])
    assert w2.commit() == DIGEST


def test_local_unknown_digest_algorithm_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        LocalContentStore(tmp_path).info(Digest("sha512:" + "a" * 128))
