"""The bridge driver: a Linux bridge per network, a veth pair per endpoint, nft for the rest.

Per network: bridge ``network.bridge`` up with ``gateway/prefix``, ``route_localnet=1`` on it
(so DNAT from 127.0.0.1 may route out of it), masquerade and isolation in the
:class:`~dockyard.network.nat.NatTable`. Per endpoint: a veth pair, the host end
(``<veth_prefix><hash of endpoint id>``) enslaved to the bridge in hairpin mode (a container
reaches its own published port through the host), the peer created directly inside the
container's namespace as ``endpoint.ifname`` with the endpoint's address and MAC, and a
default route via the gateway unless the network is internal.

All calls are blocking and act in the calling thread's network namespace (the host's, in the
daemon; tests run the driver inside a sandbox namespace).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
from collections.abc import Iterator
from ipaddress import IPv4Interface
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockyard.errors import DockyardError, InvalidParameter
from dockyard.network._rtnl import IPRoute, NetlinkError
from dockyard.network.base import (
    Endpoint,
    EndpointInfo,
    Network,
    NetworkDriver,
    PortBinding,
    PortMapping,
    mac_from_ip,
)
from dockyard.network.nat import NatTable
from dockyard.network.netns import run_in_netns
from dockyard.network.proxy import reserve_port

__all__ = ["BridgeDriver", "enable_ip_forward", "host_veth_name"]

log = logging.getLogger(__name__)

_ENODEV = 19
_EEXIST = 17
_ESRCH = 3


def host_veth_name(prefix: str, endpoint_id: str) -> str:
    """The host end's name: stable for an endpoint id, so ``leave`` finds it after a crash."""
    digest = hashlib.sha256(endpoint_id.encode()).hexdigest()
    return (prefix + digest)[:15]


@contextlib.contextmanager
def _ipr() -> Iterator[Any]:
    with IPRoute() as ipr:
        yield ipr


def _index(ipr: Any, ifname: str) -> int | None:
    found = ipr.link_lookup(ifname=ifname)
    return int(found[0]) if found else None


def _set_sysctl(path: str, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def bridge_address(name: str) -> IPv4Interface | None:
    """The first IPv4 address of an existing bridge ``name`` (None: no such bridge/address).

    Like dockerd with an existing ``docker0``, the default network adopts the address a
    bridge of its name already has instead of adding a second subnet to it.
    """
    if not Path(f"/sys/class/net/{name}/bridge").exists():
        return None
    with _ipr() as ipr:
        idx = _index(ipr, name)
        if idx is None:
            return None
        for msg in ipr.get_addr(index=idx, family=socket.AF_INET):
            address = msg.get_attr("IFA_ADDRESS")
            if address:
                return IPv4Interface(f"{address}/{msg['prefixlen']}")
    return None


def enable_ip_forward() -> None:
    """Turn on IPv4 forwarding (``net.ipv4.ip_forward``), without which containers cannot
    reach beyond their bridge; the daemon calls it at start unless ``"ip-forward": false``."""
    _set_sysctl("/proc/sys/net/ipv4/ip_forward", "1")


class BridgeDriver:
    """:class:`~dockyard.network.base.NetworkDriver` for ``bridge`` networks.

    ``nat`` is None to program no firewall at all (``"iptables": false`` in daemon.json).
    Host ports reserved by :meth:`publish` stay open in this object until :meth:`unpublish`;
    :meth:`listener` hands one to a userland proxy.
    """

    name = "bridge"
    sandboxed = True

    def __init__(self, nat: NatTable | None, *, veth_prefix: str = "veth") -> None:
        if not 1 <= len(veth_prefix) <= 8:
            raise InvalidParameter(f"veth prefix {veth_prefix!r} must be 1..8 characters")
        self.nat = nat
        self.veth_prefix = veth_prefix
        self._held: dict[str, list[tuple[PortMapping, socket.socket]]] = {}

    # -- networks ---------------------------------------------------------------------------

    def create(self, network: Network) -> None:
        if not network.bridge or network.subnet is None or network.gateway is None:
            raise InvalidParameter(f"network {network.name} needs a bridge name and a subnet")
        with _ipr() as ipr:
            created = False
            idx = _index(ipr, network.bridge)
            if idx is None:
                ipr.link("add", ifname=network.bridge, kind="bridge")
                created = True
                idx = _index(ipr, network.bridge)
            try:
                ipr.link("set", index=idx, mtu=network.mtu)
                try:
                    ipr.addr(
                        "add",
                        index=idx,
                        address=str(network.gateway),
                        prefixlen=network.subnet.prefixlen,
                    )
                except NetlinkError as err:
                    if err.code != _EEXIST:
                        raise
                ipr.link("set", index=idx, state="up")
                _set_sysctl(f"/proc/sys/net/ipv4/conf/{network.bridge}/route_localnet", "1")
                if self.nat is not None:
                    self.nat.add_network(
                        network.id, network.bridge, network.subnet, internal=network.internal
                    )
            except BaseException:
                if created:
                    with contextlib.suppress(NetlinkError):
                        ipr.link("del", index=idx)
                raise
        log.debug("created bridge %s for network %s", network.bridge, network.name)

    def delete(self, network: Network) -> None:
        if self.nat is not None and network.bridge:
            self.nat.remove_network(network.id, network.bridge)
        if not network.bridge:
            return
        with _ipr() as ipr:
            idx = _index(ipr, network.bridge)
            if idx is not None:
                ipr.link("del", index=idx)
        log.debug("deleted bridge %s", network.bridge)

    # -- endpoints --------------------------------------------------------------------------

    def join(self, network: Network, endpoint: Endpoint, netns: Path) -> EndpointInfo:
        if endpoint.ip is None or network.subnet is None:
            raise InvalidParameter(f"endpoint {endpoint.id} has no address on {network.name}")
        host_name = host_veth_name(self.veth_prefix, endpoint.id)
        mac = endpoint.mac or mac_from_ip(endpoint.ip)
        ns_fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
        try:
            with _ipr() as ipr:
                br = _index(ipr, network.bridge)
                if br is None:
                    raise DockyardError(
                        f"bridge {network.bridge} of network {network.name} does not exist"
                    )
                ipr.link(
                    "add",
                    ifname=host_name,
                    kind="veth",
                    peer={"ifname": endpoint.ifname, "net_ns_fd": ns_fd},
                )
                try:
                    idx = _index(ipr, host_name)
                    ipr.link("set", index=idx, master=br, mtu=network.mtu)
                    ipr.brport("set", index=idx, mode=1)  # hairpin
                    ipr.link("set", index=idx, state="up")
                    run_in_netns(netns, lambda: self._configure_inside(network, endpoint, mac))
                except BaseException:
                    with contextlib.suppress(NetlinkError):
                        ipr.link("del", ifname=host_name)
                    raise
        finally:
            os.close(ns_fd)
        return EndpointInfo(
            ifname=endpoint.ifname,
            host_ifname=host_name,
            ip=endpoint.ip,
            prefixlen=network.subnet.prefixlen,
            gateway=None if network.internal else network.gateway,
            mac=mac,
        )

    @staticmethod
    def _configure_inside(network: Network, endpoint: Endpoint, mac: str) -> None:
        assert network.subnet is not None and endpoint.ip is not None
        with _ipr() as ipr:
            idx = _index(ipr, endpoint.ifname)
            ipr.link("set", index=idx, address=mac, mtu=network.mtu)
            ipr.addr("add", index=idx, address=str(endpoint.ip), prefixlen=network.subnet.prefixlen)
            ipr.link("set", index=idx, state="up")
            if not network.internal and network.gateway is not None:
                ipr.route("add", dst="0.0.0.0/0", gateway=str(network.gateway), oif=idx)

    def leave(self, network: Network, endpoint: Endpoint) -> None:
        self.unpublish(endpoint)
        with _ipr() as ipr:
            idx = _index(ipr, host_veth_name(self.veth_prefix, endpoint.id))
            if idx is None:
                return
            try:
                ipr.link("del", index=idx)
            except NetlinkError as err:
                if err.code != _ENODEV:
                    raise

    # -- published ports --------------------------------------------------------------------

    def publish(
        self, network: Network, endpoint: Endpoint, ports: list[PortBinding]
    ) -> list[PortMapping]:
        if endpoint.ip is None:
            raise InvalidParameter(f"endpoint {endpoint.id} has no address to publish to")
        if network.internal or not ports:
            return []
        self.unpublish(endpoint)
        held: list[tuple[PortMapping, socket.socket]] = []
        try:
            for p in ports:
                sock = reserve_port(p.proto, p.host_ip, p.host_port)
                port = int(sock.getsockname()[1])
                mapping = PortMapping(p.proto, p.host_ip, port, endpoint.ip, p.container_port)
                held.append((mapping, sock))
            mappings = [m for m, _ in held]
            if self.nat is not None:
                self.nat.add_ports(endpoint.id, mappings)
        except BaseException:
            for _, sock in held:
                sock.close()
            raise
        self._held[endpoint.id] = held
        return mappings

    def unpublish(self, endpoint: Endpoint) -> None:
        for _, sock in self._held.pop(endpoint.id, []):
            sock.close()
        if self.nat is not None:
            self.nat.remove_ports(endpoint.id)

    def listener(self, endpoint_id: str, mapping: PortMapping) -> socket.socket | None:
        """The socket holding ``mapping``'s host port (for a userland proxy), if published."""
        for held, sock in self._held.get(endpoint_id, []):
            if held == mapping:
                return sock
        return None


if TYPE_CHECKING:
    _conforms: type[NetworkDriver] = BridgeDriver
