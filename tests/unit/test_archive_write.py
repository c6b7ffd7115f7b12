"""write_archive: the Docker 25+ docker-archive layout, readable by our reader and Docker."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from dockyard.content.local import LocalContentStore
from dockyard.errors import NotFound
from dockyard.image.archive_read import read_archive
from dockyard.image.archive_types import ArchiveImage
from dockyard.image.archive_write import BlobPart, layout_archive, write_archive
from dockyard.oci import mediatypes
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest, compute, hex_of
from dockyard.oci.image import ImageConfig, Manifest
from dockyard.testing.memory_content import MemoryContentStore

Store = Any  # LocalContentStore | MemoryContentStore


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        return LocalContentStore(tmp_path / "content")
    return MemoryContentStore()


def layer(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def put(store: Store, data: bytes) -> Digest:
    writer = store.writer(f"test-{compute(data)}")
    writer.write(data)
    digest: Digest = writer.commit(len(data), compute(data))
    return digest


def put_image(store: Store, layers: list[bytes], names: tuple[str, ...]) -> ArchiveImage:
    """Commit an image's blobs the way the image service would have them."""
    diff_ids = tuple(compute(gzip.decompress(x) if x[:2] == b"\x1f\x8b" else x) for x in layers)
    config = ImageConfig(architecture="amd64", os="linux", diff_ids=diff_ids).to_bytes()
    layer_descs = tuple(
        Descriptor(
            mediatypes.OCI_LAYER_GZIP if x[:2] == b"\x1f\x8b" else mediatypes.OCI_LAYER,
            put(store, x),
            len(x),
        )
        for x in layers
    )
    manifest = Manifest(
        config=Descriptor(mediatypes.OCI_CONFIG, put(store, config), len(config)),
        layers=layer_descs,
    )
    return ArchiveImage(
        config_digest=compute(config),
        manifest=manifest,
        manifest_digest=put(store, manifest.to_bytes()),
        diff_ids=diff_ids,
        names=names,
    )


def save(store: Store, images: list[ArchiveImage]) -> bytes:
    out = io.BytesIO()
    write_archive(images, store, out)
    return out.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {
            m.name: (tar.extractfile(m).read() if m.isfile() else b"")  # type: ignore[union-attr]
            for m in tar.getmembers()
        }


BASE = layer("base.txt", b"base\n")
TOP = layer("top.txt", b"top\n")


def test_round_trip_gives_back_the_same_images(store: Store) -> None:
    images = [
        put_image(store, [BASE, TOP], ("docker.io/library/app:1", "docker.io/library/app:2")),
        put_image(store, [BASE], ()),
    ]
    fresh = MemoryContentStore()
    assert read_archive(io.BytesIO(save(store, images)), fresh) == images


def test_round_trip_keeps_gzip_layers_compressed(store: Store) -> None:
    packed = gzip.compress(TOP, mtime=0)
    image = put_image(store, [packed], ("docker.io/library/z:1",))
    [loaded] = read_archive(io.BytesIO(save(store, [image])), MemoryContentStore())
    assert loaded.manifest.layers[0].media_type == mediatypes.OCI_LAYER_GZIP
    assert loaded.manifest.layers[0].digest == compute(packed)


def test_blob_shared_by_two_images_is_written_once(store: Store) -> None:
    one = put_image(store, [BASE], ("docker.io/library/one:1",))
    two = put_image(store, [BASE, TOP], ("docker.io/library/two:1",))
    with tarfile.open(fileobj=io.BytesIO(save(store, [one, two]))) as tar:
        names = tar.getnames()
    assert names.count(f"blobs/sha256/{hex_of(compute(BASE))}") == 1
    assert len(names) == len(set(names))


def test_archive_starts_with_blob_directories_and_has_every_document(store: Store) -> None:
    image = put_image(store, [BASE], ("docker.io/library/app:1",))
    with tarfile.open(fileobj=io.BytesIO(save(store, [image]))) as tar:
        infos = tar.getmembers()
    assert [(i.name, i.isdir()) for i in infos[:2]] == [("blobs", True), ("blobs/sha256", True)]
    assert {"index.json", "manifest.json", "oci-layout", "repositories"} <= {i.name for i in infos}
    assert {i.mtime for i in infos} == {0}


def test_manifest_json_lists_familiar_tags_and_blob_paths(store: Store) -> None:
    image = put_image(store, [BASE, TOP], ("docker.io/library/app:1", "example.com/x/y:2"))
    [entry] = json.loads(members(save(store, [image]))["manifest.json"])
    assert entry == {
        "Config": f"blobs/sha256/{hex_of(image.config_digest)}",
        "RepoTags": ["app:1", "example.com/x/y:2"],
        "Layers": [f"blobs/sha256/{hex_of(compute(x))}" for x in (BASE, TOP)],
    }


def test_untagged_image_has_null_repo_tags_and_one_bare_index_descriptor(store: Store) -> None:
    image = put_image(store, [BASE], ())
    files = members(save(store, [image]))
    assert json.loads(files["manifest.json"])[0]["RepoTags"] is None
    [desc] = json.loads(files["index.json"])["manifests"]
    assert desc == {
        "mediaType": mediatypes.OCI_MANIFEST,
        "digest": image.manifest_digest,
        "size": len(image.manifest.to_bytes()),
    }
    assert "repositories" not in files


def test_index_json_has_one_annotated_descriptor_per_name(store: Store) -> None:
    image = put_image(store, [BASE], ("docker.io/library/app:1", "docker.io/library/app:2"))
    index = json.loads(members(save(store, [image]))["index.json"])
    assert [d["annotations"] for d in index["manifests"]] == [
        {
            mediatypes.ANNOTATION_IMAGE_NAME: f"docker.io/library/app:{t}",
            mediatypes.ANNOTATION_REF_NAME: t,
        }
        for t in ("1", "2")
    ]
    assert {d["digest"] for d in index["manifests"]} == {image.manifest_digest}


def test_oci_layout_and_repositories_files(store: Store) -> None:
    image = put_image(store, [BASE, TOP], ("docker.io/library/app:1",))
    files = members(save(store, [image]))
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    assert json.loads(files["repositories"]) == {"app": {"1": hex_of(compute(TOP))}}


def test_saving_twice_gives_identical_bytes(store: Store) -> None:
    image = put_image(store, [BASE, TOP], ("docker.io/library/app:1",))
    assert save(store, [image]) == save(store, [image])


def test_sendfile_to_a_real_file_writes_the_same_bytes_as_buffered_copy(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content")
    big = layer("big.bin", bytes(range(256)) * 8000)
    image = put_image(store, [BASE, big], ("docker.io/library/app:1",))
    with open(tmp_path / "out.tar", "wb") as out:
        out.write(b"")  # buffered data before the first sendfile must land first
        write_archive([image], store, out)
    assert (tmp_path / "out.tar").read_bytes() == save(store, [image])


def test_index_json_alone_describes_the_same_images(store: Store) -> None:
    images = [
        put_image(store, [BASE, TOP], ("docker.io/library/app:1", "example.com/x:2")),
        put_image(store, [TOP], ()),
    ]
    files = members(save(store, images))
    oci_only = io.BytesIO()
    with tarfile.open(fileobj=oci_only, mode="w") as tar:
        for name, data in files.items():
            if name.startswith("blobs/sha256/") or name in ("index.json", "oci-layout"):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    oci_only.seek(0)
    assert read_archive(oci_only, MemoryContentStore()) == images


def test_missing_blob_fails_before_anything_is_written(store: Store) -> None:
    image = put_image(store, [BASE], ("docker.io/library/app:1",))
    store.delete(image.manifest.layers[0].digest)
    out = io.BytesIO()
    with pytest.raises(NotFound):
        write_archive([image], store, out)
    assert out.getvalue() == b""


def test_layout_size_is_the_length_of_the_written_archive(store: Store) -> None:
    images = [put_image(store, [BASE, TOP], ("docker.io/library/app:1",))]
    layout = layout_archive(images, store)
    data = save(store, images)
    assert layout.size == len(data)
    blobs = [part for part in layout.parts if isinstance(part, BlobPart)]
    assert [b.digest for b in blobs] == [
        images[0].config_digest,
        *(layer.digest for layer in images[0].manifest.layers),
        images[0].manifest_digest,
    ]
    assert b"".join(p for p in layout.parts if isinstance(p, bytes))[:5] == b"blobs"


def test_big_blob_data_starts_on_a_32_kib_boundary_and_reads_back(store: Store) -> None:
    big = layer("big.bin", bytes(range(256)) * 8000)  # over 1 MiB
    image = put_image(store, [BASE, big], ("docker.io/library/app:1",))
    data = save(store, [image])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.getmember(f"blobs/sha256/{hex_of(compute(big))}")
        assert member.offset_data % (32 << 10) == 0
        assert tar.extractfile(member).read() == big  # type: ignore[union-attr]
        small = tar.getmember(f"blobs/sha256/{hex_of(compute(BASE))}")
        assert "comment" not in small.pax_headers
    assert read_archive(io.BytesIO(data), MemoryContentStore()) == [image]
