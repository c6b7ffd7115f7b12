"""``NetworkingConfig`` of a create request and the ``EndpointSettings`` it carries per network.

The same ``EndpointSettings`` shape appears in inspect under
``NetworkSettings.Networks.<name>`` with the runtime fields (ids, addresses) filled in by the
network service once the container is connected.
"""

# wf() returns a dataclasses.field (with a default or default_factory), not a shared value.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.apitypes.gojson import decode, encode, wf

__all__ = ["EndpointIPAMConfig", "EndpointSettings", "NetworkingConfig"]


@dataclass(frozen=True, slots=True)
class EndpointIPAMConfig:
    ipv4_address: str = wf("IPv4Address", "string", omitempty=True)
    ipv6_address: str = wf("IPv6Address", "string", omitempty=True)
    link_local_ips: tuple[str, ...] | None = wf("LinkLocalIPs", "[]string", omitempty=True)


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    ipam_config: EndpointIPAMConfig | None = wf(
        "IPAMConfig", "*EndpointIPAMConfig", cls=EndpointIPAMConfig
    )
    links: tuple[str, ...] | None = wf("Links", "[]string")
    aliases: tuple[str, ...] | None = wf("Aliases", "[]string")
    mac_address: str = wf("MacAddress", "string")
    driver_opts: dict[str, str] | None = wf("DriverOpts", "map[string]string")
    network_id: str = wf("NetworkID", "string")
    endpoint_id: str = wf("EndpointID", "string")
    gateway: str = wf("Gateway", "string")
    ip_address: str = wf("IPAddress", "string")
    ip_prefix_len: int = wf("IPPrefixLen", "int")
    ipv6_gateway: str = wf("IPv6Gateway", "string")
    global_ipv6_address: str = wf("GlobalIPv6Address", "string")
    global_ipv6_prefix_len: int = wf("GlobalIPv6PrefixLen", "int")
    dns_names: tuple[str, ...] | None = wf("DNSNames", "[]string")

    @classmethod
    def from_wire(cls, doc: Any) -> EndpointSettings:
        return decode(cls, doc, "EndpointSettings")

    def to_wire(self) -> dict[str, Any]:
        return encode(self)


@dataclass(frozen=True, slots=True)
class NetworkingConfig:
    endpoints_config: dict[str, EndpointSettings] | None = wf(
        "EndpointsConfig", "map[string]*EndpointSettings", cls=EndpointSettings
    )

    @classmethod
    def from_wire(cls, doc: Any) -> NetworkingConfig:
        return decode(cls, doc, "NetworkingConfig")

    def to_wire(self) -> dict[str, Any]:
        return encode(self)
