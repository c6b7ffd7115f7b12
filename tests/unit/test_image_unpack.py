"""Unpacking layers into snapshots keyed by chain id; a failure leaves nothing behind."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from dockyard.errors import DockyardError, InvalidParameter
from dockyard.image.importer import write_blob
from dockyard.image.store import ImageStore
from dockyard.image.unpack import Unpacker, chain_ids
from dockyard.metadata.db import Database
from dockyard.oci import mediatypes
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest
from dockyard.snapshot.native import NativeSnapshotter
from dockyard.testing.memory_content import MemoryContentStore


def layer(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class FailingCommit(NativeSnapshotter):
    """Commits ``allowed`` snapshots, then fails: a crash in the middle of an unpack."""

    allowed = 1

    def commit(self, name: str, key: str, labels: dict[str, str] | None = None) -> None:
        if self.allowed == 0:
            raise DockyardError("disk full")
        self.allowed -= 1
        super().commit(name, key, labels)


@pytest.fixture
def content() -> MemoryContentStore:
    return MemoryContentStore()


def blobs(content: MemoryContentStore, *tars: bytes) -> tuple[list[Descriptor], list[Digest]]:
    descs = [write_blob(content, t, mediatypes.OCI_LAYER)[0] for t in tars]
    return descs, [d.digest for d in descs]


def test_chain_id_of_first_layer_is_its_diff_id() -> None:
    a, b = Digest("sha256:" + "a" * 64), Digest("sha256:" + "b" * 64)
    expected = "sha256:" + hashlib.sha256(f"{a} {b}".encode()).hexdigest()
    assert chain_ids([a, b]) == [a, expected]


def test_unpack_reuses_an_existing_chain(tmp_path: Path, content: MemoryContentStore) -> None:
    store = ImageStore(Database(tmp_path / "db"))
    unpacker = Unpacker(store, content, NativeSnapshotter(tmp_path / "snap"))
    descs, diff_ids = blobs(content, layer("a", b"1"))
    first = unpacker.unpack(descs, diff_ids)
    second = unpacker.unpack(descs, diff_ids)
    assert first.created == (diff_ids[0],)
    assert second.created == ()
    assert second.top_chain == first.top_chain


def test_failed_unpack_removes_what_it_created(tmp_path: Path, content: MemoryContentStore) -> None:
    store = ImageStore(Database(tmp_path / "db"))
    snapshotter = FailingCommit(tmp_path / "snap")
    unpacker = Unpacker(store, content, snapshotter)
    descs, diff_ids = blobs(content, layer("a", b"1"), layer("b", b"2"))
    with pytest.raises(DockyardError, match="disk full"):
        unpacker.unpack(descs, diff_ids)
    assert list(snapshotter.walk()) == []
    assert store.layers() == []


def test_layer_not_matching_its_diff_id_is_rejected(
    tmp_path: Path, content: MemoryContentStore
) -> None:
    store = ImageStore(Database(tmp_path / "db"))
    snapshotter = NativeSnapshotter(tmp_path / "snap")
    unpacker = Unpacker(store, content, snapshotter)
    descs, _ = blobs(content, layer("a", b"1"))
    wrong = Digest("sha256:" + "0" * 64)
    with pytest.raises(InvalidParameter, match="does not match its diff_id"):
        unpacker.unpack(descs, [wrong])
    assert list(snapshotter.walk()) == []


def test_unpack_reads_layers_through_the_opener_before_they_are_in_the_store(
    tmp_path: Path, content: MemoryContentStore
) -> None:
    store = ImageStore(Database(tmp_path / "db"))
    snapshotter = NativeSnapshotter(tmp_path / "snap")
    tar = layer("hello.txt", b"hi")
    desc = write_blob(MemoryContentStore(), tar, mediatypes.OCI_LAYER)[0]  # not in `content`
    opened: list[Digest] = []

    def open_blob(digest: Digest) -> io.BytesIO:
        opened.append(digest)
        return io.BytesIO(tar)

    result = Unpacker(store, content, snapshotter).unpack(
        [desc], [desc.digest], verify=False, open_blob=open_blob
    )
    assert opened == [desc.digest]
    assert result.top_chain == desc.digest
    [info] = list(snapshotter.walk())
    assert info.name == desc.digest
