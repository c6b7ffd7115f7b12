"""Building the network service from the daemon's configuration (called by daemon/wiring.py).

Concrete drivers are named here, next to the composition root: the bridge driver over
Dockyard's own nft table (``nft-table``, default ``dockyard``; none at all with
``"iptables": false``, when published ports go through the userland proxy instead).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.networks.attach import NetworkHooks
from dockyard.daemon.networks.facade import NetworkFacade
from dockyard.daemon.networks.names import NameRegistry
from dockyard.daemon.networks.restore import open_kernel, restore_running
from dockyard.daemon.networks.sandbox import Sandboxes
from dockyard.daemon.networks.service import NetworkService, NetworkSettings
from dockyard.daemon.networks.store import NetworkStore
from dockyard.errors import NotFound
from dockyard.events.bus import EventBus
from dockyard.metadata.db import Database
from dockyard.network.base import NetworkDriver
from dockyard.network.bridge import BridgeDriver, bridge_address
from dockyard.network.host import HostDriver
from dockyard.network.ipam import DEFAULT_POOLS, PoolSpec, host_routed_prefixes
from dockyard.network.nat import NatTable
from dockyard.network.none import NoneDriver
from dockyard.network.resolvconf import upstream_nameservers

__all__ = ["NetworkParts", "build_networks"]

DEFAULT_BRIDGE = "dockyard0"
DEFAULT_TABLE = "dockyard"


def _upstreams() -> list[tuple[str, int]]:
    try:
        text = Path("/etc/resolv.conf").read_text()
    except OSError:
        text = ""
    return [(ns, 53) for ns in upstream_nameservers(text)]


@dataclass
class NetworkParts:
    service: NetworkService
    hooks: NetworkHooks
    facade: NetworkFacade
    nat: NatTable | None
    ctx: ContainerContext
    ip_forward: bool

    async def open_kernel(self, _: web.Application) -> None:
        """Before the container service reconciles: bridges, NAT skeleton, predefined nets."""
        self.service.sandboxes.loop = asyncio.get_running_loop()
        await asyncio.to_thread(open_kernel, self.service, self.nat, ip_forward=self.ip_forward)

    async def restore(self, _: web.Application) -> None:
        """After it: ports, DNS servers and names of running containers; nft reconcile."""
        await asyncio.to_thread(restore_running, self.service, self.ctx.store, self.nat)


def build_networks(
    config: DaemonConfig, db: Database, events: EventBus, ctx: ContainerContext
) -> NetworkParts:
    # pyroute2 logs every netlink message at debug: far too much for `dockyardd -D`.
    logging.getLogger("pyroute2").setLevel(logging.INFO)
    nat = NatTable(config.nft_table or DEFAULT_TABLE) if config.iptables else None
    drivers: dict[str, NetworkDriver] = {
        "bridge": BridgeDriver(nat),
        "host": HostDriver(),
        "null": NoneDriver(),
    }
    store = NetworkStore(db)
    names = NameRegistry()
    sandboxes = Sandboxes(
        store, drivers, names, events, Path(config.exec_root) / "netns", _upstreams,
        userland_proxy=nat is None,
    )  # fmt: skip
    pools = tuple(PoolSpec.parse(p.base, p.size) for p in config.default_address_pools)
    settings = NetworkSettings(
        bridge=config.bridge or DEFAULT_BRIDGE, bip=config.bip, pools=pools or DEFAULT_POOLS
    )

    def container_name(cid: str) -> str:
        with contextlib.suppress(NotFound):
            return ctx.store.get(cid).name
        return ""

    service = NetworkService(
        store, drivers, sandboxes, names, events, settings,
        host_prefixes=host_routed_prefixes, container_name=container_name,
        existing_address=bridge_address,
    )  # fmt: skip
    hooks = NetworkHooks(service, ctx.store, ctx.layout)
    ctx.hooks.append(hooks)
    return NetworkParts(service, hooks, NetworkFacade(service, hooks), nat, ctx, config.ip_forward)
