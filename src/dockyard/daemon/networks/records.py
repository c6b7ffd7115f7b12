"""What the network service persists: networks and container attachments.

A :class:`NetworkRecord` is a network as the API knows it (name, driver, IPAM settings,
labels); :meth:`NetworkRecord.driver_view` is what a driver is handed. An
:class:`Attachment` is one container on one network, from ``create``/``connect`` to
``rm``/``disconnect``; it is *joined* (``endpoint_id``/``ip``/``mac`` set) only while the
container runs, as in Docker, where a stopped container holds no address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from dockyard.network.base import Network, PortMapping

__all__ = ["BUILTIN", "Attachment", "NetworkRecord"]

#: Networks every daemon has and nobody may remove.
BUILTIN = ("bridge", "host", "none")


@dataclass(frozen=True, slots=True)
class NetworkRecord:
    id: str
    name: str
    driver: str
    created: float
    subnet: IPv4Network | None = None
    gateway: IPv4Address | None = None
    ip_range: IPv4Network | None = None
    bridge: str = ""
    internal: bool = False
    attachable: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)

    @property
    def builtin(self) -> bool:
        return self.name in BUILTIN

    @property
    def user_defined(self) -> bool:
        """Docker gives only these the embedded DNS and network-scoped aliases."""
        return not self.builtin

    def driver_view(self) -> Network:
        return Network(
            id=self.id,
            name=self.name,
            driver=self.driver,
            subnet=self.subnet,
            gateway=self.gateway,
            bridge=self.bridge,
            internal=self.internal,
            mtu=int(self.options.get("com.docker.network.driver.mtu", "1500") or 1500),
        )


@dataclass(frozen=True, slots=True)
class Attachment:
    """``position`` orders a container's networks (the first gives the default route)."""

    container_id: str
    network_id: str
    endpoint_id: str = ""
    ip: IPv4Address | None = None
    mac: str = ""
    requested_ip: IPv4Address | None = None
    aliases: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    ports: tuple[PortMapping, ...] = ()
    position: int = 0

    @property
    def joined(self) -> bool:
        return bool(self.endpoint_id)
