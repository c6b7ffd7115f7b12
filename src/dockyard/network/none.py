"""The ``none`` driver: the container gets its own namespace with only ``lo`` (up)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.network.base import Endpoint, EndpointInfo, Network, NetworkDriver
from dockyard.network.host import HostDriver
from dockyard.network.netns import run_in_netns, set_link_up

__all__ = ["NoneDriver"]


class NoneDriver(HostDriver):
    """:class:`~dockyard.network.base.NetworkDriver` for ``--network none``: like ``host``
    there is nothing to program, but the container is sandboxed in a namespace of its own."""

    name = "null"
    sandboxed = True

    def join(self, network: Network, endpoint: Endpoint, netns: Path) -> EndpointInfo:
        """Make sure loopback is up; nothing else is ever added to the namespace."""
        run_in_netns(netns, lambda: set_link_up("lo"))
        return EndpointInfo(ifname="")


if TYPE_CHECKING:
    _conforms: type[NetworkDriver] = NoneDriver
