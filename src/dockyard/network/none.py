"""The ``none`` driver: the container gets its own namespace with only ``lo`` (up)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.network.base import (
    Endpoint,
    EndpointInfo,
    Network,
    NetworkDriver,
    PortBinding,
    PortMapping,
)
from dockyard.network.netns import run_in_netns, set_link_up

__all__ = ["NoneDriver"]


class NoneDriver:
    """:class:`~dockyard.network.base.NetworkDriver` for ``--network none``."""

    name = "null"
    sandboxed = True

    def create(self, network: Network) -> None:
        return None

    def delete(self, network: Network) -> None:
        return None

    def join(self, network: Network, endpoint: Endpoint, netns: Path) -> EndpointInfo:
        """Make sure loopback is up; nothing else is ever added to the namespace."""
        run_in_netns(netns, lambda: set_link_up("lo"))
        return EndpointInfo(ifname="")

    def leave(self, network: Network, endpoint: Endpoint) -> None:
        return None

    def publish(
        self, network: Network, endpoint: Endpoint, ports: list[PortBinding]
    ) -> list[PortMapping]:
        return []

    def unpublish(self, endpoint: Endpoint) -> None:
        return None


if TYPE_CHECKING:
    _conforms: type[NetworkDriver] = NoneDriver
