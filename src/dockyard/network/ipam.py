"""IPv4 address management: which subnet a network gets, which address an endpoint gets.

Pure and immutable: every change returns a new :class:`AddressSpace`, which the caller
persists (``to_json``) only once the rest of its operation has succeeded, so a failed
``network create`` or ``container start`` never leaks an address. The kernel is read in one
place only, :func:`host_routed_prefixes`, whose result the caller passes in.

Rules (Docker's): a network's pool is a subnet, either given by the user (it must not overlap
another network's) or carved from the default pools (``default-address-pools`` entries
``base``/``size``) skipping every prefix already routed on the host. In a subnet the network
and broadcast addresses and the gateway are never handed out; addresses come from
``ip_range`` when one is set (lowest free first), or are requested statically (``--ip``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

from dockyard.errors import Conflict, DockyardError, InvalidParameter, NotFound

__all__ = [
    "DEFAULT_POOLS",
    "AddressSpace",
    "PoolExhausted",
    "PoolSpec",
    "Subnet",
    "choose_subnet",
    "host_routed_prefixes",
    "parse_bip",
]

NO_POOL = (
    "could not find an available, non-overlapping IPv4 address pool among the defaults to "
    "assign to the network"
)
OVERLAP = "Pool overlaps with other one on this address space"


class PoolExhausted(DockyardError):
    """No default pool has a free, non-overlapping subnet left (Docker answers 500 too)."""


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """One ``default-address-pools`` entry: carve subnets of prefix ``size`` from ``base``."""

    base: IPv4Network
    size: int

    def __post_init__(self) -> None:
        if not self.base.prefixlen <= self.size <= 30:
            raise InvalidParameter(
                f"invalid pool {self.base}: size {self.size} must be between "
                f"{self.base.prefixlen} and 30"
            )

    @classmethod
    def parse(cls, base: str, size: int) -> PoolSpec:
        try:
            net = IPv4Network(base)
        except ValueError as err:
            raise InvalidParameter(f"invalid address pool base {base!r}: {err}") from err
        return cls(net, size)

    def candidates(self) -> Iterator[IPv4Network]:
        return self.base.subnets(new_prefix=self.size)


#: Dockyard's defaults: Docker's ranges, but starting at 172.31/16 for the default bridge.
DEFAULT_POOLS: tuple[PoolSpec, ...] = (
    PoolSpec(IPv4Network("172.31.0.0/16"), 16),
    *(PoolSpec(IPv4Network(f"172.{n}.0.0/16"), 16) for n in range(17, 31)),
    PoolSpec(IPv4Network("192.168.0.0/16"), 20),
)


def parse_bip(bip: str) -> tuple[IPv4Network, IPv4Address]:
    """``bip`` (``172.31.0.1/16``) -> (subnet, gateway): the address is the bridge's own."""
    try:
        iface = IPv4Interface(bip)
    except ValueError as err:
        raise InvalidParameter(f"invalid bip {bip!r}: {err}") from err
    if iface.ip in (iface.network.network_address, iface.network.broadcast_address):
        raise InvalidParameter(f"invalid bip {bip!r}: the address must be a host address")
    return iface.network, iface.ip


def choose_subnet(pools: Sequence[PoolSpec], in_use: Iterable[IPv4Network]) -> IPv4Network:
    """The first subnet of the pools (in order) that overlaps none of ``in_use``."""
    used = list(in_use)
    for pool in pools:
        relevant = [net for net in used if net.overlaps(pool.base)]
        for candidate in pool.candidates():
            if not any(candidate.overlaps(net) for net in relevant):
                return candidate
    raise PoolExhausted(NO_POOL)


def host_routed_prefixes() -> list[IPv4Network]:
    """Every IPv4 prefix routed on the host (main and local tables), default route excluded."""
    from dockyard.network._rtnl import IPRoute

    prefixes: set[IPv4Network] = set()
    with IPRoute() as ipr:
        for route in ipr.get_routes(family=2):
            dst_len = int(route["dst_len"])
            dst = route.get_attr("RTA_DST")
            if dst_len == 0 or dst is None:
                continue
            prefixes.add(IPv4Network(f"{dst}/{dst_len}", strict=False))
    return sorted(prefixes)


@dataclass(frozen=True, slots=True)
class Subnet:
    """One network's pool and the addresses taken in it (gateway included)."""

    subnet: IPv4Network
    gateway: IPv4Address
    ip_range: IPv4Network | None = None
    allocated: frozenset[IPv4Address] = field(default_factory=frozenset)

    def _check_host(self, ip: IPv4Address, what: str) -> None:
        if ip not in self.subnet:
            raise InvalidParameter(f"{what} {ip} does not belong to subnet {self.subnet}")
        if ip in (self.subnet.network_address, self.subnet.broadcast_address):
            raise InvalidParameter(f"{what} {ip} is not a usable host address of {self.subnet}")

    def allocate(self, requested: IPv4Address | None = None) -> tuple[Subnet, IPv4Address]:
        """Take ``requested`` (Conflict when in use) or the lowest free address of the range."""
        if requested is not None:
            self._check_host(requested, "requested address")
            if requested in self.allocated:
                raise Conflict(f"Address already in use: {requested}")
            return replace(self, allocated=self.allocated | {requested}), requested
        scope = self.ip_range or self.subnet
        reserved = {self.subnet.network_address, self.subnet.broadcast_address}
        for ip in scope:
            if ip not in self.allocated and ip not in reserved:
                return replace(self, allocated=self.allocated | {ip}), ip
        raise PoolExhausted(
            f"no available IPv4 addresses on this network's address pools: {self.subnet}"
        )

    def release(self, ip: IPv4Address) -> Subnet:
        """Give ``ip`` back; the gateway stays reserved and an unknown address is ignored."""
        if ip == self.gateway:
            return self
        return replace(self, allocated=self.allocated - {ip})

    def to_dict(self) -> dict[str, Any]:
        return {
            "subnet": str(self.subnet),
            "gateway": str(self.gateway),
            "ip_range": str(self.ip_range) if self.ip_range else None,
            "allocated": sorted(str(ip) for ip in self.allocated),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Subnet:
        return cls(
            subnet=IPv4Network(raw["subnet"]),
            gateway=IPv4Address(raw["gateway"]),
            ip_range=IPv4Network(raw["ip_range"]) if raw.get("ip_range") else None,
            allocated=frozenset(IPv4Address(ip) for ip in raw["allocated"]),
        )


@dataclass(frozen=True, slots=True)
class AddressSpace:
    """Every network's :class:`Subnet`, keyed by network id."""

    networks: tuple[tuple[str, Subnet], ...] = ()

    def get(self, network_id: str) -> Subnet:
        for nid, sub in self.networks:
            if nid == network_id:
                return sub
        raise NotFound(f"network {network_id} has no address pool")

    def _with(self, network_id: str, sub: Subnet | None) -> AddressSpace:
        rest = tuple((nid, s) for nid, s in self.networks if nid != network_id)
        return AddressSpace((*rest, (network_id, sub)) if sub is not None else rest)

    def request_pool(
        self,
        network_id: str,
        *,
        host_prefixes: Iterable[IPv4Network] = (),
        defaults: Sequence[PoolSpec] = DEFAULT_POOLS,
        subnet: IPv4Network | None = None,
        gateway: IPv4Address | None = None,
        ip_range: IPv4Network | None = None,
    ) -> tuple[AddressSpace, Subnet]:
        """Give ``network_id`` a pool: the user's ``subnet`` or one carved from ``defaults``.

        A user subnet may overlap host routes (Docker allows it) but never another network's
        pool (Conflict, Docker's message). The gateway defaults to the first host address.
        """
        if any(nid == network_id for nid, _ in self.networks):
            raise Conflict(f"network {network_id} already has an address pool")
        taken = [s.subnet for _, s in self.networks]
        if subnet is None:
            if gateway is not None or ip_range is not None:
                raise InvalidParameter("gateway and ip-range need a subnet")
            subnet = choose_subnet(defaults, [*taken, *host_prefixes])
        elif any(subnet.overlaps(net) for net in taken):
            raise Conflict(OVERLAP)
        if ip_range is not None and not ip_range.subnet_of(subnet):
            raise InvalidParameter(f"ip-range {ip_range} is not inside subnet {subnet}")
        if gateway is None:
            gateway = subnet.network_address + 1
        sub = Subnet(subnet, gateway, ip_range)
        sub._check_host(gateway, "gateway")
        sub = replace(sub, allocated=frozenset({gateway}))
        return self._with(network_id, sub), sub

    def release_pool(self, network_id: str) -> AddressSpace:
        """Forget ``network_id``'s pool and every address in it (idempotent)."""
        return self._with(network_id, None)

    def allocate(
        self, network_id: str, requested: IPv4Address | None = None
    ) -> tuple[AddressSpace, IPv4Address]:
        sub, ip = self.get(network_id).allocate(requested)
        return self._with(network_id, sub), ip

    def release(self, network_id: str, ip: IPv4Address) -> AddressSpace:
        return self._with(network_id, self.get(network_id).release(ip))

    def to_json(self) -> str:
        return json.dumps({nid: sub.to_dict() for nid, sub in self.networks}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AddressSpace:
        raw = json.loads(text)
        return cls(tuple((nid, Subnet.from_dict(sub)) for nid, sub in raw.items()))
