"""The OCI runtime spec of a container, from its configuration: Docker's semantics, purely.

``build_spec`` is a translation with no I/O: the caller (the container service) reads and
stats whatever the host must tell (the init binary's path, devices, the image's passwd
resolved with :func:`dockyard.runtime.usergroup.resolve_user`, a seccomp profile's text,
the netns prepared by the network layer, hostname/hosts/resolv.conf and volume mounts) and
passes it in as data. Same input, same spec; golden tests pin the output.

What it reproduces from Docker (moby ``oci/defaults.go`` + ``daemon/oci_linux.go``): the
default mounts, masked and read-only /proc and /sys paths, the 14 default capabilities and
cap-add/cap-drop, the default seccomp profile, the device cgroup allowlist, env defaults
(PATH, HOSTNAME, TERM), ``--init``, ``--read-only``, ``--tmpfs``, resources, ulimits,
sysctls, and ``--privileged`` (all caps, all devices, no masks, no seccomp).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from dockyard.errors import InvalidParameter
from dockyard.oci import runtime as oci
from dockyard.runtime import capabilities, seccomp
from dockyard.runtime.spec_input import (
    DeviceMapping,
    ExtraMount,
    HostOptions,
    RunConfig,
    SpecInput,
    Ulimit,
    merge_config,
)
from dockyard.runtime.spec_mounts import INIT_PATH, container_mounts

__all__ = [
    "DEFAULT_PATH",
    "DeviceMapping",
    "ExtraMount",
    "HostOptions",
    "RunConfig",
    "SpecInput",
    "Ulimit",
    "build_spec",
    "merge_config",
    "validate_host_options",
]

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHM_SIZE = 64 * 1024 * 1024
_MIN_MEMORY = 6 * 1024 * 1024
_MASKED = (
    "/proc/asound /proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list "
    "/proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap"
).split()
_READONLY = "/proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger".split()
_RLIMITS = frozenset(
    "core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime "
    "sigpending stack".split()
)
# Deny all, then allow null, zero, full, random, urandom, tty, console; deny fuse.
_DEFAULT_DEVICE_RULES = (
    oci.DeviceRule(allow=False),
    *(
        oci.DeviceRule(True, "rwm", "c", major, minor)
        for major, minor in ((1, 5), (1, 3), (1, 9), (1, 8), (5, 0), (5, 1))
    ),
    oci.DeviceRule(False, "rwm", "c", 10, 229),
)
_UNLIMITED = 2**64 - 1
_CGROUP_RULE = re.compile(r"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")


@dataclass(frozen=True, slots=True)
class _Security:
    no_new_privileges: bool = False
    seccomp: str = ""  # "" = default profile, "unconfined", or a profile's JSON text


def _parse_security(opts: Iterable[str]) -> _Security:
    nnp, profile = False, ""
    for opt in opts:
        if opt == "no-new-privileges":
            nnp = True
            continue
        sep = "=" if "=" in opt else ":"
        key, found, value = opt.partition(sep)
        if not found:
            raise InvalidParameter(f'invalid --security-opt 1: "{opt}"')
        if key == "seccomp":
            profile = "" if value == "builtin" else value
        elif key == "no-new-privileges":
            if value.lower() not in ("1", "t", "true", "0", "f", "false"):
                raise InvalidParameter(f'invalid --security-opt 2: "{opt}"')
            nnp = value.lower() in ("1", "t", "true")
        elif key not in ("label", "apparmor"):
            raise InvalidParameter(f'invalid --security-opt 2: "{opt}"')
    return _Security(nnp, profile)


def _mode_ok(mode: str, allowed: tuple[str, ...], joinable: bool) -> bool:
    return mode in allowed or (joinable and mode.startswith("container:") and len(mode) > 10)


def _validate_sysctls(host: HostOptions) -> None:
    for name in host.sysctls:
        if name.startswith(("kernel.msg", "kernel.sem", "kernel.shm", "fs.mqueue.")):
            if host.ipc_mode == "host":
                raise InvalidParameter(f'sysctl "{name}" is not allowed in the host IPC namespace')
        elif name.startswith("net."):
            if host.network == "host":
                raise InvalidParameter(
                    f'sysctl "{name}" is not allowed in the host network namespace'
                )
        elif name == "kernel.domainname" and host.uts_mode != "host":
            continue
        else:
            raise InvalidParameter(f'sysctl "{name}" is not in a separate kernel namespace')


def validate_host_options(host: HostOptions) -> None:
    """Refuse what Docker refuses at create, with Docker's messages (InvalidParameter)."""
    checks = [
        (0 < host.memory < _MIN_MEMORY, "Minimum memory limit allowed is 6MB"),
        (0 < host.memory_reservation < _MIN_MEMORY, "Minimum memory reservation allowed is 6MB"),
        (
            0 < host.memory < host.memory_reservation,
            "Minimum memory limit can not be less than memory reservation limit, see usage",
        ),
        (
            0 < host.memory_swap < host.memory,
            "Minimum memoryswap limit should be larger than memory limit, see usage",
        ),
        (
            host.memory == 0 and host.memory_swap > 0,
            "You should always set the Memory limit when using Memoryswap limit, see usage",
        ),
        (
            host.nano_cpus > 0 and host.cpu_period > 0,
            "Conflicting options: Nano CPUs and CPU Period cannot both be set",
        ),
        (
            host.nano_cpus > 0 and host.cpu_quota > 0,
            "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
        ),
        (
            host.cpu_period != 0 and not 1000 <= host.cpu_period <= 1000000,
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
        ),
        (0 < host.cpu_quota < 1000, "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
        (
            host.cpu_shares < 0,
            f"invalid CPU shares ({host.cpu_shares}): value must be a positive integer",
        ),
        (host.nano_cpus < 0, "Range of CPUs is from 0.01 to the number of CPUs available"),
        (host.blkio_weight != 0 and not 10 <= host.blkio_weight <= 1000, _BLKIO_MESSAGE),
        (
            not -1000 <= host.oom_score_adj <= 1000,
            f"Invalid value {host.oom_score_adj}, range for oom score adj is [-1000, 1000]",
        ),
        (host.shm_size < 0, "SHM size can not be less than 0"),
        (not _mode_ok(host.ipc_mode, _IPC_MODES, True), f"invalid IPC mode: {host.ipc_mode}"),
        (not _mode_ok(host.pid_mode, _PID_MODES, True), f"invalid PID mode: {host.pid_mode}"),
        (not _mode_ok(host.uts_mode, _PID_MODES, False), f"invalid UTS mode: {host.uts_mode}"),
        (
            not _mode_ok(host.cgroupns_mode, _PID_MODES, False),
            f"invalid cgroup namespace mode: {host.cgroupns_mode}",
        ),
        (
            not (_mode_ok(host.network, _NET_MODES, True) or host.network.startswith("/")),
            f"invalid network mode: {host.network}",
        ),
    ]
    for failed, message in checks:
        if failed:
            raise InvalidParameter(message)
    for ul in host.ulimits:
        if ul.name not in _RLIMITS:
            raise InvalidParameter(f"invalid ulimit type: {ul.name}")
        if ul.hard != -1 and (ul.soft == -1 or ul.soft > ul.hard):
            raise InvalidParameter(
                f"ulimit soft limit must be less than or equal to hard limit: {ul.soft} > {ul.hard}"
            )
    for dev in host.devices:
        if not dev.permissions or set(dev.permissions) - set("rwm") or dev.type not in "cb":
            raise InvalidParameter(f"bad mode specified: {dev.permissions}")
    for rule in host.device_cgroup_rules:
        _cgroup_rule(rule)
    _validate_sysctls(host)
    _parse_security(host.security_opt)


_BLKIO_MESSAGE = "Range of blkio weight is from 10 to 1000"
_IPC_MODES = ("", "private", "shareable", "none", "host")
_PID_MODES = ("", "private", "host")
_NET_MODES = ("", "host")


def _replace_or_append(env: list[str], overrides: Iterable[str]) -> list[str]:
    """Docker's env merge: a KEY=v replaces KEY in place, a bare KEY removes it."""
    out = list(env)
    for item in overrides:
        key = item.partition("=")[0]
        idx = next((i for i, e in enumerate(out) if e.partition("=")[0] == key), None)
        if "=" not in item:
            if idx is not None:
                del out[idx]
        elif idx is None:
            out.append(item)
        else:
            out[idx] = item
    return out


def _joined(mode: str) -> str:
    """The namespace path a mode joins ("" when it creates a new namespace)."""
    if mode.startswith("container:"):
        return mode[len("container:") :]
    return mode if mode.startswith("/") else ""


def _namespaces(host: HostOptions) -> tuple[oci.Namespace, ...]:
    wanted = [
        ("mount", ""),
        ("network", host.network),
        ("uts", host.uts_mode),
        ("pid", host.pid_mode),
        ("ipc", host.ipc_mode),
        ("cgroup", host.cgroupns_mode),
    ]
    return tuple(oci.Namespace(kind, _joined(mode)) for kind, mode in wanted if mode != "host")


def _process(inp: SpecInput, config: RunConfig, caps: tuple[str, ...], nnp: bool) -> oci.Process:
    host = inp.host
    args = [*(config.entrypoint or ()), *(config.cmd or ())]
    if not args:
        raise InvalidParameter("no command specified")
    if host.init and host.pid_mode in ("", "private"):
        args = [INIT_PATH, "--", *args]
    cwd = config.working_dir or "/"
    if not cwd.startswith("/"):
        raise InvalidParameter(
            f"the working directory '{cwd}' is invalid, it needs to be an absolute path"
        )
    env = [f"PATH={DEFAULT_PATH}", f"HOSTNAME={_hostname(inp, config)}"]
    env += ["TERM=xterm"] if config.tty else []
    rlimits = tuple(
        oci.Rlimit(
            type="RLIMIT_" + ul.name.upper(),
            hard=_UNLIMITED if ul.hard < 0 else ul.hard,
            soft=_UNLIMITED if ul.soft < 0 else ul.soft,
        )
        for ul in host.ulimits
    )
    return oci.Process(
        args=tuple(args),
        cwd=posixpath.normpath(cwd),
        env=tuple(_replace_or_append(env, config.env)),
        user=oci.User(inp.user.uid, inp.user.gid, (inp.user.gid, *inp.user.extra_gids)),
        terminal=config.tty,
        capabilities=oci.Capabilities(bounding=caps, effective=caps, permitted=caps),
        rlimits=rlimits,
        no_new_privileges=nnp,
        oom_score_adj=host.oom_score_adj,
    )


def _hostname(inp: SpecInput, config: RunConfig) -> str:
    return config.hostname or inp.id[:12]


def _resources(host: HostOptions) -> oci.Resources:
    memory = oci.Memory(
        limit=host.memory or None,
        reservation=host.memory_reservation or None,
        swap=host.memory_swap if host.memory_swap > 0 else None,
    )
    period, quota = host.cpu_period or None, host.cpu_quota or None
    if host.nano_cpus > 0:
        period, quota = 100000, host.nano_cpus * 100000 // 10**9
    cpu = oci.CPU(host.cpu_shares or None, quota, period, host.cpuset_cpus, host.cpuset_mems)
    pids = None
    if host.pids_limit is not None:
        pids = oci.Pids(host.pids_limit if host.pids_limit > 0 else -1)
    if host.privileged:
        rules: tuple[oci.DeviceRule, ...] = (oci.DeviceRule(allow=True),)
    else:
        rules = _DEFAULT_DEVICE_RULES + tuple(
            oci.DeviceRule(True, d.permissions, d.type, d.major, d.minor) for d in host.devices
        )
        rules += tuple(_cgroup_rule(text) for text in host.device_cgroup_rules)
    return oci.Resources(
        devices=rules,
        memory=memory if memory != oci.Memory() else None,
        cpu=cpu if cpu != oci.CPU() else None,
        pids=pids,
        block_io=oci.BlockIO(host.blkio_weight) if host.blkio_weight else None,
    )


def _cgroup_rule(text: str) -> oci.DeviceRule:
    """``--device-cgroup-rule 'c 1:3 mr'`` as an allow rule (``*`` is any number)."""
    match = _CGROUP_RULE.match(text)
    if match is None:
        raise InvalidParameter(f"invalid device cgroup rule format: '{text}'")
    kind, major, minor, access = match.groups()
    return oci.DeviceRule(
        allow=True,
        access=access,
        type=kind,
        major=None if major == "*" else int(major),
        minor=None if minor == "*" else int(minor),
    )


def _sysctls(host: HostOptions, config: RunConfig) -> dict[str, str]:
    out: dict[str, str] = {}
    if host.network == "" or host.network.startswith("/"):  # a netns of its own
        out["net.ipv4.ip_unprivileged_port_start"] = "0"
        out["net.ipv4.ping_group_range"] = "0 2147483647"
    if config.domainname:
        out["kernel.domainname"] = config.domainname
    out.update(host.sysctls)
    return out


def build_spec(inp: SpecInput) -> oci.Spec:
    """The OCI spec for ``inp``; InvalidParameter for what Docker refuses."""
    host = inp.host
    validate_host_options(host)
    security = _parse_security(host.security_opt)
    config = merge_config(inp.image, inp.config)
    caps = capabilities.tweak(
        host.cap_add, host.cap_drop, host.privileged, available=host.host_capabilities
    )
    if security.seccomp == "unconfined" or (host.privileged and not security.seccomp):
        profile = None
    elif security.seccomp:
        profile = seccomp.load_profile(security.seccomp, caps)
    else:
        profile = seccomp.default_profile(caps)
    devices = tuple(
        oci.Device(d.path_in_container, d.type, d.major, d.minor, d.file_mode, d.uid, d.gid)
        for d in host.devices
    )
    user_mounts = [oci.Mount(m.destination, m.type, m.source, m.options) for m in inp.mounts]
    pid_private = host.pid_mode in ("", "private")
    linux = oci.Linux(
        namespaces=_namespaces(host),
        devices=devices,
        cgroups_path=posixpath.join(host.cgroup_parent or "/dockyard", inp.id),
        resources=_resources(host),
        sysctl=_sysctls(host, config),
        seccomp=profile,
        masked_paths=() if host.privileged else tuple(_MASKED),
        readonly_paths=() if host.privileged else tuple(_READONLY),
    )
    return oci.Spec(
        process=_process(inp, config, caps, security.no_new_privileges),
        root=oci.Root(inp.rootfs, readonly=host.read_only),
        hostname="" if host.uts_mode == "host" else _hostname(inp, config),
        mounts=container_mounts(
            user_mounts,
            host.tmpfs,
            shm_size=host.shm_size or DEFAULT_SHM_SIZE,
            with_shm=host.ipc_mode != "none",
            init_source=host.init if pid_private else None,
            read_only=host.read_only,
            privileged=host.privileged,
        ),
        linux=linux,
    )
