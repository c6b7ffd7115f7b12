"""The bridge driver, NAT, proxy and embedded DNS against the real kernel.

Safety on a shared machine: every test builds its own *sandbox* namespace that plays the host
(bridges, host veth ends, the nft table ``dockyard_test_<pid>``, published ports and the
"host-local" clients all live in it), so the machine's own interfaces, routes and rulesets
are never touched. Every link and namespace file carries the per-run prefix ``dyt<4 hex>``,
subnets come from the test ranges (dockyard.testing.isolation) minus what the host routes,
and traffic only flows between namespaces the test created. The fixture removes everything
through the driver, asserts nothing is left (in the sandbox and on the host), then deletes
the sandbox.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import TypeVar

import pytest

from dockyard.network import dns_message as dm
from dockyard.network._rtnl import IPRoute
from dockyard.network.base import Endpoint, Network, PortBinding, mac_from_ip
from dockyard.network.bridge import BridgeDriver, enable_ip_forward, host_veth_name
from dockyard.network.dns import NameTable, Resolver, start_in_netns
from dockyard.network.ipam import PoolSpec, choose_subnet, host_routed_prefixes
from dockyard.network.nat import NatTable, endpoint_tag
from dockyard.network.netns import create_netns, delete_netns, netns_path_of_pid, run_in_netns
from dockyard.network.none import NoneDriver
from dockyard.network.proxy import PortAllocated, UserlandProxy, reserve_port
from dockyard.testing.busybox import BUSYBOX
from dockyard.testing.isolation import TEST_RANGES

pytestmark = [
    pytest.mark.root,
    pytest.mark.network,
    pytest.mark.skipif(shutil.which("nft") is None, reason="nft is not installed"),
    pytest.mark.skipif(not BUSYBOX.exists(), reason="busybox-static is not installed"),
    pytest.mark.skipif(shutil.which("nsenter") is None, reason="nsenter is not installed"),
]

T = TypeVar("T")
PREFIX = "dyt" + os.urandom(2).hex()
TABLE = f"dockyard_test_{os.getpid()}"
TEST_POOL = tuple(PoolSpec(IPv4Network(r), 24) for r in TEST_RANGES)
AVOID = [IPv4Network("172.27.0.0/16"), IPv4Network("172.28.250.0/24")]


def _links_with_prefix() -> list[str]:
    with IPRoute() as ipr:
        names = [link.get_attr("IFLA_IFNAME") for link in ipr.get_links()]
    return sorted(n for n in names if n.startswith(PREFIX))


def _nft_tables() -> str:
    return subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout


def _in_ns(ns: Path, *argv: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["nsenter", f"--net={ns}", *argv], capture_output=True, text=True, timeout=timeout
    )


def _ping(ns: Path, ip: IPv4Address) -> bool:
    return _in_ns(ns, str(BUSYBOX), "ping", "-c", "1", "-W", "1", str(ip)).returncode == 0


@dataclass
class Lab:
    root: Path
    sandbox: Path
    nat: NatTable
    driver: BridgeDriver
    stack: ExitStack
    used: list[IPv4Network] = field(default_factory=list)

    def host(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in the sandbox that plays the host."""
        return run_in_netns(self.sandbox, fn)

    def netns(self, name: str) -> Path:
        path = create_netns(self.root / f"{PREFIX}{name}")
        self.stack.callback(delete_netns, path)
        return path

    def network(self, name: str, *, internal: bool = False) -> Network:
        subnet = choose_subnet(TEST_POOL, [*host_routed_prefixes(), *AVOID, *self.used])
        self.used.append(subnet)
        net = Network(
            id=f"{PREFIX}{name}",
            name=name,
            driver="bridge",
            subnet=subnet,
            gateway=subnet.network_address + 1,
            bridge=f"{PREFIX}{name}",
            internal=internal,
        )
        self.host(lambda: self.driver.create(net))
        self.stack.callback(lambda: self.host(lambda: self.driver.delete(net)))
        return net

    def container(self, net: Network, host_no: int, name: str) -> tuple[Path, Endpoint]:
        assert net.subnet is not None
        ns = self.netns(name)
        ep = Endpoint(id=uuid.uuid4().hex, network_id=net.id, ip=net.subnet[host_no])
        self.host(lambda: self.driver.join(net, ep, ns))
        self.stack.callback(lambda: self.host(lambda: self.driver.leave(net, ep)))
        return ns, ep

    def echo_server(self, ns: Path, port: int) -> None:
        """A TCP echo server listening on ``port`` inside ``ns`` (served by a thread here)."""
        srv = run_in_netns(ns, lambda: socket.create_server(("0.0.0.0", port)))

        def serve() -> None:
            while True:
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                with conn:
                    conn.settimeout(5)
                    conn.sendall(conn.recv(1024))

        threading.Thread(target=serve, daemon=True).start()

        def stop() -> None:
            srv.shutdown(socket.SHUT_RDWR)
            srv.close()

        self.stack.callback(stop)

    def roundtrip(self, ip: str, port: int) -> bytes:
        """Connect from the sandbox host to ``ip:port``, send a line, return the echo."""

        def go() -> bytes:
            with socket.create_connection((ip, port), timeout=5) as conn:
                conn.sendall(b"hello dockyard\n")
                return conn.recv(1024)

        return self.host(go)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    outer = ExitStack()
    sandbox = create_netns(tmp_path / f"{PREFIX}host")
    outer.callback(delete_netns, sandbox)
    nat = NatTable(TABLE)
    lab = Lab(tmp_path, sandbox, nat, BridgeDriver(nat, veth_prefix=PREFIX), ExitStack())
    lab.host(lambda: Path("/proc/sys/net/ipv4/ip_forward").write_text("1"))
    try:
        yield lab
        lab.stack.close()
        left_links = lab.host(_links_with_prefix)
        left_rules = [r for r in lab.host(nat.rules) if r.tag not in ("", "jump")]
        lab.host(nat.delete)
        left_table = TABLE in lab.host(_nft_tables)
    finally:
        lab.stack.close()
        outer.close()
    assert left_links == [], "links left in the sandbox"
    assert left_rules == [], "tagged nft rules left behind"
    assert not left_table
    assert _links_with_prefix() == [], "links with the test prefix on the host"
    assert TABLE not in _nft_tables(), "test nft table on the host"
    assert [p for p in tmp_path.iterdir() if p.name.startswith(PREFIX)] == []


def test_two_containers_on_a_bridge_ping_each_other(lab: Lab) -> None:
    net = lab.network("a")
    ns1, _ = lab.container(net, 2, "c1")
    _, ep2 = lab.container(net, 3, "c2")
    assert ep2.ip is not None
    assert _ping(ns1, ep2.ip)


def test_joined_interface_is_eth0_with_docker_mac(lab: Lab) -> None:
    net = lab.network("a")
    ns, ep = lab.container(net, 2, "c1")
    assert ep.ip is not None
    out = _in_ns(ns, "ip", "-o", "link", "show", "eth0").stdout
    assert mac_from_ip(ep.ip) in out


def test_joined_container_routes_by_default_via_gateway(lab: Lab) -> None:
    net = lab.network("a")
    ns, _ = lab.container(net, 2, "c1")
    routes = _in_ns(ns, "ip", "route").stdout
    assert f"default via {net.gateway} dev eth0" in routes


def test_host_veth_is_a_hairpin_bridge_port(lab: Lab) -> None:
    net = lab.network("a")
    _, ep = lab.container(net, 2, "c1")
    name = host_veth_name(PREFIX, ep.id)
    out = _in_ns(lab.sandbox, "ip", "-d", "link", "show", name).stdout
    assert f"master {net.bridge}" in out and "hairpin on" in out


def test_internal_network_has_no_default_route(lab: Lab) -> None:
    net = lab.network("i", internal=True)
    ns, _ = lab.container(net, 2, "c1")
    assert "default" not in _in_ns(ns, "ip", "route").stdout


def test_two_networks_are_isolated(lab: Lab) -> None:
    net_a, net_b = lab.network("a"), lab.network("b")
    ns_a, _ = lab.container(net_a, 2, "c1")
    _, ep_b = lab.container(net_b, 2, "c2")
    assert ep_b.ip is not None and net_b.gateway is not None
    assert _ping(ns_a, net_b.gateway), "routing through the host works"
    assert not _ping(ns_a, ep_b.ip), "forwarding between Dockyard bridges is dropped"


def test_published_port_reachable_via_loopback(lab: Lab) -> None:
    net = lab.network("a")
    ns, ep = lab.container(net, 2, "c1")
    lab.echo_server(ns, 80)
    lab.host(lambda: lab.driver.publish(net, ep, [PortBinding(80, host_port=8080)]))
    assert lab.roundtrip("127.0.0.1", 8080) == b"hello dockyard\n"


def test_published_port_reachable_via_bridge_ip(lab: Lab) -> None:
    net = lab.network("a")
    ns, ep = lab.container(net, 2, "c1")
    lab.echo_server(ns, 80)
    lab.host(lambda: lab.driver.publish(net, ep, [PortBinding(80, host_port=8080)]))
    assert lab.roundtrip(str(net.gateway), 8080) == b"hello dockyard\n"


def test_ephemeral_host_port_is_resolved(lab: Lab) -> None:
    net = lab.network("a")
    ns, ep = lab.container(net, 2, "c1")
    lab.echo_server(ns, 80)
    (mapping,) = lab.host(lambda: lab.driver.publish(net, ep, [PortBinding(80)]))
    assert mapping.host_port != 0
    assert lab.roundtrip("127.0.0.1", mapping.host_port) == b"hello dockyard\n"


def test_container_reaches_its_own_published_port_through_the_host(lab: Lab) -> None:
    net = lab.network("a")
    ns, ep = lab.container(net, 2, "c1")
    lab.echo_server(ns, 80)
    lab.host(lambda: lab.driver.publish(net, ep, [PortBinding(80, host_port=8080)]))

    def go() -> bytes:
        with socket.create_connection((str(net.gateway), 8080), timeout=5) as conn:
            conn.sendall(b"hairpin\n")
            return conn.recv(1024)

    assert run_in_netns(ns, go) == b"hairpin\n"


def test_unpublish_removes_exactly_the_endpoint_rules(lab: Lab) -> None:
    net = lab.network("a")
    _, ep1 = lab.container(net, 2, "c1")
    _, ep2 = lab.container(net, 3, "c2")
    lab.host(lambda: lab.driver.publish(net, ep1, [PortBinding(80, host_port=8080)]))
    lab.host(lambda: lab.driver.publish(net, ep2, [PortBinding(80, host_port=8081)]))
    lab.host(lambda: lab.driver.unpublish(ep1))
    tags = {r.tag for r in lab.host(lab.nat.rules)}
    assert endpoint_tag(ep1.id) not in tags
    assert endpoint_tag(ep2.id) in tags


def test_unpublish_frees_the_host_port(lab: Lab) -> None:
    net = lab.network("a")
    _, ep = lab.container(net, 2, "c1")
    lab.host(lambda: lab.driver.publish(net, ep, [PortBinding(80, host_port=8080)]))
    lab.host(lambda: lab.driver.unpublish(ep))
    lab.host(lambda: reserve_port("tcp", IPv4Address("0.0.0.0"), 8080)).close()


def test_port_in_use_is_refused(lab: Lab) -> None:
    net = lab.network("a")
    _, ep = lab.container(net, 2, "c1")
    taken = lab.host(lambda: socket.create_server(("0.0.0.0", 8080)))
    try:
        with pytest.raises(PortAllocated) as err:
            lab.host(lambda: lab.driver.publish(net, ep, [PortBinding(80, host_port=8080)]))
    finally:
        taken.close()
    assert str(err.value) == "Bind for 0.0.0.0:8080 failed: port is already allocated"


def test_failed_publish_leaves_no_rules(lab: Lab) -> None:
    net = lab.network("a")
    _, ep1 = lab.container(net, 2, "c1")
    _, ep2 = lab.container(net, 3, "c2")
    lab.host(lambda: lab.driver.publish(net, ep1, [PortBinding(80, host_port=8080)]))
    ports = [PortBinding(81, host_port=8082), PortBinding(80, host_port=8080)]
    with pytest.raises(PortAllocated):
        lab.host(lambda: lab.driver.publish(net, ep2, ports))
    assert endpoint_tag(ep2.id) not in {r.tag for r in lab.host(lab.nat.rules)}


def test_reconcile_removes_orphaned_endpoint_rules(lab: Lab) -> None:
    net = lab.network("a")
    _, ep = lab.container(net, 2, "c1")
    lab.host(lambda: lab.driver.publish(net, ep, [PortBinding(80, host_port=8080)]))
    removed = lab.host(lambda: lab.nat.reconcile({f"net:{net.id}"}, {net.bridge}))
    assert {r.tag for r in removed} == {endpoint_tag(ep.id)}
    assert {r.tag for r in lab.host(lab.nat.rules)} == {"jump", f"net:{net.id}"}


def test_leave_and_delete_remove_links_and_rules(lab: Lab) -> None:
    net = lab.network("a")
    ns, ep = lab.container(net, 2, "c1")
    lab.host(lambda: lab.driver.publish(net, ep, [PortBinding(80, host_port=8080)]))
    lab.host(lambda: lab.driver.leave(net, ep))
    lab.host(lambda: lab.driver.delete(net))
    assert lab.host(_links_with_prefix) == []
    assert "eth0" not in _in_ns(ns, "ip", "-o", "link").stdout
    assert {r.tag for r in lab.host(lab.nat.rules)} == {"jump"}


def test_none_driver_leaves_only_loopback(lab: Lab) -> None:
    ns = lab.netns("n")
    net = Network(id="none", name="none", driver="null")
    NoneDriver().join(net, Endpoint(id="e", network_id="none"), ns)
    links = _in_ns(ns, "ip", "-o", "link").stdout.splitlines()
    assert len(links) == 1 and "lo:" in links[0] and "UP" in links[0]


def test_netns_path_of_pid_is_the_process_namespace() -> None:
    path = netns_path_of_pid(os.getpid())
    assert path.stat().st_ino == Path("/proc/self/ns/net").stat().st_ino


def test_userland_proxy_relays_tcp_to_container(lab: Lab) -> None:
    net = lab.network("a")
    ns, ep = lab.container(net, 2, "c1")
    lab.echo_server(ns, 80)
    assert ep.ip is not None
    ip = ep.ip

    async def scenario() -> bytes:
        sock = reserve_port("tcp", IPv4Address("127.0.0.1"), 0)
        proxy = UserlandProxy("tcp", sock, ip, 80)
        await proxy.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
            writer.write(b"via proxy\n")
            data = await asyncio.wait_for(reader.readline(), 5)
            writer.close()
            await writer.wait_closed()
            return data
        finally:
            await proxy.close()

    assert lab.host(lambda: asyncio.run(scenario())) == b"via proxy\n"


def test_userland_proxy_relays_udp_to_container(lab: Lab) -> None:
    net = lab.network("a")
    ns, ep = lab.container(net, 2, "c1")
    assert ep.ip is not None
    ip = ep.ip
    backend = run_in_netns(ns, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    backend.bind(("0.0.0.0", 5353))
    backend.settimeout(5)

    def echo_once() -> None:
        data, addr = backend.recvfrom(1024)
        backend.sendto(data.upper(), addr)

    echo = threading.Thread(target=echo_once, daemon=True)
    echo.start()

    async def scenario() -> bytes:
        sock = reserve_port("udp", IPv4Address("127.0.0.1"), 0)
        proxy = UserlandProxy("udp", sock, ip, 5353)
        await proxy.start()
        loop = asyncio.get_running_loop()
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        client.setblocking(False)
        try:
            await loop.sock_connect(client, sock.getsockname())
            await loop.sock_sendall(client, b"datagram")
            return await asyncio.wait_for(loop.sock_recv(client, 1024), 5)
        finally:
            client.close()
            await proxy.close()

    try:
        assert lab.host(lambda: asyncio.run(scenario())) == b"DATAGRAM"
    finally:
        echo.join(5)
        backend.close()


def test_enable_ip_forward_sets_the_sysctl(lab: Lab) -> None:
    forward = Path("/proc/sys/net/ipv4/ip_forward")
    lab.host(lambda: forward.write_text("0"))
    lab.host(enable_ip_forward)
    assert lab.host(forward.read_text).strip() == "1"


def _query_udp(ns: Path, name: str) -> dm.Message:
    def go() -> bytes:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(dm.encode_query(42, name), ("127.0.0.11", 53))
            return s.recv(4096)

    return dm.parse_message(run_in_netns(ns, go))


def _query_tcp(ns: Path, name: str) -> dm.Message:
    def go() -> bytes:
        with socket.create_connection(("127.0.0.11", 53), timeout=5) as s:
            q = dm.encode_query(43, name)
            s.sendall(len(q).to_bytes(2, "big") + q)
            size = int.from_bytes(s.recv(2), "big")
            data = b""
            while len(data) < size:
                data += s.recv(size - len(data))
            return data

    return dm.parse_message(run_in_netns(ns, go))


async def test_embedded_dns_resolves_registered_name_inside_netns(lab: Lab) -> None:
    ns = lab.netns("d")
    names = NameTable()
    names.add("web", IPv4Address("172.30.99.2"))
    server = await start_in_netns(ns, Resolver(names.lookup, []))
    try:
        reply = await asyncio.to_thread(_query_udp, ns, "web")
    finally:
        await server.close()
    assert [a.address for a in reply.answers] == [IPv4Address("172.30.99.2")]


async def test_embedded_dns_answers_over_tcp(lab: Lab) -> None:
    ns = lab.netns("d")
    names = NameTable()
    names.add("db-alias", IPv4Address("172.30.99.3"))
    server = await start_in_netns(ns, Resolver(names.lookup, []))
    try:
        reply = await asyncio.to_thread(_query_tcp, ns, "db-alias")
    finally:
        await server.close()
    assert [a.address for a in reply.answers] == [IPv4Address("172.30.99.3")]
