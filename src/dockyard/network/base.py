"""What a network driver is: the types the daemon hands it and the lifecycle it follows.

The daemon owns identity and persistence (network and endpoint records, the IPAM
:class:`~dockyard.network.ipam.AddressSpace`); a driver owns only kernel objects. Lifecycle::

    create(network)                      once per network (after IPAM gave it a subnet)
      join(network, endpoint, netns)     once per container attached; netns already exists
        publish(network, endpoint, ports)  at most once per join; host ports held until ...
        unpublish(endpoint)              ... here (idempotent)
      leave(network, endpoint)           idempotent; also fine when the netns is gone
    delete(network)                      idempotent; every endpoint has left before

Every kernel object a driver creates is named or tagged from the network/endpoint id, so a
second call after a crash finds and removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Literal, Protocol

__all__ = [
    "Endpoint",
    "EndpointInfo",
    "Network",
    "NetworkDriver",
    "PortBinding",
    "PortMapping",
    "mac_from_ip",
]

Proto = Literal["tcp", "udp"]

ANY_IP = IPv4Address("0.0.0.0")


def mac_from_ip(ip: IPv4Address) -> str:
    """Docker's deterministic MAC: ``02:42`` then the four address bytes (172.17.0.2 ->
    ``02:42:ac:11:00:02``)."""
    return "02:42:" + ":".join(f"{b:02x}" for b in ip.packed)


@dataclass(frozen=True, slots=True)
class Network:
    """A network as a driver sees it; ``bridge`` is the kernel link name (``dockyard0``,
    ``br-<id[:12]>``) and is empty for drivers without one."""

    id: str
    name: str
    driver: str
    subnet: IPv4Network | None = None
    gateway: IPv4Address | None = None
    bridge: str = ""
    internal: bool = False
    mtu: int = 1500


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One container's attachment to one network; ``ip`` comes from IPAM."""

    id: str
    network_id: str
    ip: IPv4Address | None = None
    mac: str = ""
    ifname: str = "eth0"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EndpointInfo:
    """What a join produced, for ``NetworkSettings`` in inspect."""

    ifname: str
    host_ifname: str = ""
    ip: IPv4Address | None = None
    prefixlen: int = 0
    gateway: IPv4Address | None = None
    mac: str = ""


@dataclass(frozen=True, slots=True)
class PortBinding:
    """A ``-p`` request: ``host_port`` 0 means an ephemeral port chosen at publish."""

    container_port: int
    proto: Proto = "tcp"
    host_ip: IPv4Address = ANY_IP
    host_port: int = 0


@dataclass(frozen=True, slots=True)
class PortMapping:
    """A port as published: the host side is resolved, the container side is concrete."""

    proto: Proto
    host_ip: IPv4Address
    host_port: int
    container_ip: IPv4Address
    container_port: int


class NetworkDriver(Protocol):
    """Programs the kernel for one kind of network (bridge, host, none).

    ``sandboxed`` is False when containers share the host's namespace (host driver): the
    daemon then creates no netns. Errors are :mod:`dockyard.errors` classes; a failed
    ``create``/``join``/``publish`` leaves nothing behind.
    """

    name: str
    sandboxed: bool

    def create(self, network: Network) -> None:
        """Make the network's kernel objects (bridge up with the gateway address, NAT)."""
        ...

    def delete(self, network: Network) -> None:
        """Remove everything ``create`` made; a network already gone is not an error."""
        ...

    def join(self, network: Network, endpoint: Endpoint, netns: Path) -> EndpointInfo:
        """Attach the namespace at ``netns`` (an interface, address, routes)."""
        ...

    def leave(self, network: Network, endpoint: Endpoint) -> None:
        """Undo ``join``; idempotent, and fine after the namespace was deleted."""
        ...

    def publish(
        self, network: Network, endpoint: Endpoint, ports: list[PortBinding]
    ) -> list[PortMapping]:
        """Hold the host ports and forward them to the endpoint; all or nothing.

        A host port already taken raises ``PortAllocated`` (``Bind for 0.0.0.0:8080 failed:
        port is already allocated``).
        """
        ...

    def unpublish(self, endpoint: Endpoint) -> None:
        """Release every port ``publish`` took for ``endpoint``; idempotent."""
        ...
