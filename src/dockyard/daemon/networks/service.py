"""The network service: the ``/networks`` verbs and the predefined networks.

``bridge`` (the default bridge, link ``dockyard0`` or daemon.json ``bridge``, subnet from
``bip`` or the first default pool no host route overlaps), ``host`` and ``none`` always
exist. User networks use the bridge driver only. Errors are Docker's (20.10) words:

* create: ``network with name x already exists`` (409), ``Pool overlaps with other one on
  this address space`` (409), ``could not find an available, non-overlapping IPv4 address
  pool among the defaults to assign to the network`` (500), ``plugin "x" not found`` (404);
* rm: ``bridge is a pre-defined network and cannot be removed`` (403), ``error while
  removing network: network x id <id> has active endpoints`` (403);
* connect: ``endpoint with name c already exists in network x`` (403).

Blocking: every method runs in a worker thread (the routes use ``asyncio.to_thread``).
"""

from __future__ import annotations

import builtins
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

from dockyard.apitypes.filters import Filters
from dockyard.daemon.networks.filters import list_matcher, prune_matcher
from dockyard.daemon.networks.names import NameRegistry
from dockyard.daemon.networks.records import Attachment, NetworkRecord
from dockyard.daemon.networks.sandbox import Sandboxes
from dockyard.daemon.networks.store import NetworkStore
from dockyard.errors import Conflict, Forbidden, InvalidParameter, NotFound, NotImplementedYet
from dockyard.events.bus import EventBus
from dockyard.network.base import NetworkDriver
from dockyard.network.ipam import DEFAULT_POOLS, PoolSpec, choose_subnet, parse_bip
from dockyard.util.ids import random_id

__all__ = ["IpamConfig", "NetworkCreate", "NetworkDetails", "NetworkService", "NetworkSettings"]

log = logging.getLogger(__name__)

BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    """The daemon's networking configuration (from daemon.json)."""

    bridge: str = "dockyard0"
    bip: str = ""
    pools: tuple[PoolSpec, ...] = DEFAULT_POOLS


@dataclass(frozen=True, slots=True)
class IpamConfig:
    subnet: str = ""
    ip_range: str = ""
    gateway: str = ""


@dataclass(frozen=True, slots=True)
class NetworkCreate:
    name: str
    driver: str = "bridge"
    internal: bool = False
    attachable: bool = False
    enable_ipv6: bool = False
    ipam: tuple[IpamConfig, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NetworkDetails:
    """A network and the containers joined to it now: (container id, name, attachment)."""

    record: NetworkRecord
    containers: tuple[tuple[str, str, Attachment], ...] = ()


def link_exists(name: str) -> bool:
    return Path(f"/sys/class/net/{name}").exists()


def is_bridge(name: str) -> bool:
    return Path(f"/sys/class/net/{name}/bridge").exists()


def _cidr(text: str, what: str) -> IPv4Network:
    try:
        return IPv4Network(text, strict=False)
    except ValueError as err:
        raise InvalidParameter(f"invalid {what}: {text}") from err


def _address(text: str) -> IPv4Address:
    try:
        return IPv4Address(text)
    except ValueError as err:
        raise InvalidParameter(f"invalid gateway address: {text}") from err


class NetworkService:
    def __init__(
        self,
        store: NetworkStore,
        drivers: dict[str, NetworkDriver],
        sandboxes: Sandboxes,
        names: NameRegistry,
        events: EventBus,
        settings: NetworkSettings,
        *,
        host_prefixes: Callable[[], Sequence[IPv4Network]],
        container_name: Callable[[str], str],
        link_exists: Callable[[str], bool] = link_exists,
        existing_address: Callable[[str], IPv4Interface | None] = lambda _: None,
    ) -> None:
        self.store = store
        self.drivers = drivers
        self.sandboxes = sandboxes
        self.names = names
        self.events = events
        self.settings = settings
        self.host_prefixes = host_prefixes
        self.container_name = container_name
        self.link_exists = link_exists
        self.existing_address = existing_address

    # -- predefined networks ----------------------------------------------------------------

    def ensure_builtin(self) -> None:
        """Create the records of bridge/host/none once (the first start of a data root)."""
        have = {r.name for r in self.store.list()}
        now = time.time()
        if "bridge" not in have:
            self._create_default_bridge(now)
        for name, driver in (("host", "host"), ("none", "null")):
            if name not in have:
                self.store.add(NetworkRecord(random_id(), name, driver, now), None)

    def _create_default_bridge(self, now: float) -> None:
        gateway: IPv4Address | None = None
        existing = self.existing_address(self.settings.bridge)
        if self.settings.bip:
            subnet, gateway = parse_bip(self.settings.bip)
        elif existing is not None:
            subnet, gateway = existing.network, existing.ip
        else:
            subnet = choose_subnet(self.settings.pools, self.host_prefixes())
        space = self.store.address_space()
        nid = random_id()
        space, pool = space.request_pool(nid, subnet=subnet, gateway=gateway)
        options = {
            "com.docker.network.bridge.default_bridge": "true",
            "com.docker.network.bridge.enable_icc": "true",
            "com.docker.network.bridge.enable_ip_masquerade": "true",
            "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
            BRIDGE_NAME_OPTION: self.settings.bridge,
            "com.docker.network.driver.mtu": "1500",
        }
        rec = NetworkRecord(
            nid, "bridge", "bridge", now, subnet=pool.subnet, gateway=pool.gateway,
            bridge=self.settings.bridge, options=options,
        )  # fmt: skip
        self.store.add(rec, pool)

    def create_kernel_objects(self) -> None:
        """Bridges (and their NAT rules) of every bridge network; idempotent, at start.

        A link of a bridge's name that is not a bridge stops the start: Dockyard never
        programs an interface it did not make.
        """
        for rec in self.store.list():
            if rec.driver != "bridge":
                continue
            if self.link_exists(rec.bridge) and not is_bridge(rec.bridge):
                raise InvalidParameter(
                    f"network {rec.name}: {rec.bridge} exists on the host and is not a bridge"
                )
            self.drivers["bridge"].create(rec.driver_view())

    # -- lookups ----------------------------------------------------------------------------

    def get(self, ref: str) -> NetworkRecord:
        return self.store.find(ref)

    def records(self) -> dict[str, NetworkRecord]:
        return {r.id: r for r in self.store.list()}

    def details(self, rec: NetworkRecord) -> NetworkDetails:
        joined = [a for a in self.store.attachments(network_id=rec.id) if a.joined]
        return NetworkDetails(
            rec, tuple((a.container_id, self.container_name(a.container_id), a) for a in joined)
        )

    def inspect(self, ref: str) -> NetworkDetails:
        return self.details(self.get(ref))

    def list(self, filters: Filters) -> builtins.list[NetworkDetails]:
        ok = list_matcher(filters)
        used = {a.network_id for a in self.store.attachments()}
        return [NetworkDetails(rec) for rec in self.store.list() if ok(rec, rec.id in used)]

    # -- create / remove --------------------------------------------------------------------

    def create(self, req: NetworkCreate) -> NetworkRecord:
        driver = req.driver or "bridge"
        if not req.name:
            raise InvalidParameter("network name must not be empty")
        if driver in ("host", "null"):
            raise Forbidden(f'only one instance of "{driver}" network is allowed')
        if driver != "bridge":
            raise NotFound(f'plugin "{driver}" not found')
        if req.enable_ipv6:
            raise NotImplementedYet("IPv6 networks are not supported by this engine")
        if any(r.name == req.name for r in self.store.list()):
            raise Conflict(f"network with name {req.name} already exists")
        nid = random_id()
        bridge = req.options.get(BRIDGE_NAME_OPTION) or f"br-{nid[:12]}"
        if len(bridge) > 15 or any(r.bridge == bridge for r in self.store.list()):
            raise Conflict(f"bridge name {bridge} is invalid or already in use")
        if self.link_exists(bridge):
            # Never take over a link Dockyard did not make (eth0, another engine's bridge).
            raise Conflict(f"bridge name {bridge} is already in use on the host")
        ipam = next((c for c in req.ipam if ":" not in c.subnet), IpamConfig())
        subnet = _cidr(ipam.subnet, "subnet") if ipam.subnet else None
        _, pool = self.store.address_space().request_pool(
            nid,
            host_prefixes=self.host_prefixes() if subnet is None else (),
            defaults=self.settings.pools,
            subnet=subnet,
            gateway=_address(ipam.gateway) if ipam.gateway else None,
            ip_range=_cidr(ipam.ip_range, "ip-range") if ipam.ip_range else None,
        )
        rec = NetworkRecord(
            nid, req.name, driver, time.time(), subnet=pool.subnet, gateway=pool.gateway,
            ip_range=pool.ip_range, bridge=bridge, internal=req.internal,
            attachable=req.attachable, labels=dict(req.labels), options=dict(req.options),
        )  # fmt: skip
        self.drivers[driver].create(rec.driver_view())
        try:
            self.store.add(rec, pool)
        except BaseException:
            self.drivers[driver].delete(rec.driver_view())
            raise
        self.events.emit("network", "create", nid, name=rec.name, type=driver)
        return rec

    def remove(self, ref: str) -> None:
        rec = self.get(ref)
        if rec.builtin:
            raise Forbidden(f"{rec.name} is a pre-defined network and cannot be removed")
        if any(a.joined for a in self.store.attachments(network_id=rec.id)):
            raise Forbidden(
                f"error while removing network: network {rec.name} id {rec.id} has active endpoints"
            )
        self.drivers[rec.driver].delete(rec.driver_view())
        self.store.delete(rec.id)
        self.names.forget_network(rec.id)
        self.events.emit("network", "destroy", rec.id, name=rec.name, type=rec.driver)

    def prune(self, filters: Filters) -> builtins.list[str]:
        ok = prune_matcher(filters)
        used = {a.network_id for a in self.store.attachments()}
        removed = []
        for rec in self.store.list():
            if ok(rec) and rec.id not in used:
                try:
                    self.remove(rec.id)
                except (Forbidden, NotFound) as err:
                    log.debug("prune skips %s: %s", rec.name, err)
                    continue
                removed.append(rec.name)
        return removed
