"""Which host ports a container publishes: ``-p`` bindings and ``-P`` (pure).

``HostConfig.PortBindings`` maps ``"80/tcp"`` to bindings whose ``HostPort`` is "" (any
free port), ``"8080"`` or a range ``"8000-8010"`` (the first free one); ``HostIp`` "" is
every address. ``PublishAllPorts`` adds every exposed port not bound otherwise, on an
ephemeral port. IPv6 host addresses are skipped (this engine publishes IPv4 only).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, ip_address

from dockyard.apitypes.host_config import HostConfig
from dockyard.errors import InvalidParameter
from dockyard.network.base import ANY_IP, Proto

__all__ = ["PortRequest", "port_requests"]


@dataclass(frozen=True, slots=True)
class PortRequest:
    """One host binding to make: try ``first..last`` in order (0..0 = ephemeral)."""

    container_port: int
    proto: Proto
    host_ip: IPv4Address
    first: int = 0
    last: int = 0


def _split(spec: str) -> tuple[int, Proto]:
    port, _, proto = spec.partition("/")
    proto = proto or "tcp"
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise InvalidParameter(f'invalid port specification: "{spec}"')
    if proto not in ("tcp", "udp"):
        raise InvalidParameter(f"invalid proto: {proto}")
    return int(port), "tcp" if proto == "tcp" else "udp"


def _host_range(text: str) -> tuple[int, int]:
    if not text:
        return 0, 0
    start, sep, end = text.partition("-")
    try:
        first, last = int(start), int(end) if sep else int(start)
    except ValueError as err:
        raise InvalidParameter(f'invalid port specification: "{text}"') from err
    if not (0 <= first <= last <= 65535):
        raise InvalidParameter(f'invalid port specification: "{text}"')
    return first, last


def _host_ip(text: str) -> IPv4Address | None:
    if not text:
        return ANY_IP
    try:
        addr = ip_address(text.strip("[]"))
    except ValueError as err:
        raise InvalidParameter(f"invalid IP address: {text}") from err
    return addr if isinstance(addr, IPv4Address) else None


def port_requests(hc: HostConfig, exposed: tuple[str, ...] | None) -> list[PortRequest]:
    out: list[PortRequest] = []
    bound: set[tuple[int, str]] = set()
    for spec, bindings in sorted((hc.port_bindings or {}).items()):
        port, proto = _split(spec)
        bound.add((port, proto))
        for b in bindings or ():
            ip = _host_ip(b.host_ip)
            if ip is None:
                continue
            first, last = _host_range(b.host_port)
            out.append(PortRequest(port, proto, ip, first, last))
    if hc.publish_all_ports:
        for spec in sorted(exposed or ()):
            port, proto = _split(spec)
            if (port, proto) not in bound:
                out.append(PortRequest(port, proto, ANY_IP))
    return out
