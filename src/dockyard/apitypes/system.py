"""Wire shapes of /version, /info and /events."""

from __future__ import annotations

import platform
from typing import Any, Protocol

from dockyard.util.timefmt import rfc3339_nano

__all__ = ["event_to_wire", "info_to_wire", "version_to_wire"]


class _Version(Protocol):
    version: str
    api_version: str
    min_api_version: str
    git_commit: str
    go_version: str
    os: str
    arch: str
    kernel_version: str
    build_time: str
    platform_name: str


def version_to_wire(v: _Version) -> dict[str, Any]:
    details = {
        "ApiVersion": v.api_version,
        "Arch": v.arch,
        "BuildTime": v.build_time,
        "Experimental": "false",
        "GitCommit": v.git_commit,
        "GoVersion": v.go_version,
        "KernelVersion": v.kernel_version,
        "MinAPIVersion": v.min_api_version,
        "Os": v.os,
    }
    return {
        "Platform": {"Name": v.platform_name},
        "Components": [{"Name": "Engine", "Version": v.version, "Details": details}],
        "Version": v.version,
        "ApiVersion": v.api_version,
        "MinAPIVersion": v.min_api_version,
        "GitCommit": v.git_commit,
        "GoVersion": v.go_version,
        "Os": v.os,
        "Arch": v.arch,
        "KernelVersion": v.kernel_version,
        "BuildTime": v.build_time,
    }


def info_to_wire(i: Any) -> dict[str, Any]:
    """``i`` is a daemon SystemInfo (typed loosely to keep this layer below the daemon)."""
    return {
        "ID": i.id,
        "Containers": i.containers.total,
        "ContainersRunning": i.containers.running,
        "ContainersPaused": i.containers.paused,
        "ContainersStopped": i.containers.stopped,
        "Images": i.images,
        "Driver": i.driver,
        "DriverStatus": [list(pair) for pair in i.driver_status],
        "Plugins": {
            "Volume": ["local"],
            "Network": ["bridge", "host", "null"],
            "Authorization": None,
            "Log": ["json-file"],
        },
        "MemoryLimit": i.memory_limit,
        "SwapLimit": i.swap_limit,
        "KernelMemoryTCP": False,
        "CpuCfsPeriod": i.cpu_cfs_period,
        "CpuCfsQuota": i.cpu_cfs_quota,
        "CPUShares": i.cpu_shares,
        "CPUSet": i.cpuset,
        "PidsLimit": i.pids_limit,
        "IPv4Forwarding": i.ipv4_forwarding,
        "BridgeNfIptables": False,
        "BridgeNfIp6tables": False,
        "Debug": i.debug,
        "NFd": i.nfd,
        "OomKillDisable": False,
        "NGoroutines": i.nthreads,
        "SystemTime": rfc3339_nano(i.system_time),
        "LoggingDriver": i.logging_driver,
        "CgroupDriver": i.cgroup_driver,
        "CgroupVersion": i.cgroup_version,
        "NEventsListener": i.event_listeners,
        "KernelVersion": i.kernel_version,
        "OperatingSystem": i.operating_system,
        "OSVersion": i.os_version,
        "OSType": "linux",
        "Architecture": i.architecture,
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {
            "AllowNondistributableArtifactsCIDRs": [],
            "AllowNondistributableArtifactsHostnames": [],
            "InsecureRegistryCIDRs": [r for r in i.insecure_registries if "/" in r],
            "IndexConfigs": {
                "docker.io": {
                    "Name": "docker.io",
                    "Mirrors": list(i.registry_mirrors),
                    "Secure": True,
                    "Official": True,
                }
            },
            "Mirrors": list(i.registry_mirrors),
        },
        "NCPU": i.ncpu,
        "MemTotal": i.mem_total,
        "GenericResources": None,
        "DockerRootDir": i.docker_root_dir,
        "HttpProxy": "",
        "HttpsProxy": "",
        "NoProxy": "",
        "Name": i.name,
        "Labels": [],
        "ExperimentalBuild": False,
        "ServerVersion": i.server_version,
        "Runtimes": {name: {"path": name} for name in i.runtimes},
        "DefaultRuntime": i.default_runtime,
        "Swarm": {
            "NodeID": "",
            "NodeAddr": "",
            "LocalNodeState": "inactive",
            "ControlAvailable": False,
            "Error": "",
            "RemoteManagers": None,
        },
        "LiveRestoreEnabled": i.live_restore,
        "Isolation": "",
        "InitBinary": "docker-init",
        "ContainerdCommit": {"ID": "", "Expected": ""},
        "RuncCommit": {"ID": "", "Expected": ""},
        "InitCommit": {"ID": "", "Expected": ""},
        "SecurityOptions": list(i.security_options),
        "Warnings": list(i.warnings) or None,
        "ProductLicense": f"Dockyard on Python {platform.python_version()}",
    }


def event_to_wire(e: Any) -> dict[str, Any]:
    """Docker's event message, with the legacy status/id/from fields for old clients."""
    out: dict[str, Any] = {
        "Type": e.type,
        "Action": e.action,
        "Actor": {"ID": e.actor_id, "Attributes": dict(e.attributes)},
        "scope": e.scope,
        "time": e.time_nano // 1_000_000_000,
        "timeNano": e.time_nano,
    }
    if e.type in ("container", "image"):
        out["status"] = e.action
        out["id"] = e.actor_id
        if "image" in e.attributes:
            out["from"] = e.attributes["image"]
    return out
