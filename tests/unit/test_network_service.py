"""The network service's logic without the kernel: a recording fake driver, sqlite in tmp."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

import pytest

from dockyard.apitypes.host_config import HostConfig, PortBinding
from dockyard.daemon.networks.filters import list_matcher
from dockyard.daemon.networks.links import link_env, parse_link
from dockyard.daemon.networks.names import NameRegistry
from dockyard.daemon.networks.ports import PortRequest, port_requests
from dockyard.daemon.networks.records import Attachment
from dockyard.daemon.networks.sandbox import Sandboxes
from dockyard.daemon.networks.service import (
    IpamConfig,
    NetworkCreate,
    NetworkService,
    NetworkSettings,
)
from dockyard.daemon.networks.store import NetworkStore
from dockyard.errors import Conflict, DockyardError, Forbidden, InvalidParameter, NotFound
from dockyard.events.bus import EventBus
from dockyard.metadata.db import Database
from dockyard.network.base import (
    ANY_IP,
    Endpoint,
    EndpointInfo,
    Network,
    NetworkDriver,
    PortMapping,
)
from dockyard.network.base import (
    PortBinding as DriverPort,
)
from dockyard.network.ipam import PoolSpec


class FakeDriver:
    name = "bridge"
    sandboxed = True

    def __init__(self) -> None:
        self.networks: dict[str, Network] = {}

    def create(self, network: Network) -> None:
        self.networks[network.id] = network

    def delete(self, network: Network) -> None:
        self.networks.pop(network.id, None)

    def join(self, network: Network, endpoint: Endpoint, netns: Path) -> EndpointInfo:
        return EndpointInfo(ifname=endpoint.ifname, ip=endpoint.ip)

    def leave(self, network: Network, endpoint: Endpoint) -> None:
        return None

    def publish(
        self, network: Network, endpoint: Endpoint, ports: list[DriverPort]
    ) -> list[PortMapping]:
        assert endpoint.ip is not None
        return [
            PortMapping(p.proto, p.host_ip, p.host_port, endpoint.ip, p.container_port)
            for p in ports
        ]

    def unpublish(self, endpoint: Endpoint) -> None:
        return None


@pytest.fixture
def service(tmp_path: Path) -> NetworkService:
    store = NetworkStore(Database(tmp_path / "db"))
    drivers: dict[str, NetworkDriver] = {"bridge": FakeDriver()}
    names = NameRegistry()
    events = EventBus()
    sandboxes = Sandboxes(store, drivers, names, events, tmp_path / "netns", lambda: [])
    settings = NetworkSettings(
        bridge="dyunit0",
        bip="10.99.0.1/24",
        pools=(PoolSpec(IPv4Network("10.98.0.0/23"), 24),),
    )
    svc = NetworkService(
        store, drivers, sandboxes, names, events, settings,
        host_prefixes=lambda: [], container_name=lambda cid: f"c-{cid}",
        link_exists=lambda name: False,
    )  # fmt: skip
    svc.ensure_builtin()
    return svc


def test_predefined_networks_exist_once(service: NetworkService) -> None:
    service.ensure_builtin()
    names = sorted(d.record.name for d in service.list({}))
    assert names == ["bridge", "host", "none"]


def test_default_bridge_takes_bip(service: NetworkService) -> None:
    rec = service.get("bridge")
    assert (rec.subnet, rec.gateway, rec.bridge) == (
        IPv4Network("10.99.0.0/24"),
        IPv4Address("10.99.0.1"),
        "dyunit0",
    )


def test_default_bridge_adopts_the_address_an_existing_bridge_has(tmp_path: Path) -> None:
    """A restart on a new data root must not add a second subnet to the same bridge."""
    store = NetworkStore(Database(tmp_path / "db"))
    drivers: dict[str, NetworkDriver] = {"bridge": FakeDriver()}
    sandboxes = Sandboxes(store, drivers, NameRegistry(), EventBus(), tmp_path / "ns", lambda: [])
    settings = NetworkSettings(
        bridge="dyunit0", bip="", pools=(PoolSpec(IPv4Network("10.98.0.0/23"), 24),)
    )
    svc = NetworkService(
        store, drivers, sandboxes, NameRegistry(), EventBus(), settings,
        host_prefixes=lambda: [IPv4Network("10.97.3.0/24")], container_name=str,
        link_exists=lambda name: True,
        existing_address=lambda name: IPv4Interface("10.97.3.1/24") if name == "dyunit0" else None,
    )  # fmt: skip
    svc.ensure_builtin()
    rec = svc.get("bridge")
    assert (rec.subnet, rec.gateway) == (IPv4Network("10.97.3.0/24"), IPv4Address("10.97.3.1"))


def test_user_network_carves_next_free_pool(service: NetworkService) -> None:
    a = service.create(NetworkCreate("a"))
    b = service.create(NetworkCreate("b"))
    assert (a.subnet, b.subnet) == (IPv4Network("10.98.0.0/24"), IPv4Network("10.98.1.0/24"))
    assert a.bridge == f"br-{a.id[:12]}"


def test_exhausted_pool_is_dockers_error(service: NetworkService) -> None:
    service.create(NetworkCreate("a"))
    service.create(NetworkCreate("b"))
    with pytest.raises(DockyardError, match="could not find an available, non-overlapping"):
        service.create(NetworkCreate("c"))


def test_overlapping_subnet_is_conflict(service: NetworkService) -> None:
    with pytest.raises(Conflict, match="Pool overlaps with other one on this address space"):
        service.create(NetworkCreate("x", ipam=(IpamConfig(subnet="10.99.0.128/25"),)))


def test_duplicate_name_is_conflict(service: NetworkService) -> None:
    service.create(NetworkCreate("dup"))
    with pytest.raises(Conflict, match="network with name dup already exists"):
        service.create(NetworkCreate("dup"))


def test_unknown_driver_is_not_found(service: NetworkService) -> None:
    with pytest.raises(NotFound, match='plugin "overlay" not found'):
        service.create(NetworkCreate("o", driver="overlay"))


def test_existing_host_link_is_never_taken_over(service: NetworkService) -> None:
    service.link_exists = lambda name: name == "eth0"
    with pytest.raises(Conflict, match="eth0 is already in use on the host"):
        service.create(NetworkCreate("e", options={"com.docker.network.bridge.name": "eth0"}))


def test_predefined_network_cannot_be_removed(service: NetworkService) -> None:
    with pytest.raises(Forbidden, match="bridge is a pre-defined network and cannot be removed"):
        service.remove("bridge")


def test_network_with_joined_endpoint_cannot_be_removed(service: NetworkService) -> None:
    rec = service.create(NetworkCreate("busy"))
    att = service.store.attach(Attachment("c1", rec.id))
    service.store.claim(att, "ep1", None)
    with pytest.raises(Forbidden, match=f"network busy id {rec.id} has active endpoints"):
        service.remove("busy")


def test_left_endpoint_gives_its_address_back(service: NetworkService) -> None:
    rec = service.create(NetworkCreate("n"))
    att = service.store.attach(Attachment("c1", rec.id))
    first = service.store.claim(att, "ep1", None)
    service.store.set_left(att)
    again = service.store.claim(att, "ep2", None)
    assert first == again == IPv4Address("10.98.0.2")


def test_requested_address_in_use_is_conflict(service: NetworkService) -> None:
    rec = service.create(NetworkCreate("n"))
    a = service.store.attach(Attachment("c1", rec.id))
    b = service.store.attach(Attachment("c2", rec.id))
    service.store.claim(a, "ep1", IPv4Address("10.98.0.9"))
    with pytest.raises(Conflict):
        service.store.claim(b, "ep2", IPv4Address("10.98.0.9"))


def test_prune_removes_unused_custom_networks_only(service: NetworkService) -> None:
    used = service.create(NetworkCreate("used"))
    service.create(NetworkCreate("idle"))
    service.store.attach(Attachment("c1", used.id))
    assert service.prune({}) == ["idle"]


def test_ls_type_and_dangling_filters(service: NetworkService) -> None:
    service.create(NetworkCreate("mine"))
    custom = [d.record.name for d in service.list({"type": ["custom"]})]
    dangling = [d.record.name for d in service.list({"dangling": ["true"]})]
    assert custom == dangling == ["mine"]


def test_ls_unknown_type_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="invalid filter: 'type'='x'"):
        list_matcher({"type": ["x"]})


def test_dns_names_are_scoped_to_shared_networks() -> None:
    reg = NameRegistry()
    reg.add("c1", "n1", ["web"], IPv4Address("10.0.0.2"))
    reg.add("c2", "n1", ["client"], IPv4Address("10.0.0.3"))
    reg.add("c3", "n2", ["other"], IPv4Address("10.0.1.2"))
    assert reg.lookup("c2", "WEB") == [IPv4Address("10.0.0.2")]
    assert reg.lookup("c3", "web") == []
    reg.remove("c1", "n1")
    assert reg.lookup("c2", "web") == []


def test_port_requests_cover_bindings_ranges_and_publish_all() -> None:
    hc = HostConfig(
        port_bindings={
            "80/tcp": (PortBinding("127.0.0.1", "8080"),),
            "53/udp": (PortBinding("", "5300-5310"),),
        },
        publish_all_ports=True,
    )
    got = port_requests(hc, ("80/tcp", "443/tcp"))
    assert got == [
        PortRequest(53, "udp", ANY_IP, 5300, 5310),
        PortRequest(80, "tcp", IPv4Address("127.0.0.1"), 8080, 8080),
        PortRequest(443, "tcp", ANY_IP, 0, 0),
    ]


def test_invalid_port_spec_is_rejected() -> None:
    hc = HostConfig(port_bindings={"http/tcp": (PortBinding("", "80"),)})
    with pytest.raises(InvalidParameter, match='invalid port specification: "http/tcp"'):
        port_requests(hc, None)


def test_ipv6_host_binding_is_skipped() -> None:
    hc = HostConfig(port_bindings={"80/tcp": (PortBinding("::", "80"),)})
    assert port_requests(hc, None) == []


def test_link_forms() -> None:
    assert parse_link("web:db") == parse_link("/web:/app/db")
    assert parse_link("web").alias == "web"


def test_link_env_is_dockers() -> None:
    env = link_env("app", "db-1", "10.0.0.2", ["5432/tcp"], ["PATH=/bin", "PGUSER=me"])
    assert env == [
        "DB_1_NAME=/app/db-1",
        "DB_1_PORT=tcp://10.0.0.2:5432",
        "DB_1_PORT_5432_TCP=tcp://10.0.0.2:5432",
        "DB_1_PORT_5432_TCP_ADDR=10.0.0.2",
        "DB_1_PORT_5432_TCP_PORT=5432",
        "DB_1_PORT_5432_TCP_PROTO=tcp",
        "DB_1_ENV_PGUSER=me",
    ]
