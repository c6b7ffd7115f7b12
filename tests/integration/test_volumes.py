"""Volumes through the API on a real dockyardd: named, anonymous, binds, copy-up, rm -v."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard.testing.daemon_process import Daemon, wait_for
from dockyard.testing.engine_api import EngineApi

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def image(daemon: Daemon, busybox_tar: Path) -> str:
    status, body, _ = daemon.request(
        "POST",
        "/v1.45/images/create?fromSrc=-&repo=voltest/busybox&tag=1&changes=VOLUME%20%2Fvar%2Fwww",
        busybox_tar.read_bytes(),
    )
    assert status == 200, body
    return "voltest/busybox:1"


class Api(EngineApi):
    def __init__(self, daemon: Daemon) -> None:
        super().__init__(daemon)
        self.volumes: list[str] = []

    def create(self, image: str, cmd: list[str], name: str = "", **config: Any) -> str:
        """Here keyword arguments are the HostConfig, the part of a container volumes live in."""
        return super().create(image, cmd, name, HostConfig=config)

    def run_to_exit(self, image: str, cmd: list[str], **host: Any) -> int:
        cid = self.create(image, cmd, **host)
        self.start(cid)
        wait_for(lambda: self.status(cid) == "exited")
        return int(self.state(cid)["ExitCode"])

    def volume(self, name: str) -> dict[str, Any]:
        status, body = self.call("POST", "/volumes/create", {"Name": name})
        assert status == 201, body
        self.volumes.append(name)
        return dict(body)


@pytest.fixture
def api(daemon: Daemon) -> Iterator[Api]:
    a = Api(daemon)
    try:
        yield a
    finally:
        a.cleanup(remove_volumes=True)
        for name in a.volumes:
            a.call("DELETE", f"/volumes/{name}?force=1")


def test_named_volume_persists_across_containers(api: Api, image: str) -> None:
    api.volume("dy-persist")
    assert (
        api.run_to_exit(image, ["sh", "-c", "echo kept > /data/f"], Binds=["dy-persist:/data"]) == 0
    )
    assert (
        api.run_to_exit(image, ["grep", "-q", "kept", "/data/f"], Binds=["dy-persist:/data"]) == 0
    )


def test_volume_of_a_stopped_container_is_in_use(api: Api, image: str) -> None:
    api.volume("dy-inuse")
    cid = api.create(image, ["true"], Binds=["dy-inuse:/data"])
    status, body = api.call("DELETE", "/volumes/dy-inuse")
    assert status == 409
    assert body["message"] == f"remove dy-inuse: volume is in use - [{cid}]"


def test_missing_named_volume_is_created_on_use(api: Api, image: str) -> None:
    api.volumes.append("dy-implicit")
    api.create(image, ["true"], Binds=["dy-implicit:/data"])
    assert api.call("GET", "/volumes/dy-implicit")[0] == 200


def test_image_volume_is_anonymous_with_the_image_content(api: Api, image: str) -> None:
    assert api.run_to_exit(image, ["test", "-s", "/var/www/index.html"]) == 0
    mount = api.inspect(api.containers[-1])["Mounts"][0]
    status, vol = api.call("GET", f"/volumes/{mount['Name']}")
    assert status == 200
    assert "com.docker.volume.anonymous" in vol["Labels"]


def test_rm_v_removes_anonymous_volumes_only(api: Api, image: str) -> None:
    api.volume("dy-named-keep")
    cid = api.create(image, ["true"], Binds=["dy-named-keep:/data"])
    anon = next(m["Name"] for m in api.inspect(cid)["Mounts"] if m["Destination"] == "/var/www")
    assert api.call("DELETE", f"/containers/{cid}?v=1")[0] == 204
    assert api.call("GET", f"/volumes/{anon}")[0] == 404
    assert api.call("GET", "/volumes/dy-named-keep")[0] == 200


def test_missing_host_path_of_a_bind_is_created(api: Api, image: str, tmp_path: Path) -> None:
    host = tmp_path / "made" / "here"
    api.create(image, ["true"], Binds=[f"{host}:/h:ro"])
    assert host.is_dir()
    bind = next(m for m in api.inspect(api.containers[-1])["Mounts"] if m["Type"] == "bind")
    assert (bind["Source"], bind["RW"], bind["Mode"]) == (str(host), False, "ro")


def test_missing_mount_bind_source_is_an_error(api: Api, image: str) -> None:
    status, body = api.call(
        "POST",
        "/containers/create",
        {"Image": image, "Cmd": ["true"], "HostConfig": {"Mounts": [
            {"Type": "bind", "Source": "/nonexistent-dy", "Target": "/x"}]}},
    )  # fmt: skip
    assert status == 400
    assert body["message"] == (
        'invalid mount config for type "bind": bind source path does not exist: /nonexistent-dy'
    )


def test_volume_name_with_slash_is_rejected(api: Api) -> None:
    status, body = api.call("POST", "/volumes/create", {"Name": "a/b"})
    assert status == 400
    assert "includes invalid characters for a local volume name" in body["message"]


def test_df_reports_volume_usage(api: Api, image: str) -> None:
    api.volume("dy-df")
    api.create(image, ["true"], Binds=["dy-df:/data"])
    df = api.call("GET", "/system/df")[1]
    entry = next(v for v in df["Volumes"] if v["Name"] == "dy-df")
    assert entry["UsageData"]["RefCount"] == 1
