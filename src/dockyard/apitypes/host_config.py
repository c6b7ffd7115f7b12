"""``HostConfig`` of a container: the host-dependent part of create, update and inspect.

Shapes follow moby's ``container.HostConfig`` (API v1.45): ``Resources`` is embedded (its
keys sit in the HostConfig object, and ``POST /containers/{id}/update`` sends it alone),
``Mounts``/``Tmpfs``/``Sysctls``/``StorageOpt``/``Runtime``/``Init``/``Annotations`` vanish
when empty, every other list is ``null`` when the client sent none and ``[]`` when it sent an
empty one. What the daemon fills in at create time (log driver, runtime, shm size, ipc and
cgroupns mode, masked paths) is :func:`with_daemon_defaults`, kept apart so that the stored
request stays what the client sent.
"""

# wf() returns a dataclasses.field (with a default or default_factory), not a shared value.
# ruff: noqa: RUF009

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from dockyard.apitypes.gojson import decode, encode, wf

__all__ = [
    "DEFAULT_MASKED_PATHS",
    "DEFAULT_READONLY_PATHS",
    "DEFAULT_SHM_SIZE",
    "BindOptions",
    "DeviceMapping",
    "DeviceRequest",
    "HostConfig",
    "LogConfig",
    "Mount",
    "MountDriver",
    "PortBinding",
    "Resources",
    "RestartPolicy",
    "ThrottleDevice",
    "TmpfsOptions",
    "Ulimit",
    "VolumeOptions",
    "WeightDevice",
    "with_daemon_defaults",
]

DEFAULT_SHM_SIZE = 64 * 1024 * 1024

DEFAULT_MASKED_PATHS = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
)

DEFAULT_READONLY_PATHS = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)


@dataclass(frozen=True, slots=True)
class LogConfig:
    type: str = wf("Type", "string")
    config: dict[str, str] | None = wf("Config", "map[string]string")


@dataclass(frozen=True, slots=True)
class PortBinding:
    host_ip: str = wf("HostIp", "string")
    host_port: str = wf("HostPort", "string")


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """``name``: "" or "no", "always", "unless-stopped", "on-failure"."""

    name: str = wf("Name", "string")
    maximum_retry_count: int = wf("MaximumRetryCount", "int")

    @property
    def is_none(self) -> bool:
        return self.name in ("", "no")


@dataclass(frozen=True, slots=True)
class BindOptions:
    propagation: str = wf("Propagation", "string", omitempty=True)
    non_recursive: bool = wf("NonRecursive", "bool", omitempty=True)
    create_mountpoint: bool = wf("CreateMountpoint", "bool", omitempty=True)
    read_only_non_recursive: bool = wf("ReadOnlyNonRecursive", "bool", omitempty=True)
    read_only_force_recursive: bool = wf("ReadOnlyForceRecursive", "bool", omitempty=True)


@dataclass(frozen=True, slots=True)
class MountDriver:
    name: str = wf("Name", "string", omitempty=True)
    options: dict[str, str] | None = wf("Options", "map[string]string", omitempty=True)


@dataclass(frozen=True, slots=True)
class VolumeOptions:
    no_copy: bool = wf("NoCopy", "bool", omitempty=True)
    labels: dict[str, str] | None = wf("Labels", "map[string]string", omitempty=True)
    subpath: str = wf("Subpath", "string", omitempty=True)
    driver_config: MountDriver | None = wf(
        "DriverConfig", "*Driver", cls=MountDriver, omitempty=True
    )


@dataclass(frozen=True, slots=True)
class TmpfsOptions:
    size_bytes: int = wf("SizeBytes", "int64", omitempty=True)
    mode: int = wf("Mode", "uint32", omitempty=True)


@dataclass(frozen=True, slots=True)
class Mount:
    """One ``--mount``: ``type`` is bind, volume, tmpfs or npipe (validated at create)."""

    type: str = wf("Type", "string", omitempty=True)
    source: str = wf("Source", "string", omitempty=True)
    target: str = wf("Target", "string", omitempty=True)
    read_only: bool = wf("ReadOnly", "bool", omitempty=True)
    consistency: str = wf("Consistency", "string", omitempty=True)
    bind_options: BindOptions | None = wf(
        "BindOptions", "*BindOptions", cls=BindOptions, omitempty=True
    )
    volume_options: VolumeOptions | None = wf(
        "VolumeOptions", "*VolumeOptions", cls=VolumeOptions, omitempty=True
    )
    tmpfs_options: TmpfsOptions | None = wf(
        "TmpfsOptions", "*TmpfsOptions", cls=TmpfsOptions, omitempty=True
    )


@dataclass(frozen=True, slots=True)
class WeightDevice:
    path: str = wf("Path", "string")
    weight: int = wf("Weight", "uint16")


@dataclass(frozen=True, slots=True)
class ThrottleDevice:
    path: str = wf("Path", "string")
    rate: int = wf("Rate", "uint64")


@dataclass(frozen=True, slots=True)
class DeviceMapping:
    path_on_host: str = wf("PathOnHost", "string")
    path_in_container: str = wf("PathInContainer", "string")
    cgroup_permissions: str = wf("CgroupPermissions", "string")


@dataclass(frozen=True, slots=True)
class DeviceRequest:
    driver: str = wf("Driver", "string")
    count: int = wf("Count", "int")
    device_ids: tuple[str, ...] | None = wf("DeviceIDs", "[]string")
    capabilities: tuple[tuple[str, ...], ...] | None = wf("Capabilities", "[][]string")
    options: dict[str, str] | None = wf("Options", "map[string]string")


@dataclass(frozen=True, slots=True)
class Ulimit:
    name: str = wf("Name", "string")
    hard: int = wf("Hard", "int64")
    soft: int = wf("Soft", "int64")


@dataclass(frozen=True, slots=True)
class Resources:
    """cgroup limits; also the body of ``POST /containers/{id}/update`` (with RestartPolicy)."""

    cpu_shares: int = wf("CpuShares", "int64")
    memory: int = wf("Memory", "int64")
    nano_cpus: int = wf("NanoCpus", "int64")
    cgroup_parent: str = wf("CgroupParent", "string")
    blkio_weight: int = wf("BlkioWeight", "uint16")
    blkio_weight_device: tuple[WeightDevice, ...] | None = wf(
        "BlkioWeightDevice", "[]WeightDevice", cls=WeightDevice
    )
    blkio_device_read_bps: tuple[ThrottleDevice, ...] | None = wf(
        "BlkioDeviceReadBps", "[]ThrottleDevice", cls=ThrottleDevice
    )
    blkio_device_write_bps: tuple[ThrottleDevice, ...] | None = wf(
        "BlkioDeviceWriteBps", "[]ThrottleDevice", cls=ThrottleDevice
    )
    blkio_device_read_iops: tuple[ThrottleDevice, ...] | None = wf(
        "BlkioDeviceReadIOps", "[]ThrottleDevice", cls=ThrottleDevice
    )
    blkio_device_write_iops: tuple[ThrottleDevice, ...] | None = wf(
        "BlkioDeviceWriteIOps", "[]ThrottleDevice", cls=ThrottleDevice
    )
    cpu_period: int = wf("CpuPeriod", "int64")
    cpu_quota: int = wf("CpuQuota", "int64")
    cpu_realtime_period: int = wf("CpuRealtimePeriod", "int64")
    cpu_realtime_runtime: int = wf("CpuRealtimeRuntime", "int64")
    cpuset_cpus: str = wf("CpusetCpus", "string")
    cpuset_mems: str = wf("CpusetMems", "string")
    devices: tuple[DeviceMapping, ...] | None = wf("Devices", "[]DeviceMapping", cls=DeviceMapping)
    device_cgroup_rules: tuple[str, ...] | None = wf("DeviceCgroupRules", "[]string")
    device_requests: tuple[DeviceRequest, ...] | None = wf(
        "DeviceRequests", "[]DeviceRequest", cls=DeviceRequest
    )
    kernel_memory: int = wf("KernelMemory", "int64", omitempty=True)
    kernel_memory_tcp: int = wf("KernelMemoryTCP", "int64", omitempty=True)
    memory_reservation: int = wf("MemoryReservation", "int64")
    memory_swap: int = wf("MemorySwap", "int64")
    memory_swappiness: int | None = wf("MemorySwappiness", "*int64")
    oom_kill_disable: bool | None = wf("OomKillDisable", "*bool")
    pids_limit: int | None = wf("PidsLimit", "*int64")
    ulimits: tuple[Ulimit, ...] | None = wf("Ulimits", "[]Ulimit", cls=Ulimit)
    cpu_count: int = wf("CpuCount", "int64")
    cpu_percent: int = wf("CpuPercent", "int64")
    io_maximum_iops: int = wf("IOMaximumIOps", "uint64")
    io_maximum_bandwidth: int = wf("IOMaximumBandwidth", "uint64")

    @classmethod
    def from_wire(cls, doc: Any, struct: str = "Resources") -> Resources:
        return decode(cls, doc, struct)

    def to_wire(self) -> dict[str, Any]:
        return encode(self)


@dataclass(frozen=True, slots=True)
class HostConfig:
    binds: tuple[str, ...] | None = wf("Binds", "[]string")
    container_id_file: str = wf("ContainerIDFile", "string")
    log_config: LogConfig = wf("LogConfig", "LogConfig", cls=LogConfig)
    network_mode: str = wf("NetworkMode", "string")
    port_bindings: dict[str, tuple[PortBinding, ...] | None] | None = wf(
        "PortBindings", "map[string][]PortBinding", cls=PortBinding
    )
    restart_policy: RestartPolicy = wf("RestartPolicy", "RestartPolicy", cls=RestartPolicy)
    auto_remove: bool = wf("AutoRemove", "bool")
    volume_driver: str = wf("VolumeDriver", "string")
    volumes_from: tuple[str, ...] | None = wf("VolumesFrom", "[]string")
    console_size: tuple[int, int] = wf("ConsoleSize", "[2]uint")
    annotations: dict[str, str] | None = wf("Annotations", "map[string]string", omitempty=True)
    cap_add: tuple[str, ...] | None = wf("CapAdd", "[]string")
    cap_drop: tuple[str, ...] | None = wf("CapDrop", "[]string")
    cgroupns_mode: str = wf("CgroupnsMode", "string")
    dns: tuple[str, ...] | None = wf("Dns", "[]string")
    dns_options: tuple[str, ...] | None = wf("DnsOptions", "[]string")
    dns_search: tuple[str, ...] | None = wf("DnsSearch", "[]string")
    extra_hosts: tuple[str, ...] | None = wf("ExtraHosts", "[]string")
    group_add: tuple[str, ...] | None = wf("GroupAdd", "[]string")
    ipc_mode: str = wf("IpcMode", "string")
    cgroup: str = wf("Cgroup", "string")
    links: tuple[str, ...] | None = wf("Links", "[]string")
    oom_score_adj: int = wf("OomScoreAdj", "int")
    pid_mode: str = wf("PidMode", "string")
    privileged: bool = wf("Privileged", "bool")
    publish_all_ports: bool = wf("PublishAllPorts", "bool")
    readonly_rootfs: bool = wf("ReadonlyRootfs", "bool")
    security_opt: tuple[str, ...] | None = wf("SecurityOpt", "[]string")
    storage_opt: dict[str, str] | None = wf("StorageOpt", "map[string]string", omitempty=True)
    tmpfs: dict[str, str] | None = wf("Tmpfs", "map[string]string", omitempty=True)
    uts_mode: str = wf("UTSMode", "string")
    userns_mode: str = wf("UsernsMode", "string")
    shm_size: int = wf("ShmSize", "int64")
    sysctls: dict[str, str] | None = wf("Sysctls", "map[string]string", omitempty=True)
    runtime: str = wf("Runtime", "string", omitempty=True)
    isolation: str = wf("Isolation", "string")
    resources: Resources = wf("Resources", "embed", cls=Resources)
    mounts: tuple[Mount, ...] | None = wf("Mounts", "[]Mount", cls=Mount, omitempty=True)
    masked_paths: tuple[str, ...] | None = wf("MaskedPaths", "[]string")
    readonly_paths: tuple[str, ...] | None = wf("ReadonlyPaths", "[]string")
    init: bool | None = wf("Init", "*bool", omitempty=True)

    @classmethod
    def from_wire(cls, doc: Any, struct: str = "HostConfig") -> HostConfig:
        return decode(cls, doc, struct)

    def to_wire(self) -> dict[str, Any]:
        return encode(self)


def with_daemon_defaults(
    hc: HostConfig,
    *,
    log_driver: str = "json-file",
    runtime: str = "runc",
    shm_size: int = DEFAULT_SHM_SIZE,
    ipc_mode: str = "private",
    cgroupns_mode: str = "host",
) -> HostConfig:
    """What dockerd fills into a new container's HostConfig (daemon.json decides the values).

    Pure: the caller passes the daemon's configuration (``cgroupns_mode`` is "private" on a
    cgroup v2 host). Masked and read-only paths are the defaults only when the client sent
    none and the container is not privileged. Capabilities are spelled ``CAP_X``.
    """
    log = hc.log_config
    if not log.type:
        log = LogConfig(type=log_driver, config=log.config)
    if log.config is None:
        log = LogConfig(type=log.type, config={})
    policy = hc.restart_policy
    if not policy.name:
        policy = RestartPolicy(name="no", maximum_retry_count=policy.maximum_retry_count)
    resources = hc.resources
    if resources.oom_kill_disable is None:
        resources = dataclasses.replace(resources, oom_kill_disable=False)
    if resources.memory_swappiness == -1:  # the CLI's "unset"
        resources = dataclasses.replace(resources, memory_swappiness=None)
    if resources.pids_limit is not None and resources.pids_limit <= 0:  # 0 and -1: unlimited
        resources = dataclasses.replace(resources, pids_limit=None)
    cap_add, cap_drop = _normalize_caps(hc.cap_add), _normalize_caps(hc.cap_drop)
    masked, readonly = hc.masked_paths, hc.readonly_paths
    if not hc.privileged:
        masked = DEFAULT_MASKED_PATHS if masked is None else masked
        readonly = DEFAULT_READONLY_PATHS if readonly is None else readonly
    return dataclasses.replace(
        hc,
        log_config=log,
        restart_policy=policy,
        network_mode=hc.network_mode or "default",
        runtime=hc.runtime or runtime,
        shm_size=hc.shm_size or shm_size,
        ipc_mode=hc.ipc_mode or ipc_mode,
        cgroupns_mode=hc.cgroupns_mode or cgroupns_mode,
        resources=resources,
        cap_add=cap_add,
        cap_drop=cap_drop,
        masked_paths=masked,
        readonly_paths=readonly,
    )


def _normalize_caps(caps: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if caps is None:
        return None
    upper = (c.upper() for c in caps)
    return tuple(c if c == "ALL" or c.startswith("CAP_") else f"CAP_{c}" for c in upper)
