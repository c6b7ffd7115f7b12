"""Image routes against a real ImageService on a temp data root (native snapshotter)."""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from dockyard.api.routes import images
from dockyard.api.server import create_app
from dockyard.content.local import LocalContentStore, LocalWriter
from dockyard.daemon.images import ImageService
from dockyard.errors import NotFound
from dockyard.events.bus import EventBus
from dockyard.image.store import ImageStore
from dockyard.metadata.db import Database
from dockyard.oci.digest import Digest
from dockyard.snapshot.native import NativeSnapshotter
from dockyard.testing.memory_content import MemoryContentStore

ClientFactory = Callable[[web.Application], Any]
Client = TestClient[Any, Any]


def rootfs(files: dict[str, bytes] | None = None) -> bytes:
    files = files if files is not None else {"etc/hostname": b"box\n", "bin/tool": b"#!x\n"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@dataclass
class Env:
    root: Path
    service: ImageService
    events: EventBus
    snapshotter: NativeSnapshotter
    in_use: dict[str, tuple[str, bool]]

    def state(self) -> tuple[set[str], set[str], int, int]:
        """Blobs, snapshots, image rows, layer rows: what a failed call must not change."""
        blobs = {p.name for p in (self.root / "content" / "blobs" / "sha256").iterdir()}
        snapshots = {info.name for info in self.snapshotter.walk()}
        store = ImageStore(Database(self.root / "dockyard.db"))
        return blobs, snapshots, store.count(), len(store.layers())


@pytest.fixture
def env(tmp_path: Path) -> Env:
    events = EventBus()
    snapshotter = NativeSnapshotter(tmp_path / "snapshots")
    in_use: dict[str, tuple[str, bool]] = {}
    service = ImageService(
        ImageStore(Database(tmp_path / "dockyard.db")),
        LocalContentStore(tmp_path / "content"),
        snapshotter,
        events,
        image_in_use=in_use.get,
    )
    return Env(tmp_path, service, events, snapshotter, in_use)


@pytest.fixture
async def client(aiohttp_client: ClientFactory, env: Env) -> Client:
    client: Client = await aiohttp_client(create_app(images.setup(env.service)))
    return client


async def import_image(client: Client, body: bytes | None = None, **query: str) -> str:
    params = {"fromSrc": "-", **query}
    resp = await client.post("/images/create", params=params, data=body or rootfs())
    assert resp.status == 200, await resp.text()
    lines = [json.loads(line) for line in (await resp.text()).splitlines() if line.strip()]
    status: str = lines[-1]["status"]
    return status


async def message(resp: Any) -> str:
    text: str = (await resp.json())["message"]
    return text


# -- import -------------------------------------------------------------------------------


async def test_import_reports_the_image_id_as_status(client: Client) -> None:
    image_id = await import_image(client, repo="box")
    assert image_id.startswith("sha256:")
    listed = await (await client.get("/images/json")).json()
    assert [(i["Id"], i["RepoTags"]) for i in listed] == [(image_id, ["box:latest"])]


async def test_import_stores_the_layer_uncompressed(client: Client, env: Env) -> None:
    tar = rootfs()
    image_id = await import_image(client, gzip.compress(tar), repo="box")
    details = await (await client.get(f"/images/{image_id}/json")).json()
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
    assert details["RootFS"] == {"Type": "layers", "Layers": [diff_id]}
    assert (env.root / "content" / "blobs" / "sha256" / diff_id[7:]).read_bytes() == tar


async def test_import_sets_platform_message_and_changes(client: Client) -> None:
    changes = ['CMD ["sh"]', "ENV A=1", "LABEL team=x", "EXPOSE 80", "WORKDIR /srv"]
    query = {"repo": "box", "tag": "v1", "message": "hello", "platform": "linux/arm64"}
    resp = await client.post(
        "/images/create",
        params=[("fromSrc", "-"), *query.items(), *(("changes", c) for c in changes)],
        data=rootfs(),
    )
    assert resp.status == 200
    d = await (await client.get("/images/box:v1/json")).json()
    assert d["Config"]["Cmd"] == ["sh"]
    assert d["Config"]["Env"] == ["A=1"]
    assert d["Config"]["Labels"] == {"team": "x"}
    assert d["Config"]["ExposedPorts"] == {"80/tcp": {}}
    assert d["Config"]["WorkingDir"] == "/srv"
    assert (d["Architecture"], d["Os"], d["Comment"]) == ("arm64", "linux", "hello")


async def test_import_of_a_non_tar_body_is_400_and_stores_nothing(client: Client, env: Env) -> None:
    before = env.state()
    resp = await client.post("/images/create", params={"fromSrc": "-"}, data=b"not a tar" * 100)
    assert resp.status == 400
    assert "not a valid tar archive" in await message(resp)
    assert env.state() == before


async def test_import_of_a_layer_escaping_its_root_is_400_and_stores_nothing(
    client: Client, env: Env
) -> None:
    before = env.state()
    resp = await client.post(
        "/images/create", params={"fromSrc": "-"}, data=rootfs({"../evil": b"x"})
    )
    assert resp.status == 400
    assert env.state() == before


async def test_import_with_a_bad_change_is_400(client: Client) -> None:
    resp = await client.post(
        "/images/create", params={"fromSrc": "-", "changes": "RUN x"}, data=rootfs()
    )
    assert resp.status == 400
    assert await message(resp) == "RUN is not a valid change command"


async def test_import_from_url_is_rejected_clearly(client: Client) -> None:
    resp = await client.post("/images/create", params={"fromSrc": "http://example.com/x.tar"})
    assert resp.status == 400
    assert "no network access" in await message(resp)


async def test_import_to_an_invalid_repo_is_400(client: Client) -> None:
    resp = await client.post(
        "/images/create", params={"fromSrc": "-", "repo": "Bad Name"}, data=rootfs()
    )
    assert resp.status == 400
    assert "invalid reference format" in await message(resp)


async def test_pull_is_refused_naming_the_missing_registry_client(client: Client) -> None:
    resp = await client.post("/images/create", params={"fromImage": "busybox", "tag": "latest"})
    assert resp.status == 404
    assert "no registry client" in await message(resp)


# -- inspect, history, list ---------------------------------------------------------------


async def test_unknown_image_is_404_with_its_name(client: Client) -> None:
    resp = await client.get("/images/x/json")
    assert resp.status == 404
    assert await message(resp) == "No such image: x"


async def test_bad_reference_is_400_with_the_reason(client: Client) -> None:
    resp = await client.get("/images/UPPER/json")
    assert resp.status == 400
    assert "must be lowercase" in await message(resp)


async def test_inspect_by_name_with_slashes_and_short_id(client: Client) -> None:
    image_id = await import_image(client, repo="localhost:5000/team/app", tag="1")
    by_name = await (await client.get("/images/localhost:5000/team/app:1/json")).json()
    by_short = await (await client.get(f"/images/{image_id[7:19]}/json")).json()
    assert by_name["Id"] == by_short["Id"] == image_id
    assert by_name["RepoTags"] == ["localhost:5000/team/app:1"]
    assert by_name["GraphDriver"]["Name"] == "overlay2"
    assert by_name["Metadata"]["LastTagTime"].endswith("Z")


async def test_virtual_size_only_before_api_1_44(client: Client) -> None:
    await import_image(client, repo="box")
    new = await (await client.get("/v1.45/images/box/json")).json()
    old = await (await client.get("/v1.43/images/box/json")).json()
    assert "VirtualSize" not in new
    assert old["VirtualSize"] == old["Size"]
    assert "ContainerConfig" in old


async def test_history_shows_the_import(client: Client) -> None:
    image_id = await import_image(client, repo="box")
    history = await (await client.get("/images/box/history")).json()
    assert len(history) == 1
    assert history[0]["Id"] == image_id
    assert history[0]["Tags"] == ["box:latest"]
    assert history[0]["Comment"] == "Imported from -"
    assert history[0]["Size"] > 0


async def test_untagged_images_show_none_before_api_1_43(client: Client) -> None:
    await import_image(client)
    new = await (await client.get("/v1.45/images/json")).json()
    old = await (await client.get("/v1.41/images/json")).json()
    assert new[0]["RepoTags"] == []
    assert old[0]["RepoTags"] == ["<none>:<none>"]


async def test_list_filters_dangling_reference_and_label(client: Client) -> None:
    dangling = await import_image(client)
    tagged = await import_image(client, repo="web/app", changes="LABEL tier=front")

    async def ids(filters: dict[str, list[str]]) -> list[str]:
        resp = await client.get("/images/json", params={"filters": json.dumps(filters)})
        assert resp.status == 200, await resp.text()
        return [i["Id"] for i in await resp.json()]

    assert await ids({"dangling": ["true"]}) == [dangling]
    assert await ids({"dangling": ["false"]}) == [tagged]
    assert await ids({"reference": ["web/*"]}) == [tagged]
    assert await ids({"reference": ["*"]}) == []
    assert await ids({"label": ["tier=front"]}) == [tagged]
    assert await ids({"label": ["tier=back"]}) == []


async def test_list_rejects_unknown_filters(client: Client) -> None:
    resp = await client.get("/images/json", params={"filters": '{"bogus":["x"]}'})
    assert resp.status == 400
    assert await message(resp) == "invalid filter 'bogus'"


async def test_shared_size_is_computed_on_request(client: Client) -> None:
    await import_image(client, repo="a")
    plain = await (await client.get("/images/json")).json()
    shared = await (await client.get("/images/json", params={"shared-size": "1"})).json()
    assert plain[0]["SharedSize"] == -1
    assert shared[0]["SharedSize"] == 0


# -- tag ----------------------------------------------------------------------------------


async def test_tag_answers_201_and_lists_the_new_tag(client: Client, env: Env) -> None:
    await import_image(client, repo="box")
    resp = await client.post("/images/box/tag", params={"repo": "other/name", "tag": "v2"})
    assert resp.status == 201
    details = await (await client.get("/images/box/json")).json()
    assert sorted(details["RepoTags"]) == ["box:latest", "other/name:v2"]
    assert any(e.action == "tag" for e in env.events.subscribe(lambda _: None))


async def test_tag_to_an_invalid_repo_is_400(client: Client) -> None:
    await import_image(client, repo="box")
    resp = await client.post("/images/box/tag", params={"repo": "In Valid"})
    assert resp.status == 400
    assert "invalid reference format" in await message(resp)


async def test_tag_of_an_unknown_image_is_404(client: Client) -> None:
    resp = await client.post("/images/nope/tag", params={"repo": "x"})
    assert resp.status == 404
    assert await message(resp) == "No such image: nope"


# -- delete -------------------------------------------------------------------------------


async def test_delete_of_one_of_several_tags_only_untags(client: Client) -> None:
    await import_image(client, repo="box")
    await client.post("/images/box/tag", params={"repo": "copy"})
    resp = await client.delete("/images/copy")
    assert resp.status == 200
    assert await resp.json() == [{"Untagged": "copy:latest"}]


async def test_delete_of_the_last_tag_removes_image_blobs_and_layers(
    client: Client, env: Env
) -> None:
    before = env.state()
    image_id = await import_image(client, repo="box")
    resp = await client.delete("/images/box")
    assert await resp.json() == [{"Untagged": "box:latest"}, {"Deleted": image_id}]
    assert env.state() == before


async def test_delete_keeps_layers_another_image_uses(client: Client, env: Env) -> None:
    tar = rootfs()
    await import_image(client, tar, repo="a")
    await import_image(client, tar, repo="b")
    await client.delete("/images/a")
    blobs, snapshots, images_left, layers = env.state()
    assert (images_left, layers, len(snapshots)) == (1, 1, 1)
    assert "sha256:" + hashlib.sha256(tar).hexdigest() in {"sha256:" + b for b in blobs}


async def test_delete_by_id_with_tags_in_two_repositories_is_conflict(client: Client) -> None:
    image_id = await import_image(client, repo="box")
    await client.post(f"/images/{image_id}/tag", params={"repo": "other"})
    resp = await client.delete(f"/images/{image_id[7:19]}")
    assert resp.status == 409
    assert await message(resp) == (
        f"conflict: unable to delete {image_id[7:19]} (must be forced)"
        " - image is referenced in multiple repositories"
    )
    forced = await client.delete(f"/images/{image_id}", params={"force": "1"})
    assert forced.status == 200
    assert {"Deleted": image_id} in await forced.json()


async def test_delete_of_an_image_a_running_container_uses_is_conflict(
    client: Client, env: Env
) -> None:
    image_id = await import_image(client, repo="box")
    env.in_use[image_id] = ("c" * 64, True)
    resp = await client.delete(f"/images/{image_id}", params={"force": "1"})
    assert resp.status == 409
    assert await message(resp) == (
        f"conflict: unable to delete {image_id[7:19]} (cannot be forced)"
        f" - image is being used by running container {'c' * 12}"
    )


async def test_delete_of_an_unknown_image_is_404(client: Client) -> None:
    resp = await client.delete("/images/ghost")
    assert resp.status == 404
    assert await message(resp) == "No such image: ghost"


# -- prune --------------------------------------------------------------------------------


async def test_prune_removes_dangling_only_by_default(client: Client) -> None:
    dangling = await import_image(client)
    await import_image(client, repo="keep")
    report = await (await client.post("/images/prune")).json()
    assert report["ImagesDeleted"] == [{"Deleted": dangling}]
    assert report["SpaceReclaimed"] > 0
    assert len(await (await client.get("/images/json")).json()) == 1


async def test_prune_dangling_false_removes_unused_tagged_images(client: Client) -> None:
    image_id = await import_image(client, repo="gone")
    resp = await client.post("/images/prune", params={"filters": '{"dangling":["false"]}'})
    report = await resp.json()
    assert report["ImagesDeleted"] == [{"Untagged": "gone:latest"}, {"Deleted": image_id}]


async def test_prune_with_nothing_to_do_reports_null(client: Client) -> None:
    assert await (await client.post("/images/prune")).json() == {
        "ImagesDeleted": None,
        "SpaceReclaimed": 0,
    }


# -- save and load ------------------------------------------------------------------------


async def save(client: Client, *names: str) -> bytes:
    resp = await client.get("/images/get", params=[("names", n) for n in names])
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"] == "application/x-tar"
    return await resp.read()


async def load(client: Client, archive: bytes) -> list[str]:
    resp = await client.post("/images/load", data=archive)
    assert resp.status == 200, await resp.text()
    return [json.loads(line)["stream"] for line in (await resp.text()).splitlines() if line]


async def test_save_then_load_restores_the_image(client: Client) -> None:
    image_id = await import_image(client, repo="box")
    archive = await save(client, "box")
    await client.delete("/images/box")
    assert await load(client, archive) == ["Loaded image: box:latest\n"]
    details = await (await client.get("/images/box/json")).json()
    assert details["Id"] == image_id


async def test_save_of_one_image_by_path(client: Client) -> None:
    await import_image(client, repo="team/box")
    resp = await client.get("/images/team/box/get")
    assert resp.status == 200
    with tarfile.open(fileobj=io.BytesIO(await resp.read())) as tar:
        assert "manifest.json" in tar.getnames()


async def test_save_announces_the_exact_archive_length(client: Client) -> None:
    await import_image(client, rootfs({"big": bytes(range(256)) * 4000}), repo="box")
    resp = await client.get("/images/box/get")
    body = await resp.read()
    assert "Transfer-Encoding" not in resp.headers
    assert int(resp.headers["Content-Length"]) == len(body)
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert "index.json" in tar.getnames()


async def test_save_whose_blob_vanishes_mid_stream_cuts_the_connection(
    aiohttp_client: ClientFactory, env: Env
) -> None:
    class LosingBlobs:
        """The real service, except that every blob is gone once streaming starts."""

        def __getattr__(self, name: str) -> Any:
            return getattr(env.service, name)

        def open_blob(self, digest: str) -> Any:
            raise NotFound(f"content {digest}: not found")

    client: Client = await aiohttp_client(create_app(images.setup(LosingBlobs())))
    await import_image(client, repo="box")
    resp = await client.get("/images/box/get")
    assert resp.status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        await resp.read()


async def test_save_of_an_unknown_image_is_404_before_streaming(client: Client) -> None:
    resp = await client.get("/images/get", params={"names": "ghost"})
    assert resp.status == 404
    assert await message(resp) == "No such image: ghost"


async def test_load_of_an_untagged_image_reports_its_id(client: Client) -> None:
    image_id = await import_image(client)
    archive = await save(client, image_id)
    await client.delete(f"/images/{image_id}")
    assert await load(client, archive) == [f"Loaded image ID: {image_id}\n"]


async def test_load_moving_a_tag_renames_the_old_image(client: Client) -> None:
    old_id = await import_image(client, repo="box")
    archive = await save(client, "box")
    await client.delete("/images/box")
    await import_image(client, rootfs({"other": b"2"}), repo="box")
    new_id = (await (await client.get("/images/box/json")).json())["Id"]
    lines = await load(client, archive)
    assert lines[0] == (
        f"The image box:latest already exists, renaming the old one with ID {new_id}"
        " to empty string\n"
    )
    assert (await (await client.get("/images/box/json")).json())["Id"] == old_id


async def test_load_of_a_corrupt_archive_is_400_and_leaves_the_store_unchanged(
    client: Client, env: Env
) -> None:
    await import_image(client, repo="box")
    archive = bytearray(await save(client, "box"))
    await client.delete("/images/box")
    before = env.state()
    # Flip bytes inside the layer blob: the digest check must fail.
    with tarfile.open(fileobj=io.BytesIO(bytes(archive))) as tar:
        layer = max(tar.getmembers(), key=lambda m: m.size)
        offset = layer.offset_data + 100
    archive[offset : offset + 4] = b"XXXX"
    resp = await client.post("/images/load", data=bytes(archive))
    assert resp.status == 400
    assert env.state() == before


async def test_load_of_garbage_is_400(client: Client, env: Env) -> None:
    before = env.state()
    resp = await client.post("/images/load", data=b"garbage" * 1000)
    assert resp.status == 400
    assert env.state() == before


async def test_prune_label_filter_selects_images(client: Client) -> None:
    keep = await import_image(client)
    drop = await import_image(client, changes="LABEL old=yes")
    resp = await client.post("/images/prune", params={"filters": '{"label":["old=yes"]}'})
    assert (await resp.json())["ImagesDeleted"] == [{"Deleted": drop}]
    remaining = [i["Id"] for i in await (await client.get("/images/json")).json()]
    assert remaining == [keep]


async def test_prune_rejects_unknown_filters(client: Client) -> None:
    resp = await client.post("/images/prune", params={"filters": '{"reference":["x"]}'})
    assert resp.status == 400


async def test_events_name_the_image_and_carry_its_labels(client: Client, env: Env) -> None:
    image_id = await import_image(client, repo="box", changes="LABEL team=x")
    await client.delete("/images/box")
    events = [
        (e.action, e.actor_id, dict(e.attributes)) for e in env.events.subscribe(lambda _: None)
    ]
    assert events == [
        ("tag", image_id, {"team": "x", "name": "box:latest"}),
        ("import", image_id, {"team": "x", "name": image_id}),
        ("untag", image_id, {"team": "x", "name": image_id}),
        ("delete", image_id, {"team": "x", "name": image_id}),
    ]


async def test_load_whose_commit_fails_while_layers_unpack_leaves_nothing_behind(
    client: Client, tmp_path: Path
) -> None:
    big = io.BytesIO(rootfs({"big": os.urandom(6 << 20)}))  # spooled to an ingest, not memory
    resp = await client.post("/images/create", params={"fromSrc": "-", "repo": "box"}, data=big)
    assert resp.status == 200
    archive = await save(client, "box")

    class DiskFullOnBigCommit(LocalWriter):
        def commit(self, size: int | None = None, expected: Digest | None = None) -> Digest:
            if self.offset > 1 << 20:
                self.abort()
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().commit(size, expected)

    class DiskFullStore(LocalContentStore):
        def writer(self, ref: str, expected: Digest | None = None) -> LocalWriter:
            return DiskFullOnBigCommit(self, ref, expected)

    root = tmp_path / "other"
    snapshotter = NativeSnapshotter(root / "snapshots")
    service = ImageService(
        ImageStore(Database(root / "dockyard.db")),
        DiskFullStore(root / "content"),
        snapshotter,
        EventBus(),
    )
    with pytest.raises(OSError, match="No space left"):
        service.load(io.BytesIO(archive))
    other = Env(root, service, EventBus(), snapshotter, {})
    assert other.state() == (set(), set(), 0, 0)
    assert list((root / "content" / "ingest").iterdir()) == []


async def test_load_into_a_store_without_ingest_read_back_unpacks_after_the_commit(
    client: Client, tmp_path: Path
) -> None:
    big = io.BytesIO(rootfs({"big": os.urandom(6 << 20)}))  # spooled to an ingest, not memory
    resp = await client.post("/images/create", params={"fromSrc": "-", "repo": "box"}, data=big)
    assert resp.status == 200
    archive = await save(client, "box")
    root = tmp_path / "other"
    snapshotter = NativeSnapshotter(root / "snapshots")
    service = ImageService(
        ImageStore(Database(root / "dockyard.db")), MemoryContentStore(), snapshotter, EventBus()
    )
    assert service.load(io.BytesIO(archive)) == ["Loaded image: box:latest"]
    assert len(list(snapshotter.walk())) == 1
