"""Networks through the API on a real dockyardd: addresses, published ports, DNS, cleanup.

The session daemon runs with its own bridge, nft table and a 172.30.x subnet (see
tests/conftest.py); traffic only goes from the host's loopback to the containers made here.
"""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from dockyard.testing.daemon_process import Daemon, wait_for
from dockyard.testing.engine_api import EngineApi

pytestmark = [pytest.mark.root, pytest.mark.network]


@pytest.fixture(scope="module")
def image(daemon: Daemon, busybox_tar: Path) -> str:
    status, body, _ = daemon.request(
        "POST", "/v1.45/images/create?fromSrc=-&repo=nettest/busybox&tag=1",
        busybox_tar.read_bytes(),
    )  # fmt: skip
    assert status == 200, body
    return "nettest/busybox:1"


class Api(EngineApi):
    def __init__(self, daemon: Daemon) -> None:
        super().__init__(daemon)
        self.networks: list[str] = []

    def network(self, name: str, **extra: Any) -> str:
        status, body = self.call("POST", "/networks/create", {"Name": name, **extra})
        assert status == 201, body
        self.networks.append(name)
        return str(body["Id"])


@pytest.fixture
def api(daemon: Daemon) -> Iterator[Api]:
    a = Api(daemon)
    try:
        yield a
    finally:
        a.cleanup()
        for name in a.networks:
            a.call("DELETE", f"/networks/{name}")


def _table(daemon: Daemon) -> str:
    return str(json.loads((daemon.data_root.parent / "daemon.json").read_text())["nft-table"])


def _nft_rules(daemon: Daemon) -> str:
    proc = subprocess.run(
        ["nft", "list", "table", "ip", _table(daemon)], capture_output=True, text=True, timeout=30
    )
    return proc.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_container_on_default_bridge_gets_an_address(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "30"])
    net = api.inspect(cid)["NetworkSettings"]
    bridge = net["Networks"]["bridge"]
    assert bridge["IPAddress"] and bridge["IPAddress"] == net["IPAddress"]
    assert bridge["MacAddress"] == "02:42:" + ":".join(
        f"{int(b):02x}" for b in bridge["IPAddress"].split(".")
    )
    assert Path(net["SandboxKey"]).exists()


def test_published_port_on_loopback_reaches_the_container(api: Api, image: str) -> None:
    port = _free_port()
    cid = api.run(
        image, ["httpd", "-f", "-p", "80", "-h", "/var/www"],
        HostConfig={"PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}},
    )  # fmt: skip
    body: list[bytes] = []

    def fetched() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                body.append(resp.read())
                return True
        except OSError:
            return False

    wait_for(fetched, timeout=10)
    assert body[0]
    ports = api.inspect(cid)["NetworkSettings"]["Ports"]
    assert ports["80/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": str(port)}]


def test_host_port_in_use_fails_start_and_leaks_no_rule(
    api: Api, image: str, daemon: Daemon
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = int(holder.getsockname()[1])
        status, body = api.call(
            "POST", "/containers/create",
            {"Image": image, "Cmd": ["sleep", "30"], "HostConfig": {
                "PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}}},
        )  # fmt: skip
        cid = body["Id"]
        api.containers.append(cid)
        status, body = api.call("POST", f"/containers/{cid}/start")
    assert status == 500
    assert f"Bind for 127.0.0.1:{port} failed: port is already allocated" in body["message"]
    assert api.inspect(cid)["State"]["Status"] == "created"
    assert f"dport {port}" not in _nft_rules(daemon)
    assert not (daemon.exec_root / "netns" / cid).exists()


def test_names_resolve_on_a_user_network(api: Api, image: str) -> None:
    api.network("dy-dns-net")
    api.run(image, ["sleep", "30"], name="dns-target", NetworkingConfig={
        "EndpointsConfig": {"dy-dns-net": {"Aliases": ["db"]}}},
        HostConfig={"NetworkMode": "dy-dns-net"})  # fmt: skip
    client = api.run(
        image, ["sh", "-c", "ping -c1 -W2 dns-target && ping -c1 -W2 db"],
        HostConfig={"NetworkMode": "dy-dns-net"},
    )  # fmt: skip
    wait_for(lambda: api.inspect(client)["State"]["Status"] == "exited")
    assert api.inspect(client)["State"]["ExitCode"] == 0


def test_networks_are_isolated_from_each_other(api: Api, image: str) -> None:
    api.network("dy-iso-a")
    api.network("dy-iso-b")
    target = api.run(image, ["sleep", "30"], HostConfig={"NetworkMode": "dy-iso-a"})
    ip = api.inspect(target)["NetworkSettings"]["Networks"]["dy-iso-a"]["IPAddress"]
    probe = api.run(image, ["ping", "-c1", "-W1", ip], HostConfig={"NetworkMode": "dy-iso-b"})
    wait_for(lambda: api.inspect(probe)["State"]["Status"] == "exited")
    assert api.inspect(probe)["State"]["ExitCode"] != 0


def test_network_with_running_container_cannot_be_removed(api: Api, image: str) -> None:
    nid = api.network("dy-busy")
    api.run(image, ["sleep", "30"], HostConfig={"NetworkMode": "dy-busy"})
    status, body = api.call("DELETE", "/networks/dy-busy")
    assert status == 403
    assert body["message"] == (
        f"error while removing network: network dy-busy id {nid} has active endpoints"
    )


def test_stopping_a_container_removes_its_namespace_and_rules(
    api: Api, image: str, daemon: Daemon
) -> None:
    port = _free_port()
    cid = api.run(
        image, ["sleep", "30"],
        HostConfig={"PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}},
    )  # fmt: skip
    assert f"dport {port}" in _nft_rules(daemon)
    assert api.call("POST", f"/containers/{cid}/kill")[0] == 204
    wait_for(lambda: api.inspect(cid)["State"]["Status"] == "exited")
    assert f"dport {port}" not in _nft_rules(daemon)
    assert not (daemon.exec_root / "netns" / cid).exists()
    assert api.inspect(cid)["NetworkSettings"]["Networks"]["bridge"]["IPAddress"] == ""


def test_connect_and_disconnect_a_running_container(api: Api, image: str) -> None:
    api.network("dy-conn")
    subnet = api.call("GET", "/networks/dy-conn")[1]["IPAM"]["Config"][0]["Subnet"]
    wanted = str(IPv4Network(subnet)[77])
    cid = api.run(image, ["sleep", "30"])
    endpoint = {"IPAMConfig": {"IPv4Address": wanted}}
    status, body = api.call(
        "POST", "/networks/dy-conn/connect", {"Container": cid, "EndpointConfig": endpoint}
    )
    assert status == 200, body
    nets = api.inspect(cid)["NetworkSettings"]["Networks"]
    assert nets["dy-conn"]["IPAddress"] == wanted
    members = api.call("GET", "/networks/dy-conn")[1]["Containers"]
    assert members[cid]["IPv4Address"] == f"{wanted}/{IPv4Network(subnet).prefixlen}"
    assert api.call("POST", "/networks/dy-conn/disconnect", {"Container": cid})[0] == 200
    assert "dy-conn" not in api.inspect(cid)["NetworkSettings"]["Networks"]


def test_a_container_connected_at_run_time_resolves_names_on_the_new_network(
    api: Api, image: str
) -> None:
    api.network("dy-late")
    api.run(image, ["sleep", "30"], name="dy-late-peer", HostConfig={"NetworkMode": "dy-late"})
    cid = api.run(image, ["sleep", "30"])  # on the default bridge: host resolvers
    status, body = api.call("POST", "/networks/dy-late/connect", {"Container": cid})
    assert status == 200, body
    code, out = api.exec(cid, ["sh", "-c", "cat /etc/resolv.conf; ping -c1 -W2 dy-late-peer"])
    assert "nameserver 127.0.0.11" in out
    assert code == 0, out


def test_host_and_none_modes(api: Api, image: str) -> None:
    host = api.run(image, ["sleep", "30"], HostConfig={"NetworkMode": "host"})
    none = api.run(image, ["sleep", "30"], HostConfig={"NetworkMode": "none"})
    assert api.inspect(host)["NetworkSettings"]["SandboxKey"] == ""
    assert api.inspect(none)["NetworkSettings"]["Networks"]["none"]["IPAddress"] == ""
