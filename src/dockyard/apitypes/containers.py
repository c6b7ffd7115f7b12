"""Wire shapes of container inspect and list (``GET /containers/{id}/json``, ``/json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from dockyard.apitypes.container_config import ContainerConfig
from dockyard.apitypes.host_config import HostConfig
from dockyard.util.timefmt import rfc3339_nano

__all__ = [
    "ContainerView",
    "EndpointView",
    "MountView",
    "NetworkSettingsView",
    "PortView",
    "inspect_to_wire",
    "summary_to_wire",
]


class _State(Protocol):
    def to_wire(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class PortView:
    """One exposed port and, when published, where (``0.0.0.0:8080``)."""

    container_port: int
    proto: str
    host_ip: str = ""
    host_port: int = 0


@dataclass(frozen=True, slots=True)
class EndpointView:
    network_id: str = ""
    endpoint_id: str = ""
    gateway: str = ""
    ip_address: str = ""
    ip_prefix_len: int = 0
    mac_address: str = ""
    aliases: tuple[str, ...] | None = None
    links: tuple[str, ...] | None = None
    dns_names: tuple[str, ...] | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "IPAMConfig": None,
            "Links": list(self.links) if self.links is not None else None,
            "Aliases": list(self.aliases) if self.aliases is not None else None,
            "MacAddress": self.mac_address,
            "NetworkID": self.network_id,
            "EndpointID": self.endpoint_id,
            "Gateway": self.gateway,
            "IPAddress": self.ip_address,
            "IPPrefixLen": self.ip_prefix_len,
            "IPv6Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "DriverOpts": None,
            "DNSNames": list(self.dns_names) if self.dns_names is not None else None,
        }


@dataclass(frozen=True, slots=True)
class NetworkSettingsView:
    sandbox_id: str = ""
    sandbox_key: str = ""
    ports: tuple[PortView, ...] = ()
    networks: dict[str, EndpointView] = field(default_factory=dict)

    def ports_wire(self) -> dict[str, list[dict[str, str]] | None]:
        out: dict[str, list[dict[str, str]] | None] = {}
        for p in self.ports:
            key = f"{p.container_port}/{p.proto}"
            if p.host_port:
                out.setdefault(key, [])
                bindings = out[key]
                assert bindings is not None
                bindings.append({"HostIp": p.host_ip or "0.0.0.0", "HostPort": str(p.host_port)})
            else:
                out.setdefault(key, None)
        return out

    def to_wire(self) -> dict[str, Any]:
        primary = self.networks.get("bridge", EndpointView())
        return {
            "Bridge": "",
            "SandboxID": self.sandbox_id,
            "SandboxKey": self.sandbox_key,
            "Ports": self.ports_wire(),
            "HairpinMode": False,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "SecondaryIPAddresses": None,
            "SecondaryIPv6Addresses": None,
            "EndpointID": primary.endpoint_id,
            "Gateway": primary.gateway,
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": primary.ip_address,
            "IPPrefixLen": primary.ip_prefix_len,
            "IPv6Gateway": "",
            "MacAddress": primary.mac_address,
            "Networks": {name: ep.to_wire() for name, ep in self.networks.items()},
        }


@dataclass(frozen=True, slots=True)
class MountView:
    type: str
    source: str
    destination: str
    rw: bool = True
    name: str = ""
    driver: str = ""
    mode: str = ""
    propagation: str = ""

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Type": self.type}
        if self.name:
            out["Name"] = self.name
        out.update({"Source": self.source, "Destination": self.destination})
        if self.driver:
            out["Driver"] = self.driver
        out.update({"Mode": self.mode, "RW": self.rw, "Propagation": self.propagation})
        return out


@dataclass(frozen=True, slots=True)
class ContainerView:
    """Everything inspect and list show of one container, gathered by the daemon."""

    id: str
    name: str
    created: float
    path: str
    args: tuple[str, ...]
    state: _State
    status_text: str
    state_name: str
    image: str
    image_id: str
    config: ContainerConfig
    host_config: HostConfig
    resolv_conf_path: str
    hostname_path: str
    hosts_path: str
    log_path: str
    restart_count: int
    driver: str
    exec_ids: tuple[str, ...] = ()
    graph_driver_data: dict[str, str] | None = None
    mounts: tuple[MountView, ...] = ()
    network: NetworkSettingsView = field(default_factory=NetworkSettingsView)
    size_rw: int | None = None
    size_root_fs: int | None = None


def inspect_to_wire(v: ContainerView) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Id": v.id,
        "Created": rfc3339_nano(v.created),
        "Path": v.path,
        "Args": list(v.args),
        "State": v.state.to_wire(),
        "Image": v.image_id,
        "ResolvConfPath": v.resolv_conf_path,
        "HostnamePath": v.hostname_path,
        "HostsPath": v.hosts_path,
        "LogPath": v.log_path,
        "Name": "/" + v.name,
        "RestartCount": v.restart_count,
        "Driver": v.driver,
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": list(v.exec_ids) or None,
        "HostConfig": v.host_config.to_wire(),
        "GraphDriver": {"Data": v.graph_driver_data, "Name": v.driver},
        "Mounts": [m.to_wire() for m in v.mounts],
        "Config": v.config.to_wire(),
        "NetworkSettings": v.network.to_wire(),
    }
    if v.size_rw is not None:
        out["SizeRw"] = v.size_rw
        out["SizeRootFs"] = v.size_root_fs or 0
    return out


def summary_to_wire(v: ContainerView) -> dict[str, Any]:
    ports = []
    for p in sorted(v.network.ports, key=lambda p: (p.container_port, p.proto, p.host_ip)):
        entry: dict[str, Any] = {"PrivatePort": p.container_port, "Type": p.proto}
        if p.host_port:
            entry.update({"IP": p.host_ip or "0.0.0.0", "PublicPort": p.host_port})
        ports.append(entry)
    out: dict[str, Any] = {
        "Id": v.id,
        "Names": ["/" + v.name],
        "Image": v.image,
        "ImageID": v.image_id,
        "Command": " ".join([v.path, *v.args]).strip(),
        "Created": int(v.created),
        "Ports": ports,
        "Labels": dict(v.config.labels or {}),
        "State": v.state_name,
        "Status": v.status_text,
        "HostConfig": {"NetworkMode": v.host_config.network_mode or "default"},
        "NetworkSettings": {
            "Networks": {name: ep.to_wire() for name, ep in v.network.networks.items()}
        },
        "Mounts": [m.to_wire() for m in v.mounts],
    }
    if v.size_rw is not None:
        out["SizeRw"] = v.size_rw
        out["SizeRootFs"] = v.size_root_fs or 0
    return out
