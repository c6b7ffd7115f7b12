"""The ``host`` driver: containers share the host's network namespace, so there is nothing
to program; ports are the host's own (Docker ignores ``-p`` here, and so do we)."""

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

__all__ = ["HostDriver"]


class HostDriver:
    """:class:`~dockyard.network.base.NetworkDriver` for ``--network host``."""

    name = "host"
    sandboxed = False

    def create(self, network: Network) -> None:
        return None

    def delete(self, network: Network) -> None:
        return None

    def join(self, network: Network, endpoint: Endpoint, netns: Path) -> EndpointInfo:
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
    _conforms: type[NetworkDriver] = HostDriver
