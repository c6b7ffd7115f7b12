"""What ``/version`` and ``/info`` report: facts read from this host, counts from services."""

from __future__ import annotations

import os
import platform
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dockyard import __version__
from dockyard.apitypes.versioning import MAX_VERSION, MIN_VERSION
from dockyard.daemon.config import DaemonConfig

__all__ = ["ContainerCounts", "SystemInfo", "SystemService", "VersionInfo"]

ENGINE_NAME = "Dockyard Engine"


@dataclass(frozen=True, slots=True)
class VersionInfo:
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
    python_version: str


@dataclass(frozen=True, slots=True)
class ContainerCounts:
    running: int = 0
    paused: int = 0
    stopped: int = 0

    @property
    def total(self) -> int:
        return self.running + self.paused + self.stopped


@dataclass(frozen=True, slots=True)
class SystemInfo:
    id: str
    name: str
    containers: ContainerCounts
    images: int
    driver: str
    driver_status: list[tuple[str, str]]
    logging_driver: str
    cgroup_driver: str
    cgroup_version: str
    kernel_version: str
    operating_system: str
    os_version: str
    architecture: str
    ncpu: int
    mem_total: int
    docker_root_dir: str
    debug: bool
    nfd: int
    nthreads: int
    event_listeners: int
    system_time: float
    insecure_registries: tuple[str, ...]
    registry_mirrors: tuple[str, ...]
    runtimes: tuple[str, ...]
    default_runtime: str
    live_restore: bool
    server_version: str
    memory_limit: bool
    swap_limit: bool
    cpu_cfs_period: bool
    cpu_cfs_quota: bool
    cpu_shares: bool
    cpuset: bool
    pids_limit: bool
    ipv4_forwarding: bool
    security_options: tuple[str, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _os_release() -> tuple[str, str]:
    fields: dict[str, str] = {}
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                fields[key] = value.strip().strip('"')
    except OSError:
        pass
    return fields.get("PRETTY_NAME", "Linux"), fields.get("VERSION_ID", "")


def _mem_total() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cgroup_version() -> str:
    """'2' on a pure cgroup2 host, '1' on v1 or hybrid (what Docker reports for hybrid)."""
    try:
        fstype = os.statvfs("/sys/fs/cgroup")
        del fstype
        if Path("/sys/fs/cgroup/cgroup.controllers").exists():
            return "2"
    except OSError:
        pass
    return "1"


def _has(path: str) -> bool:
    return Path(path).exists()


def _ip_forward() -> bool:
    try:
        return Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == "1"
    except OSError:
        return False


class SystemService:
    """Reads host facts once at start and counts from the services on each call."""

    def __init__(
        self,
        config: DaemonConfig,
        *,
        engine_id: str,
        image_count: Callable[[], int],
        container_counts: Callable[[], ContainerCounts],
        event_listeners: Callable[[], int],
        storage_driver: str,
        storage_status: Callable[[], list[tuple[str, str]]],
    ) -> None:
        self._config = config
        self._engine_id = engine_id
        self._image_count = image_count
        self._container_counts = container_counts
        self._event_listeners = event_listeners
        self._storage_driver = storage_driver
        self._storage_status = storage_status
        self._os_name, self._os_version = _os_release()
        self._cgroup_version = cgroup_version()

    def version(self) -> VersionInfo:
        return VersionInfo(
            version=__version__,
            api_version=MAX_VERSION,
            min_api_version=MIN_VERSION,
            git_commit="dockyard",
            go_version=f"python{platform.python_version()}",
            os="linux",
            arch=_go_arch(platform.machine()),
            kernel_version=platform.release(),
            build_time="",
            platform_name=ENGINE_NAME,
            python_version=platform.python_version(),
        )

    def info(self) -> SystemInfo:
        cg = "/sys/fs/cgroup" if self._cgroup_version == "2" else "/sys/fs/cgroup/memory"
        v1 = self._cgroup_version == "1"
        return SystemInfo(
            id=self._engine_id,
            name=socket.gethostname(),
            containers=self._container_counts(),
            images=self._image_count(),
            driver=self._storage_driver,
            driver_status=self._storage_status(),
            logging_driver=self._config.log_driver,
            cgroup_driver="cgroupfs",
            cgroup_version=self._cgroup_version,
            kernel_version=platform.release(),
            operating_system=self._os_name,
            os_version=self._os_version,
            architecture=platform.machine(),
            ncpu=os.cpu_count() or 1,
            mem_total=_mem_total(),
            docker_root_dir=self._config.data_root,
            debug=self._config.debug,
            nfd=sum(1 for _ in Path("/proc/self/fd").iterdir()),
            nthreads=threading.active_count(),
            event_listeners=self._event_listeners(),
            system_time=time.time(),
            insecure_registries=("127.0.0.0/8", *self._config.insecure_registries),
            registry_mirrors=self._config.registry_mirrors,
            runtimes=tuple(sorted({"runc", *self._config.runtimes})),
            default_runtime=self._config.default_runtime,
            live_restore=self._config.live_restore,
            server_version=__version__,
            memory_limit=_has(cg + ("/memory.limit_in_bytes" if v1 else "/memory.max"))
            or _has("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
            swap_limit=_has("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
            or _has("/sys/fs/cgroup/memory.swap.max"),
            cpu_cfs_period=_has("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
            or _has("/sys/fs/cgroup/cpu.max"),
            cpu_cfs_quota=_has("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
            or _has("/sys/fs/cgroup/cpu.max"),
            cpu_shares=_has("/sys/fs/cgroup/cpu/cpu.shares") or _has("/sys/fs/cgroup/cpu.weight"),
            cpuset=_has("/sys/fs/cgroup/cpuset/cpuset.cpus")
            or _has("/sys/fs/cgroup/cpuset.cpus.effective"),
            pids_limit=_has("/sys/fs/cgroup/pids") or _has("/sys/fs/cgroup/pids.max"),
            ipv4_forwarding=_ip_forward(),
            security_options=("name=seccomp,profile=builtin",),
        )


def _go_arch(machine: str) -> str:
    """Docker reports Go's GOARCH names."""
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
        machine, machine
    )
