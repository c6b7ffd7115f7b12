"""read_archive: docker-archive and OCI-layout tars in, committed blobs out, all or nothing."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard.content.local import LocalContentStore
from dockyard.errors import InvalidParameter
from dockyard.image.archive_read import open_archive, read_archive
from dockyard.oci import mediatypes
from dockyard.oci.digest import Digest, compute
from dockyard.testing.memory_content import MemoryContentStore

Store = Any  # LocalContentStore | MemoryContentStore

# --- building archives ----------------------------------------------------------------------


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def entry(name: str, data: bytes = b"", *, typ: bytes = tarfile.REGTYPE, link: str = "") -> Any:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size, info.mode = typ, link, len(data), 0o644
    return info, data


def tar_of(entries: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buf.getvalue()


def archive(members: dict[str, bytes], *, compress: bool = False) -> bytes:
    data = tar_of([entry(name, content) for name, content in members.items()])
    return gzip.compress(data, mtime=0) if compress else data


def layer(*entries: tuple[tarfile.TarInfo, bytes]) -> bytes:
    return tar_of(list(entries) or [entry("hello.txt", b"hello\n")])


def config_for(layers: list[bytes], extra: str = "") -> bytes:
    diff_ids = [sha(gzip.decompress(x) if x[:2] == b"\x1f\x8b" else x) for x in layers]
    doc = {
        "architecture": "amd64",
        "os": "linux",
        "comment": extra,
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    return json.dumps(doc).encode()


def docker_members(
    layers: list[bytes], tags: list[str] | None = None, config: bytes | None = None
) -> dict[str, bytes]:
    """A legacy (Docker <= 24) docker-archive: <id>.json, <n>/layer.tar, manifest.json."""
    config = config or config_for(layers)
    members = {f"{sha(config)[7:]}.json": config}
    paths = []
    for i, data in enumerate(layers):
        paths.append(f"{i:064x}/layer.tar")
        members[paths[-1]] = data
    manifest = [{"Config": f"{sha(config)[7:]}.json", "RepoTags": tags, "Layers": paths}]
    members["manifest.json"] = json.dumps(manifest).encode()
    return members


def blob(members: dict[str, bytes], data: bytes) -> dict[str, Any]:
    members[f"blobs/sha256/{sha(data)[7:]}"] = data
    return {"digest": sha(data), "size": len(data)}


def oci_manifest(members: dict[str, bytes], layers: list[bytes], media_type: str) -> bytes:
    config = config_for(layers)
    doc = {
        "schemaVersion": 2,
        "mediaType": mediatypes.OCI_MANIFEST,
        "config": {"mediaType": mediatypes.OCI_CONFIG, **blob(members, config)},
        "layers": [{"mediaType": media_type, **blob(members, x)} for x in layers],
    }
    return json.dumps(doc).encode()


def oci_members(
    layers: list[bytes],
    annotations: dict[str, str] | None = None,
    media_type: str = mediatypes.OCI_LAYER,
) -> dict[str, bytes]:
    members: dict[str, bytes] = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}'}
    manifest = oci_manifest(members, layers, media_type)
    desc = {"mediaType": mediatypes.OCI_MANIFEST, **blob(members, manifest)}
    if annotations:
        desc["annotations"] = annotations
    members["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [desc]}).encode()
    return members


# --- the store and its state ----------------------------------------------------------------


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        return LocalContentStore(tmp_path / "content")
    return MemoryContentStore()


def state(store: Store) -> tuple[list[str], list[str]]:
    """Everything the store holds: committed blobs and ingests."""
    return sorted(i.digest for i in store.walk()), sorted(i.ref for i in store.ingests())


def load(store: Store, data: bytes) -> Any:
    return read_archive(io.BytesIO(data), store)


def assert_rejected(store: Store, data: bytes, match: str) -> None:
    before = state(store)
    with pytest.raises(InvalidParameter, match=match):
        load(store, data)
    assert state(store) == before


class Pipe(io.RawIOBase):
    """A non-seekable stream handing out small reads, like a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        chunk = self._data.read(min(len(buf), 7000))
        buf[: len(chunk)] = chunk
        return len(chunk)


# --- loading --------------------------------------------------------------------------------


def test_docker_archive_commits_config_layers_and_a_new_oci_manifest(store: Store) -> None:
    data = layer()
    [image] = load(store, archive(docker_members([data], ["busybox:latest"])))
    assert image.names == ("docker.io/library/busybox:latest",)
    assert image.diff_ids == (sha(data),)
    assert image.manifest.media_type == mediatypes.OCI_MANIFEST
    assert image.manifest.config.media_type == mediatypes.OCI_CONFIG
    assert [x.media_type for x in image.manifest.layers] == [mediatypes.OCI_LAYER]
    with store.open(image.manifest_digest) as fh:
        assert fh.read() == image.manifest.to_bytes()
    assert set(state(store)[0]) == {image.config_digest, sha(data), image.manifest_digest}
    assert state(store)[1] == []


def test_untagged_docker_archive_image_has_no_names(store: Store) -> None:
    [image] = load(store, archive(docker_members([layer()], None)))
    assert image.names == ()


def test_docker_archive_layer_symlinked_to_another_member_resolves(store: Store) -> None:
    data = layer()
    members = docker_members([data], ["a:1"])
    entries = [entry(name, content) for name, content in members.items()]
    manifest = json.loads(members["manifest.json"])
    manifest[0]["Layers"] = ["other/layer.tar"]
    entries.append(entry("other/layer.tar", typ=tarfile.SYMTYPE, link=f"../{0:064x}/layer.tar"))
    entries.append(entry("manifest.json", json.dumps(manifest).encode()))
    [image] = load(store, tar_of(entries))
    assert image.diff_ids == (sha(data),)


def test_gzip_compressed_archive_loads(store: Store) -> None:
    [image] = load(store, archive(docker_members([layer()], ["a:1"]), compress=True))
    assert image.names == ("docker.io/library/a:1",)


def test_archive_from_a_non_seekable_stream_loads(store: Store) -> None:
    big = layer(entry("big.bin", bytes(range(256)) * 40000))
    images = read_archive(Pipe(archive(docker_members([big], ["a:1"]))), store)  # type: ignore[arg-type]
    assert images[0].diff_ids == (sha(big),)


def test_gzip_layer_keeps_gzip_media_type_and_compressed_bytes(store: Store) -> None:
    plain = layer()
    packed = gzip.compress(plain, mtime=0)
    [image] = load(store, archive(docker_members([packed], ["a:1"])))
    assert image.diff_ids == (sha(plain),)
    assert image.manifest.layers[0].media_type == mediatypes.OCI_LAYER_GZIP
    assert image.manifest.layers[0].digest == sha(packed)
    with store.open(Digest(sha(packed))) as fh:
        assert fh.read() == packed


def test_oci_layout_takes_names_from_containerd_annotation(store: Store) -> None:
    notes = {
        mediatypes.ANNOTATION_IMAGE_NAME: "example.com/app:2",
        mediatypes.ANNOTATION_REF_NAME: "2",
    }
    [image] = load(store, archive(oci_members([layer()], notes)))
    assert image.names == ("example.com/app:2",)


def test_oci_layout_with_bare_tag_ref_name_is_untagged(store: Store) -> None:
    [image] = load(store, archive(oci_members([layer()], {mediatypes.ANNOTATION_REF_NAME: "v1"})))
    assert image.names == ()


def test_oci_layout_keeps_its_manifest_blob(store: Store) -> None:
    members = oci_members([layer()])
    index = json.loads(members["index.json"])
    [image] = load(store, archive(members))
    assert image.manifest_digest == index["manifests"][0]["digest"]


def test_oci_layout_gzip_layer_keeps_its_media_type(store: Store) -> None:
    packed = gzip.compress(layer(), mtime=0)
    [image] = load(store, archive(oci_members([packed], media_type=mediatypes.OCI_LAYER_GZIP)))
    assert image.manifest.layers[0].media_type == mediatypes.OCI_LAYER_GZIP


def nested_index_members(platform: dict[str, str]) -> dict[str, bytes]:
    members: dict[str, bytes] = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}'}
    manifest = oci_manifest(members, [layer()], mediatypes.OCI_LAYER)
    other = oci_manifest(members, [layer(entry("arm.txt", b"arm"))], mediatypes.OCI_LAYER)
    inner = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": mediatypes.OCI_MANIFEST,
                "platform": {"os": "linux", "architecture": "arm64"},
                **blob(members, other),
            },
            {"mediaType": mediatypes.OCI_MANIFEST, "platform": platform, **blob(members, manifest)},
        ],
    }
    desc = {
        "mediaType": mediatypes.OCI_INDEX,
        "annotations": {mediatypes.ANNOTATION_IMAGE_NAME: "docker.io/library/multi:1"},
        **blob(members, json.dumps(inner).encode()),
    }
    members["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [desc]}).encode()
    return members


def test_oci_layout_nested_index_resolves_to_linux_amd64(store: Store) -> None:
    members = nested_index_members({"os": "linux", "architecture": "amd64"})
    [image] = load(store, archive(members))
    assert image.names == ("docker.io/library/multi:1",)
    assert image.diff_ids == (sha(layer()),)


def test_descriptors_of_one_manifest_merge_into_one_image_with_all_names(store: Store) -> None:
    members = oci_members([layer()])
    index = json.loads(members["index.json"])
    desc = index["manifests"][0]
    index["manifests"] = [
        {**desc, "annotations": {mediatypes.ANNOTATION_IMAGE_NAME: f"docker.io/library/a:{t}"}}
        for t in ("1", "2")
    ]
    members["index.json"] = json.dumps(index).encode()
    [image] = load(store, archive(members))
    assert image.names == ("docker.io/library/a:1", "docker.io/library/a:2")


def test_loading_twice_keeps_the_store_consistent(store: Store) -> None:
    data = archive(docker_members([layer()], ["a:1"]))
    first = load(store, data)
    after_first = state(store)
    assert load(store, data) == first
    assert state(store) == after_first


# --- rejecting ------------------------------------------------------------------------------


def test_truncated_archive_is_rejected(store: Store) -> None:
    data = archive(docker_members([layer(entry("f", b"x" * 20000))], ["a:1"]))
    assert_rejected(store, data[: len(data) // 2], "truncated|remain")


def test_truncated_archive_from_a_stream_is_rejected(store: Store) -> None:
    data = archive(docker_members([layer(entry("f", b"x" * 20000))], ["a:1"]))
    before = state(store)
    with pytest.raises(InvalidParameter, match="truncated"):
        read_archive(Pipe(data[: len(data) // 2]), store)  # type: ignore[arg-type]
    assert state(store) == before


def test_blob_whose_digest_does_not_match_its_name_is_rejected(store: Store) -> None:
    members = oci_members([layer()])
    name = next(n for n, d in members.items() if n.startswith("blobs/") and d == layer())
    members[name] = layer(entry("other.txt", b"other"))
    assert_rejected(store, archive(members), "digest")


def test_layer_not_matching_diff_id_is_rejected(store: Store) -> None:
    members = docker_members([layer()], ["a:1"], config=config_for([layer(entry("x", b"y"))]))
    assert_rejected(store, archive(members), "diff id")


def test_layer_count_not_matching_diff_ids_is_rejected(store: Store) -> None:
    members = docker_members([layer()], ["a:1"], config=config_for([layer(), layer()]))
    assert_rejected(store, archive(members), "diff ids")


def test_missing_layer_is_rejected(store: Store) -> None:
    members = docker_members([layer()], ["a:1"])
    del members[f"{0:064x}/layer.tar"]
    assert_rejected(store, archive(members), "layer.tar referenced by manifest.json is missing")


def test_missing_config_is_rejected(store: Store) -> None:
    members = docker_members([layer()], ["a:1"])
    del members[next(n for n in members if n.endswith(".json") and n != "manifest.json")]
    assert_rejected(store, archive(members), r"\.json referenced by manifest.json is missing")


def test_member_path_with_dotdot_is_rejected(store: Store) -> None:
    members = {"../evil": b"x", **docker_members([layer()], ["a:1"])}
    assert_rejected(store, archive(members), "'../evil' escapes")


def test_absolute_member_path_is_rejected(store: Store) -> None:
    members = {"/etc/evil": b"x", **docker_members([layer()], ["a:1"])}
    assert_rejected(store, archive(members), "absolute path")


def test_manifest_json_referencing_dotdot_path_is_rejected(store: Store) -> None:
    members = docker_members([layer()], ["a:1"])
    members["manifest.json"] = json.dumps(
        [{"Config": "../x.json", "RepoTags": None, "Layers": []}]
    ).encode()
    assert_rejected(store, archive(members), "escapes")


def test_layer_with_dotdot_entry_is_rejected(store: Store) -> None:
    bad = layer(entry("../x", b"pwned"))
    assert_rejected(store, archive(docker_members([bad], ["a:1"])), "'../x' escapes")


def test_layer_with_absolute_dotdot_entry_is_rejected(store: Store) -> None:
    bad = layer(entry("/../../x", b"pwned"))
    assert_rejected(store, archive(docker_members([bad], ["a:1"])), "escapes")


def test_gzip_layer_with_dotdot_entry_is_rejected(store: Store) -> None:
    bad = gzip.compress(layer(entry("a/../../x", b"pwned")), mtime=0)
    assert_rejected(store, archive(docker_members([bad], ["a:1"])), "escapes")


def test_layer_with_escaping_hardlink_is_rejected(store: Store) -> None:
    bad = layer(entry("passwd", typ=tarfile.LNKTYPE, link="../../etc/passwd"))
    assert_rejected(store, archive(docker_members([bad], ["a:1"])), "points outside the layer")


def test_layer_writing_through_its_own_symlink_is_rejected(store: Store) -> None:
    bad = layer(
        entry("evil", typ=tarfile.SYMTYPE, link="/etc"),
        entry("evil/passwd", b"root::0:0::/:/bin/sh\n"),
    )
    assert_rejected(store, archive(docker_members([bad], ["a:1"])), "through symlink 'evil'")


def test_layer_replacing_its_symlink_with_a_file_is_rejected(store: Store) -> None:
    bad = layer(entry("evil", typ=tarfile.SYMTYPE, link="/etc/passwd"), entry("evil", b"x"))
    assert_rejected(store, archive(docker_members([bad], ["a:1"])), "replaces a symlink")


def test_layer_with_absolute_symlink_alone_is_accepted(store: Store) -> None:
    ok = layer(entry("bin/sh", typ=tarfile.SYMTYPE, link="/usr/bin/busybox"))
    [image] = load(store, archive(docker_members([ok], ["a:1"])))
    assert image.diff_ids == (sha(ok),)


def huge_member_archive(size: int) -> bytes:
    info = tarfile.TarInfo("huge.bin")
    info.size = size
    header = info.tobuf(tarfile.PAX_FORMAT)
    return header + b"x" * 4096


def test_member_claiming_absurd_size_is_rejected(store: Store) -> None:
    assert_rejected(store, huge_member_archive(2 << 40), "absurd size")


def test_member_claiming_more_than_the_archive_holds_is_rejected(store: Store) -> None:
    assert_rejected(store, huge_member_archive(10 << 20), "remain")


def test_layer_entry_claiming_more_than_the_layer_holds_is_rejected(store: Store) -> None:
    info = tarfile.TarInfo("big")
    info.size = 1 << 30
    bad = info.tobuf(tarfile.PAX_FORMAT) + bytes(1024)
    assert_rejected(store, archive(docker_members([bad], ["a:1"])), "remain")


def test_invalid_manifest_json_is_rejected(store: Store) -> None:
    members = docker_members([layer()], ["a:1"])
    members["manifest.json"] = b'[{"Config": '
    assert_rejected(store, archive(members), "manifest.json is not valid JSON")


def test_archive_without_manifest_or_index_is_rejected(store: Store) -> None:
    assert_rejected(store, archive({"hello.txt": b"hi"}), "no manifest.json")


def test_non_tar_input_is_rejected(store: Store) -> None:
    assert_rejected(store, b"this is not a tar archive at all" * 40, "not a tar stream")


def test_invalid_repo_tag_is_rejected(store: Store) -> None:
    assert_rejected(store, archive(docker_members([layer()], ["Not A Ref"])), "RepoTags")


def test_oci_descriptor_size_mismatch_is_rejected(store: Store) -> None:
    members = oci_members([layer()])
    index = json.loads(members["index.json"])
    index["manifests"][0]["size"] += 1
    members["index.json"] = json.dumps(index).encode()
    assert_rejected(store, archive(members), "descriptor says")


def test_oci_layer_whose_media_type_lies_about_compression_is_rejected(store: Store) -> None:
    members = oci_members([layer()], media_type=mediatypes.OCI_LAYER_GZIP)
    assert_rejected(store, archive(members), "media type says gzip")


def test_oci_nested_index_without_linux_amd64_is_rejected(store: Store) -> None:
    members = nested_index_members({"os": "linux", "architecture": "s390x"})
    assert_rejected(store, archive(members), "no manifest for linux/amd64")


def test_failure_keeps_blobs_that_existed_before(store: Store) -> None:
    data = layer()
    load(store, archive(docker_members([data], ["a:1"])))
    bad = docker_members([data, layer(entry("../x", b""))], ["a:2"])
    assert_rejected(store, archive(bad), "escapes")
    assert sha(data) in state(store)[0]


class FailingStore:
    """A store whose N-th commit fails: the reader must delete what it committed before."""

    def __init__(self, inner: MemoryContentStore, fail_at: int) -> None:
        self._inner = inner
        self._left = fail_at
        self.info, self.open, self.delete, self.walk = (
            inner.info,
            inner.open,
            inner.delete,
            inner.walk,
        )

    def writer(self, ref: str, expected: Digest | None = None) -> Any:
        writer = self._inner.writer(ref, expected)
        outer = self

        class Failing:
            def write(self, data: bytes | memoryview) -> None:
                writer.write(data)

            def commit(self, size: int | None = None, expected: Digest | None = None) -> Digest:
                outer._left -= 1
                if outer._left == 0:
                    writer.abort()
                    raise OSError("disk full")
                return writer.commit(size, expected)

            def abort(self) -> None:
                writer.abort()

        return Failing()

    def ingests(self) -> Iterator[Any]:
        return self._inner.ingests()


def test_commit_failure_removes_blobs_committed_by_this_load() -> None:
    inner = MemoryContentStore()
    failing = FailingStore(inner, fail_at=3)
    with pytest.raises(OSError, match="disk full"):
        read_archive(io.BytesIO(archive(docker_members([layer()], ["a:1"]))), failing)
    assert state(inner) == ([], [])


def test_layer_with_long_pax_name_escaping_is_rejected(store: Store) -> None:
    bad = layer(entry("a/" * 60 + "../" * 70 + "x", b"pwned"))  # > 100 chars: a PAX path
    assert_rejected(store, archive(docker_members([bad], ["a:1"])), "escapes")


def test_layer_in_gnu_format_with_long_names_loads(store: Store) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info, data = entry("d/" * 80 + "file", b"long")
        tar.addfile(info, io.BytesIO(data))
        link, _ = entry("l" * 120, typ=tarfile.SYMTYPE, link="t/" * 70)
        tar.addfile(link)
    ok = buf.getvalue()
    [image] = load(store, archive(docker_members([ok], ["a:1"])))
    assert image.diff_ids == (sha(ok),)


def test_open_archive_reads_blobs_before_and_after_the_commit(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content")
    big = layer(entry("big.bin", os.urandom(5 << 20)))  # past the in-memory limit
    with open_archive(io.BytesIO(archive(docker_members([big], ["a:1"]))), store) as loaded:
        [image] = loaded.images
        digest = image.manifest.layers[0].digest
        before = loaded.open_blob(digest)
        assert state(store)[0] == []  # nothing committed yet
        loaded.commit()
        after = loaded.open_blob(digest)
        assert before is not None and after is not None
        with before, after:
            assert before.read() == big == after.read()
    assert compute(big) in state(store)[0]
    assert state(store)[1] == []


def test_open_archive_left_without_commit_stores_nothing(store: Store) -> None:
    big = layer(entry("big.bin", os.urandom(5 << 20)))
    with open_archive(io.BytesIO(archive(docker_members([big], ["a:1"]))), store) as loaded:
        reader = loaded.open_blob(compute(big))
        if reader is not None:  # the memory store cannot read an ingest back
            reader.close()
    assert state(store) == ([], [])
