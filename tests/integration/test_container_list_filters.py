"""``GET /containers/json`` filters that look at networks, volumes and ports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from dockyard.testing.daemon_process import Daemon
from dockyard.testing.engine_api import call

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def setup(daemon: Daemon, busybox_tar: Path) -> Iterator[dict[str, str]]:
    status, _, _ = daemon.request(
        "POST", "/v1.45/images/create?fromSrc=-&repo=filters&tag=1", busybox_tar.read_bytes()
    )
    assert status == 200
    assert call(daemon, "POST", "/networks/create", {"Name": "flt-net"})[0] == 201
    made: dict[str, str] = {}

    def run(name: str, **host: Any) -> None:
        body = {"Image": "filters:1", "Cmd": ["sleep", "300"], "HostConfig": host}
        if "PortBindings" in host:
            body["ExposedPorts"] = {k: {} for k in host["PortBindings"]}
        status, created = call(daemon, "POST", f"/containers/create?name={name}", body)
        assert status == 201, created
        made[name] = created["Id"]
        assert call(daemon, "POST", f"/containers/{created['Id']}/start")[0] == 204

    try:
        run("flt-on-net", NetworkMode="flt-net")
        run("flt-with-vol", Binds=["flt-vol:/data"], NetworkMode="none")
        run("flt-published", PortBindings={"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "0"}]})
        yield made
    finally:
        for cid in made.values():
            call(daemon, "DELETE", f"/containers/{cid}?force=1&v=1")
        call(daemon, "DELETE", "/networks/flt-net")
        call(daemon, "DELETE", "/volumes/flt-vol")


def names(d: Daemon, filters: dict[str, list[str]]) -> set[str]:
    status, body = call(d, "GET", "/containers/json?filters=" + quote(json.dumps(filters)))
    assert status == 200, body
    return {c["Names"][0].lstrip("/") for c in body if c["Names"][0].startswith("/flt-")}


def test_network_filter_matches_network_name(daemon: Daemon, setup: dict[str, str]) -> None:
    assert names(daemon, {"network": ["flt-net"]}) == {"flt-on-net"}


def test_volume_filter_matches_volume_name_or_destination(
    daemon: Daemon, setup: dict[str, str]
) -> None:
    assert names(daemon, {"volume": ["flt-vol"]}) == {"flt-with-vol"}
    assert names(daemon, {"volume": ["/data"]}) == {"flt-with-vol"}


def test_expose_filter_matches_the_private_port(daemon: Daemon, setup: dict[str, str]) -> None:
    assert names(daemon, {"expose": ["80"]}) == {"flt-published"}
    assert names(daemon, {"expose": ["80/udp"]}) == set()


def test_publish_filter_matches_the_host_port(daemon: Daemon, setup: dict[str, str]) -> None:
    _, body = call(daemon, "GET", f"/containers/{setup['flt-published']}/json")
    host_port = body["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
    assert names(daemon, {"publish": [host_port]}) == {"flt-published"}
    assert names(daemon, {"publish": ["1"]}) == set()


def test_bad_port_in_filter_is_400(daemon: Daemon, setup: dict[str, str]) -> None:
    status, body = call(daemon, "GET", "/containers/json?filters=" + quote('{"publish":["x"]}'))
    assert status == 400
    assert "invalid filter 'publish=x'" in body["message"]
