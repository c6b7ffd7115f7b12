"""ImageStore: Docker's lookup of a user's image name, tags, and blob/layer bookkeeping."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import InvalidParameter, NotFound
from dockyard.image.store import (
    ImageRecord,
    ImageStore,
    LayerRecord,
    repo_tag_reference,
)
from dockyard.metadata.db import Database
from dockyard.oci import mediatypes
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest, compute
from dockyard.oci.reference import parse

ID_A = compute(b"config a")
ID_B = compute(b"config b")
MANIFEST = compute(b"manifest")


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    return ImageStore(Database(tmp_path / "db"))


def record(image_id: Digest, top_chain: str = "") -> ImageRecord:
    target = Descriptor(mediatypes.OCI_MANIFEST, MANIFEST, 10)
    return ImageRecord(id=image_id, target=target, created=1.0, size=5, top_chain=top_chain)


def add(store: ImageStore, image_id: Digest, *names: str) -> None:
    store.add(record(image_id), [image_id, MANIFEST], [parse(n) for n in names])


def test_resolve_by_name_uses_default_tag(store: ImageStore) -> None:
    add(store, ID_A, "busybox:latest")
    assert store.resolve("busybox").id == ID_A


def test_resolve_by_full_name(store: ImageStore) -> None:
    add(store, ID_A, "busybox:1.36")
    assert store.resolve("docker.io/library/busybox:1.36").id == ID_A


def test_resolve_by_full_id_with_and_without_algorithm(store: ImageStore) -> None:
    add(store, ID_A)
    assert store.resolve(ID_A).id == ID_A
    assert store.resolve(ID_A.removeprefix("sha256:")).id == ID_A


def test_resolve_by_short_id_prefix(store: ImageStore) -> None:
    add(store, ID_A)
    hex_id = ID_A.removeprefix("sha256:")
    assert store.resolve(hex_id[:1]).id == ID_A
    assert store.resolve("sha256:" + hex_id[:5]).id == ID_A


def test_ambiguous_prefix_is_rejected(store: ImageStore) -> None:
    add(store, ID_A)
    add(store, ID_B)
    common = ""
    for x, y in zip(ID_A[7:], ID_B[7:], strict=True):
        if x != y:
            break
        common += x
    if not common:
        with pytest.raises(NotFound):
            store.resolve("zzz")
        return
    with pytest.raises(InvalidParameter, match="multiple IDs"):
        store.resolve(common)


def test_resolve_by_name_at_digest(store: ImageStore) -> None:
    add(store, ID_A, "busybox@" + MANIFEST)
    assert store.resolve("busybox@" + MANIFEST).id == ID_A


def test_resolve_by_manifest_digest_of_tagged_repo(store: ImageStore) -> None:
    add(store, ID_A, "busybox:latest")
    assert store.resolve("busybox@" + MANIFEST).id == ID_A


def test_unknown_name_is_not_found_with_the_name(store: ImageStore) -> None:
    with pytest.raises(NotFound, match=r"^No such image: x$"):
        store.resolve("x")


def test_invalid_reference_gives_the_reason(store: ImageStore) -> None:
    with pytest.raises(InvalidParameter, match="must be lowercase"):
        store.resolve("BusyBox")


def test_tag_moving_reports_the_old_image(store: ImageStore) -> None:
    add(store, ID_A, "busybox:latest")
    moved = store.add(record(ID_B), [ID_B], [parse("busybox:latest")])
    assert moved == [(parse("docker.io/library/busybox:latest"), ID_A)]
    assert store.tags(ID_A) == []


def test_delete_returns_blobs_no_other_image_keeps(store: ImageStore) -> None:
    add(store, ID_A, "a")
    add(store, ID_B, "b")
    assert store.delete(ID_A) == [ID_A]
    assert store.find(ID_A) is None
    assert store.blob_referenced(MANIFEST)


def test_layer_users_count_parents(store: ImageStore) -> None:
    blob = Descriptor(mediatypes.OCI_LAYER, compute(b"l"), 1)
    base = LayerRecord(compute(b"1"), compute(b"1"), "", "k1", blob, 1)
    top = LayerRecord(compute(b"2"), compute(b"2"), base.chain_id, "k2", blob, 1)
    store.add_layer(base)
    store.add_layer(top)
    store.add(record(ID_A, top.chain_id), [])
    store.add(record(ID_B, base.chain_id), [])
    assert store.layer_users() == {base.chain_id: 2, top.chain_id: 1}
    assert [layer.chain_id for layer in store.chain(top.chain_id)] == [top.chain_id, base.chain_id]


def test_repo_tag_reference_defaults_to_latest() -> None:
    assert str(repo_tag_reference("busybox", "")) == "docker.io/library/busybox:latest"
    assert str(repo_tag_reference("busybox:1", "2")) == "docker.io/library/busybox:2"


def test_repo_tag_reference_rejects_digests_and_bad_tags() -> None:
    with pytest.raises(InvalidParameter, match="cannot import digest reference"):
        repo_tag_reference("busybox@" + MANIFEST, "")
    with pytest.raises(InvalidParameter, match="invalid tag format"):
        repo_tag_reference("busybox", "-bad")
    with pytest.raises(InvalidParameter, match="ambiguous"):
        repo_tag_reference("sha256", "x")
