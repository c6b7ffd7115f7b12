"""The inputs of :func:`dockyard.runtime.spec.build_spec`, and Docker's config merge.

Everything the spec depends on is here as data, already read from the host by the caller:
the create request's process settings (:class:`RunConfig`), the HostConfig subset that
shapes the spec (:class:`HostOptions`), devices as stat'ed, mounts as prepared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dockyard.oci.image import ContainerConfig
from dockyard.runtime.usergroup import ExecUser

__all__ = [
    "DeviceMapping",
    "ExtraMount",
    "HostOptions",
    "RunConfig",
    "SpecInput",
    "Ulimit",
    "merge_config",
]


@dataclass(frozen=True, slots=True)
class RunConfig:
    """The create request's process settings; unset members fall back to the image's."""

    cmd: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    env: tuple[str, ...] = ()
    user: str = ""
    working_dir: str = ""
    tty: bool = False
    open_stdin: bool = False
    hostname: str = ""
    domainname: str = ""
    stop_signal: str = ""


@dataclass(frozen=True, slots=True)
class DeviceMapping:
    """``--device``: a host device already stat'ed by the caller."""

    path_on_host: str
    path_in_container: str
    permissions: str
    type: str  # "c" or "b"
    major: int
    minor: int
    file_mode: int = 0o666
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True, slots=True)
class ExtraMount:
    """A mount the caller prepared: volumes, binds, the hostname/hosts/resolv.conf files."""

    source: str
    destination: str
    type: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ulimit:
    name: str
    soft: int
    hard: int


@dataclass(frozen=True, slots=True)
class HostOptions:
    """The HostConfig settings that shape the spec.

    Modes: ``network`` is "" (a new netns), "host", "container:<netns path>" (share another
    container's) or an absolute path (a netns the network layer prepared); ``ipc_mode`` is
    ""/"private"/"shareable", "none" (no /dev/shm), "host" or "container:<ns path>";
    ``pid_mode`` ""/"private", "host" or "container:<ns path>"; ``uts_mode`` and
    ``cgroupns_mode`` ""/"private" or "host". ``init`` is the host path of the init binary.
    ``host_capabilities`` is what the host can grant (its bounding set, see
    ``capabilities.from_mask``); empty means every capability the spec knows.
    """

    privileged: bool = False
    read_only: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    devices: tuple[DeviceMapping, ...] = ()
    device_cgroup_rules: tuple[str, ...] = ()
    tmpfs: Mapping[str, str] = field(default_factory=dict)
    shm_size: int = 0
    sysctls: Mapping[str, str] = field(default_factory=dict)
    ulimits: tuple[Ulimit, ...] = ()
    init: str | None = None
    memory: int = 0
    memory_swap: int = 0
    memory_reservation: int = 0
    nano_cpus: int = 0
    cpu_shares: int = 0
    cpu_period: int = 0
    cpu_quota: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    pids_limit: int | None = None
    blkio_weight: int = 0
    oom_score_adj: int = 0
    cgroup_parent: str = ""
    network: str = ""
    ipc_mode: str = ""
    pid_mode: str = ""
    uts_mode: str = ""
    cgroupns_mode: str = ""
    host_capabilities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SpecInput:
    id: str
    rootfs: str
    image: ContainerConfig
    config: RunConfig
    host: HostOptions
    user: ExecUser
    mounts: tuple[ExtraMount, ...] = ()


def merge_config(image: ContainerConfig, request: RunConfig) -> RunConfig:
    """Docker's merge of the image's defaults into the request (idempotent)."""
    keys = {e.partition("=")[0] for e in request.env}
    env = request.env + tuple(e for e in image.env if e.partition("=")[0] not in keys)
    cmd, entrypoint = request.cmd, request.entrypoint
    if not entrypoint:
        if not cmd:
            cmd = tuple(image.cmd) if image.cmd is not None else None
        if entrypoint is None and image.entrypoint is not None:
            entrypoint = tuple(image.entrypoint)
    return RunConfig(
        cmd=cmd,
        entrypoint=entrypoint,
        env=env,
        user=request.user or image.user,
        working_dir=request.working_dir or image.working_dir,
        tty=request.tty,
        open_stdin=request.open_stdin,
        hostname=request.hostname,
        domainname=request.domainname,
        stop_signal=request.stop_signal or image.stop_signal,
    )
