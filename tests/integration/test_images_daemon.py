"""Images through the real composition root (overlay snapshotter as root) and the daemon."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from dockyard.daemon.config import load_file, merge
from dockyard.daemon.wiring import Engine, build
from dockyard.mount import mount_all, unmount_all
from dockyard.testing.daemon_process import Daemon, destroy_engine_at
from dockyard.testing.isolation import isolated_config

pytestmark = pytest.mark.root

ClientFactory = Callable[[web.Application], Any]
Client = TestClient[Any, Any]


def layer(files: dict[str, bytes | None]) -> bytes:
    """A layer tar; ``None`` content is a whiteout of that path."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            if data is None:
                head, _, base = name.rpartition("/")
                name = f"{head}/.wh.{base}" if head else f".wh.{base}"
                data = b""
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def docker_archive(name: str, layers: list[bytes]) -> bytes:
    """A minimal legacy docker-archive (manifest.json + config + layer tars)."""
    diff_ids = ["sha256:" + hashlib.sha256(data).hexdigest() for data in layers]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": f"layer {i}"} for i in range(len(layers))],
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    members = {config_name: config}
    paths = []
    for diff_id, data in zip(diff_ids, layers, strict=True):
        path = f"{diff_id[7:]}/layer.tar"
        members[path] = data
        paths.append(path)
    manifest = [{"Config": config_name, "RepoTags": [name], "Layers": paths}]
    members["manifest.json"] = json.dumps(manifest).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """The daemon's wiring in-process, isolated like every test daemon (own bridge, nft
    table, subnet); its monitor, which outlives the engine by design, is ended after."""
    config_file = tmp_path / "daemon.json"
    config_file.write_text(json.dumps(isolated_config()))
    flags = {"data_root": str(tmp_path / "data"), "exec_root": str(tmp_path / "exec")}
    engine = build(merge(flags, load_file(config_file)))
    try:
        yield engine
    finally:
        engine.close()
        destroy_engine_at(tmp_path / "exec", tmp_path)


@pytest.fixture
async def client(engine: Engine, aiohttp_client: ClientFactory) -> Client:
    # ``engine`` first: its teardown (ending the monitor) must come after the app's cleanup
    # has closed the monitor client, or the client would start a new monitor.
    client: Client = await aiohttp_client(engine.app)
    return client


async def test_layers_unpack_into_overlay_with_whiteouts(
    client: Client, engine: Engine, tmp_path: Path
) -> None:
    archive = docker_archive(
        "stack:latest",
        [layer({"a": b"1", "b": b"2"}), layer({"b": None, "c": b"3"})],
    )
    resp = await client.post("/images/load", data=archive)
    assert resp.status == 200, await resp.text()
    details = await (await client.get("/images/stack/json")).json()
    assert details["GraphDriver"]["Name"] == "overlay2"
    assert engine.images is not None
    record = engine.images.resolve("stack")
    snapshotter = engine.images._unpacker._snapshotter  # the real overlay snapshotter
    assert type(snapshotter).__name__ == "OverlaySnapshotter"
    mounts = snapshotter.view("check-view", record.top_chain)
    target = tmp_path / "merged"
    target.mkdir()
    mount_all(mounts, target)
    try:
        assert sorted(p.name for p in target.iterdir()) == ["a", "c"]
    finally:
        unmount_all(target)
        snapshotter.remove("check-view")


async def test_images_sharing_a_base_share_its_layer(client: Client) -> None:
    base = layer({"base": b"x" * 1000})
    await client.post("/images/load", data=docker_archive("one:latest", [base]))
    await client.post("/images/load", data=docker_archive("two:latest", [base, layer({"t": b"2"})]))
    df = await (await client.get("/system/df")).json()
    sizes = {tuple(i["RepoTags"]): i["SharedSize"] for i in df["Images"]}
    assert sizes[("one:latest",)] == sizes[("two:latest",)] == 1000
    assert df["LayersSize"] == 1001
    assert all(i["Containers"] == 0 for i in df["Images"])


async def test_info_counts_images(client: Client) -> None:
    await client.post("/images/load", data=docker_archive("one:latest", [layer({"a": b"1"})]))
    assert (await (await client.get("/info")).json())["Images"] == 1


async def test_a_failed_load_leaves_no_snapshot_or_blob(client: Client, engine: Engine) -> None:
    data_root = Path(engine.config.data_root)
    before = sorted((data_root / "content" / "blobs" / "sha256").iterdir())
    bad = docker_archive("bad:latest", [layer({"ok": b"1"}), layer({"../escape": b"x"})])
    resp = await client.post("/images/load", data=bad)
    assert resp.status == 400
    assert sorted((data_root / "content" / "blobs" / "sha256").iterdir()) == before
    assert engine.images is not None
    assert engine.images.count() == 0


def test_daemon_imports_busybox_and_runs_its_lifecycle(daemon: Daemon, busybox_tar: Path) -> None:
    status, body, _ = daemon.request(
        "POST",
        "/v1.45/images/create?fromSrc=-&repo=it-busybox&tag=latest",
        busybox_tar.read_bytes(),
        {"Content-Type": "application/x-tar"},
    )
    assert status == 200, body
    image_id = json.loads(body.splitlines()[-1])["status"]
    status, body, _ = daemon.request("GET", "/v1.45/images/it-busybox/json")
    assert status == 200
    assert json.loads(body)["Id"] == image_id
    status, archive, headers = daemon.request("GET", "/v1.45/images/it-busybox/get")
    assert status == 200
    assert headers["Content-Type"] == "application/x-tar"
    status, body, _ = daemon.request("DELETE", "/v1.45/images/it-busybox")
    assert status == 200
    assert json.loads(body)[-1] == {"Deleted": image_id}
    status, body, _ = daemon.request("POST", "/v1.45/images/load", archive)
    assert status == 200
    assert b"Loaded image: it-busybox:latest" in body
    daemon.request("DELETE", "/v1.45/images/it-busybox")
