"""The OCI runtime spec (config.json of a bundle), the 1.0.2 subset Dockyard writes.

These are values, not behaviour: ``runtime/spec.py`` builds them from a container's
configuration and ``to_json`` renders the exact keys runc reads. Optional members are
omitted when unset, as Go's ``omitempty`` does, so a golden file shows only what was decided.
Lists are tuples so that a Spec is immutable and two equal inputs give equal specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CPU",
    "OCI_VERSION",
    "BlockIO",
    "Capabilities",
    "Device",
    "DeviceRule",
    "IDMapping",
    "Linux",
    "Memory",
    "Mount",
    "Namespace",
    "Pids",
    "Process",
    "Resources",
    "Rlimit",
    "Root",
    "Seccomp",
    "SeccompArg",
    "SeccompSyscall",
    "Spec",
    "User",
]

OCI_VERSION = "1.0.2"


@dataclass(frozen=True, slots=True)
class User:
    uid: int = 0
    gid: int = 0
    additional_gids: tuple[int, ...] = ()
    umask: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uid": self.uid, "gid": self.gid}
        if self.umask is not None:
            out["umask"] = self.umask
        if self.additional_gids:
            out["additionalGids"] = list(self.additional_gids)
        return out


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Capability names with the ``CAP_`` prefix, per set."""

    bounding: tuple[str, ...] = ()
    effective: tuple[str, ...] = ()
    permitted: tuple[str, ...] = ()
    inheritable: tuple[str, ...] = ()
    ambient: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        sets = {
            "bounding": self.bounding,
            "effective": self.effective,
            "permitted": self.permitted,
            "inheritable": self.inheritable,
            "ambient": self.ambient,
        }
        return {k: list(v) for k, v in sets.items() if v}


@dataclass(frozen=True, slots=True)
class Rlimit:
    type: str
    hard: int
    soft: int

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "hard": self.hard, "soft": self.soft}


@dataclass(frozen=True, slots=True)
class Process:
    args: tuple[str, ...]
    cwd: str = "/"
    env: tuple[str, ...] = ()
    user: User = field(default_factory=User)
    terminal: bool = False
    capabilities: Capabilities | None = None
    rlimits: tuple[Rlimit, ...] = ()
    no_new_privileges: bool = False
    oom_score_adj: int | None = None
    apparmor_profile: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.terminal:
            out["terminal"] = True
        out["user"] = self.user.to_json()
        out["args"] = list(self.args)
        if self.env:
            out["env"] = list(self.env)
        out["cwd"] = self.cwd
        if self.capabilities is not None:
            out["capabilities"] = self.capabilities.to_json()
        if self.rlimits:
            out["rlimits"] = [r.to_json() for r in self.rlimits]
        if self.no_new_privileges:
            out["noNewPrivileges"] = True
        if self.apparmor_profile:
            out["apparmorProfile"] = self.apparmor_profile
        if self.oom_score_adj is not None:
            out["oomScoreAdj"] = self.oom_score_adj
        return out


@dataclass(frozen=True, slots=True)
class Root:
    path: str
    readonly: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.readonly:
            out["readonly"] = True
        return out


@dataclass(frozen=True, slots=True)
class Mount:
    destination: str
    type: str = ""
    source: str = ""
    options: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"destination": self.destination}
        if self.type:
            out["type"] = self.type
        if self.source:
            out["source"] = self.source
        if self.options:
            out["options"] = list(self.options)
        return out


@dataclass(frozen=True, slots=True)
class Namespace:
    """``type`` is the OCI name (pid, network, mount, ipc, uts, user, cgroup); a ``path``
    joins an existing namespace instead of creating one."""

    type: str
    path: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.path:
            out["path"] = self.path
        return out


@dataclass(frozen=True, slots=True)
class IDMapping:
    container_id: int
    host_id: int
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"containerID": self.container_id, "hostID": self.host_id, "size": self.size}


@dataclass(frozen=True, slots=True)
class Memory:
    limit: int | None = None
    reservation: int | None = None
    swap: int | None = None

    def to_json(self) -> dict[str, Any]:
        values = {"limit": self.limit, "reservation": self.reservation, "swap": self.swap}
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True, slots=True)
class CPU:
    shares: int | None = None
    quota: int | None = None
    period: int | None = None
    cpus: str = ""
    mems: str = ""

    def to_json(self) -> dict[str, Any]:
        values: dict[str, Any] = {"shares": self.shares, "quota": self.quota}
        values["period"] = self.period
        values["cpus"] = self.cpus or None
        values["mems"] = self.mems or None
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Pids:
    limit: int

    def to_json(self) -> dict[str, Any]:
        return {"limit": self.limit}


@dataclass(frozen=True, slots=True)
class BlockIO:
    weight: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {} if self.weight is None else {"weight": self.weight}


@dataclass(frozen=True, slots=True)
class DeviceRule:
    """One device cgroup rule; ``None`` major/minor and empty type mean "all"."""

    allow: bool
    access: str = "rwm"
    type: str = ""
    major: int | None = None
    minor: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"allow": self.allow}
        if self.type:
            out["type"] = self.type
        if self.major is not None:
            out["major"] = self.major
        if self.minor is not None:
            out["minor"] = self.minor
        out["access"] = self.access
        return out


@dataclass(frozen=True, slots=True)
class Resources:
    devices: tuple[DeviceRule, ...] = ()
    memory: Memory | None = None
    cpu: CPU | None = None
    pids: Pids | None = None
    block_io: BlockIO | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.devices:
            out["devices"] = [d.to_json() for d in self.devices]
        if self.memory is not None:
            out["memory"] = self.memory.to_json()
        if self.cpu is not None:
            out["cpu"] = self.cpu.to_json()
        if self.pids is not None:
            out["pids"] = self.pids.to_json()
        if self.block_io is not None:
            out["blockIO"] = self.block_io.to_json()
        return out


@dataclass(frozen=True, slots=True)
class Device:
    """A device node the runtime creates in the container's /dev."""

    path: str
    type: str
    major: int
    minor: int
    file_mode: int | None = None
    uid: int | None = None
    gid: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "type": self.type,
            "major": self.major,
            "minor": self.minor,
        }
        if self.file_mode is not None:
            out["fileMode"] = self.file_mode
        if self.uid is not None:
            out["uid"] = self.uid
        if self.gid is not None:
            out["gid"] = self.gid
        return out


@dataclass(frozen=True, slots=True)
class SeccompArg:
    index: int
    value: int
    op: str
    value_two: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "value": self.value}
        if self.value_two:
            out["valueTwo"] = self.value_two
        out["op"] = self.op
        return out


@dataclass(frozen=True, slots=True)
class SeccompSyscall:
    names: tuple[str, ...]
    action: str
    errno_ret: int | None = None
    args: tuple[SeccompArg, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"names": list(self.names), "action": self.action}
        if self.errno_ret is not None:
            out["errnoRet"] = self.errno_ret
        if self.args:
            out["args"] = [a.to_json() for a in self.args]
        return out


@dataclass(frozen=True, slots=True)
class Seccomp:
    default_action: str
    default_errno_ret: int | None = None
    architectures: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    syscalls: tuple[SeccompSyscall, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"defaultAction": self.default_action}
        if self.default_errno_ret is not None:
            out["defaultErrnoRet"] = self.default_errno_ret
        if self.architectures:
            out["architectures"] = list(self.architectures)
        if self.flags:
            out["flags"] = list(self.flags)
        if self.syscalls:
            out["syscalls"] = [s.to_json() for s in self.syscalls]
        return out


@dataclass(frozen=True, slots=True)
class Linux:
    namespaces: tuple[Namespace, ...] = ()
    uid_mappings: tuple[IDMapping, ...] = ()
    gid_mappings: tuple[IDMapping, ...] = ()
    devices: tuple[Device, ...] = ()
    cgroups_path: str = ""
    resources: Resources | None = None
    sysctl: Mapping[str, str] = field(default_factory=dict)
    seccomp: Seccomp | None = None
    masked_paths: tuple[str, ...] = ()
    readonly_paths: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.uid_mappings:
            out["uidMappings"] = [m.to_json() for m in self.uid_mappings]
        if self.gid_mappings:
            out["gidMappings"] = [m.to_json() for m in self.gid_mappings]
        if self.sysctl:
            out["sysctl"] = {k: self.sysctl[k] for k in sorted(self.sysctl)}
        if self.resources is not None:
            out["resources"] = self.resources.to_json()
        if self.cgroups_path:
            out["cgroupsPath"] = self.cgroups_path
        out["namespaces"] = [n.to_json() for n in self.namespaces]
        if self.devices:
            out["devices"] = [d.to_json() for d in self.devices]
        if self.seccomp is not None:
            out["seccomp"] = self.seccomp.to_json()
        if self.masked_paths:
            out["maskedPaths"] = list(self.masked_paths)
        if self.readonly_paths:
            out["readonlyPaths"] = list(self.readonly_paths)
        return out


@dataclass(frozen=True, slots=True)
class Spec:
    process: Process
    root: Root
    linux: Linux
    hostname: str = ""
    mounts: tuple[Mount, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)
    oci_version: str = OCI_VERSION

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ociVersion": self.oci_version,
            "process": self.process.to_json(),
            "root": self.root.to_json(),
        }
        if self.hostname:
            out["hostname"] = self.hostname
        out["mounts"] = [m.to_json() for m in self.mounts]
        if self.annotations:
            out["annotations"] = {k: self.annotations[k] for k in sorted(self.annotations)}
        out["linux"] = self.linux.to_json()
        return out
