"""The docker CLI 28 and docker-py, unchanged, use networks, published ports and volumes.

Traffic goes only from the host's loopback to containers this module starts; networks and
volumes carry a ``dyc-`` prefix and are removed in ``finally`` blocks.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator

import docker as dockerpy
import pytest

from dockyard.testing.daemon_process import Daemon, wait_for
from dockyard.testing.docker_cli import docker

pytestmark = [pytest.mark.compat, pytest.mark.root, pytest.mark.network]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bytes(resp.read())
    except OSError:
        return None


@pytest.fixture
def cleanup(daemon: Daemon) -> Iterator[list[tuple[str, str]]]:
    """(kind, name) pairs to remove at the end: containers first, then networks/volumes."""
    made: list[tuple[str, str]] = []
    try:
        yield made
    finally:
        order = {"container": 0, "network": 1, "volume": 2}
        for kind, name in sorted(made, key=lambda m: order[m[0]]):
            args = {"container": ["rm", "-f", "-v"], "network": ["network", "rm"]}.get(
                kind, ["volume", "rm", "-f"]
            )
            docker(daemon.host, *args, name, check=False)


def test_httpd_published_on_loopback_answers_curl(
    daemon: Daemon, busybox_image: str, cleanup: list[tuple[str, str]]
) -> None:
    port = _free_port()
    cleanup.append(("container", "dyc-web"))
    docker(
        daemon.host, "run", "-d", "--name", "dyc-web", "-p", f"127.0.0.1:{port}:80",
        busybox_image, "httpd", "-f", "-p", "80", "-h", "/var/www",
    )  # fmt: skip
    body: list[bytes] = []
    wait_for(lambda: bool(body.append(_get(f"http://127.0.0.1:{port}/") or b"") or body[-1]))
    assert body[-1]
    out = docker(daemon.host, "port", "dyc-web").stdout.decode()
    assert out.strip() == f"80/tcp -> 127.0.0.1:{port}"


def test_publish_all_maps_exposed_ports(
    daemon: Daemon, busybox_image: str, cleanup: list[tuple[str, str]]
) -> None:
    cleanup.append(("container", "dyc-pall"))
    docker(
        daemon.host, "run", "-d", "--name", "dyc-pall", "-P", "--expose", "80",
        busybox_image, "httpd", "-f", "-p", "80", "-h", "/var/www",
    )  # fmt: skip
    out = docker(daemon.host, "port", "dyc-pall", "80/tcp").stdout.decode().split()
    port = int(out[0].rsplit(":", 1)[1])
    assert port > 0
    assert (
        "dyc-pall" in docker(daemon.host, "ps", "--format", "{{.Names}} {{.Ports}}").stdout.decode()
    )


def test_invalid_port_spec_is_refused(daemon: Daemon, busybox_image: str) -> None:
    proc = docker(daemon.host, "run", "--rm", "-p", "80:abc", busybox_image, "true", check=False)
    assert proc.returncode != 0
    assert b"invalid containerPort: abc" in proc.stderr


def test_network_lifecycle_and_ping_by_name(
    daemon: Daemon, busybox_image: str, cleanup: list[tuple[str, str]]
) -> None:
    cleanup += [("network", "dyc-net"), ("container", "dyc-srv")]
    docker(daemon.host, "network", "create", "--label", "team=a", "dyc-net")
    listed = docker(
        daemon.host, "network", "ls", "--filter", "label=team=a", "--format", "{{.Name}}"
    )
    assert listed.stdout.decode().split() == ["dyc-net"]
    docker(daemon.host, "run", "-d", "--name", "dyc-srv", "--network", "dyc-net", busybox_image,
           "sleep", "60")  # fmt: skip
    docker(daemon.host, "run", "--rm", "--network", "dyc-net", busybox_image,
           "ping", "-c1", "-W2", "dyc-srv")  # fmt: skip
    info = json.loads(docker(daemon.host, "network", "inspect", "dyc-net").stdout)[0]
    assert [c["Name"] for c in info["Containers"].values()] == ["dyc-srv"]
    proc = docker(daemon.host, "network", "rm", "dyc-net", check=False)
    assert b"has active endpoints" in proc.stderr


def test_connect_disconnect_and_link(
    daemon: Daemon, busybox_image: str, cleanup: list[tuple[str, str]]
) -> None:
    cleanup += [("network", "dyc-side"), ("container", "dyc-a")]
    docker(daemon.host, "network", "create", "dyc-side")
    docker(daemon.host, "run", "-d", "--name", "dyc-a", busybox_image, "sleep", "60")
    docker(daemon.host, "network", "connect", "--alias", "alpha", "dyc-side", "dyc-a")
    nets = json.loads(
        docker(daemon.host, "inspect", "-f", "{{json .NetworkSettings.Networks}}", "dyc-a").stdout
    )
    assert set(nets) == {"bridge", "dyc-side"} and nets["dyc-side"]["Aliases"] == ["alpha"]
    docker(daemon.host, "network", "disconnect", "dyc-side", "dyc-a")
    out = docker(
        daemon.host, "run", "--rm", "--link", "dyc-a:db", busybox_image,
        "sh", "-c", "ping -c1 -W2 db >/dev/null && echo $DB_NAME",
    ).stdout.decode()  # fmt: skip
    assert out.strip().endswith("/db")


def test_overlapping_subnet_is_refused(daemon: Daemon, cleanup: list[tuple[str, str]]) -> None:
    cleanup.append(("network", "dyc-o1"))
    docker(daemon.host, "network", "create", "dyc-o1")
    info = json.loads(docker(daemon.host, "network", "inspect", "dyc-o1").stdout)[0]
    subnet = info["IPAM"]["Config"][0]["Subnet"]
    proc = docker(daemon.host, "network", "create", "--subnet", subnet, "dyc-o2", check=False)
    assert b"Pool overlaps with other one on this address space" in proc.stderr


def test_volume_cli_lifecycle_and_persistence(
    daemon: Daemon, busybox_image: str, cleanup: list[tuple[str, str]]
) -> None:
    cleanup.append(("volume", "dyc-vol"))
    assert docker(daemon.host, "volume", "create", "dyc-vol").stdout.decode().strip() == "dyc-vol"
    docker(daemon.host, "run", "--rm", "-v", "dyc-vol:/data", busybox_image,
           "sh", "-c", "echo persisted > /data/f")  # fmt: skip
    out = docker(daemon.host, "run", "--rm", "-v", "dyc-vol:/data", busybox_image, "cat", "/data/f")
    assert out.stdout.decode().strip() == "persisted"
    names = docker(daemon.host, "volume", "ls", "-q").stdout.decode().split()
    assert "dyc-vol" in names
    info = json.loads(docker(daemon.host, "volume", "inspect", "dyc-vol").stdout)[0]
    assert info["Driver"] == "local"
    docker(daemon.host, "volume", "rm", "dyc-vol")


def test_volume_in_use_cannot_be_removed(
    daemon: Daemon, busybox_image: str, cleanup: list[tuple[str, str]]
) -> None:
    cleanup += [("volume", "dyc-busy"), ("container", "dyc-holder")]
    docker(daemon.host, "create", "--name", "dyc-holder", "-v", "dyc-busy:/d", busybox_image)
    proc = docker(daemon.host, "volume", "rm", "dyc-busy", check=False)
    assert b"volume is in use" in proc.stderr


def test_docker_py_networks_and_volumes(daemon: Daemon, busybox_image: str) -> None:
    client = dockerpy.DockerClient(base_url=daemon.host)
    net = vol = container = None
    try:
        net = client.networks.create("dyc-py-net", labels={"k": "v"})
        vol = client.volumes.create("dyc-py-vol")
        container = client.containers.run(
            busybox_image, ["sleep", "60"], detach=True, network="dyc-py-net",
            volumes={"dyc-py-vol": {"bind": "/data", "mode": "rw"}},
        )  # fmt: skip
        net.reload()
        assert [c.id for c in net.containers] == [container.id]
        assert client.volumes.get("dyc-py-vol").name == "dyc-py-vol"
        assert "dyc-py-net" in [n.name for n in client.networks.list(names=["dyc-py-net"])]
    finally:
        if container is not None:
            container.remove(force=True)
        if net is not None:
            net.remove()
        if vol is not None:
            vol.remove()
        client.close()
