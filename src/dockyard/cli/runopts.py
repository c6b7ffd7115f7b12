"""``create``/``run`` flags -> the ``POST /containers/create`` body, exactly as docker builds it.

Pure (it reads only the files the flags name: ``--env-file``, ``--label-file``, a seccomp
profile): ``build_create(opts, args, environ=..., cwd=...)`` returns a :class:`CreateSpec`
whose ``body`` is the wire JSON (Config fields at the top, ``HostConfig``,
``NetworkingConfig``). Mirrors docker CLI 28's ``cli/command/container/opts.go`` ``parse``.

Two kinds of failure, as docker reports them:

* :class:`FlagValueError` -- a flag value its pflag.Value rejects (``invalid argument "x"
  for "-m, --memory" flag: invalid size: 'x'``), printed with the usage; exit 125.
* :class:`OptionsError` -- a problem ``parse`` finds in the combination (``--pid: invalid
  PID mode``), printed as ``dockyard: <msg>`` with a ``--help`` hint; exit 125.
"""

from __future__ import annotations

from dockyard.cli import values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CreateSpec", "FlagValueError", "OptionsError", "build_create", "flag_label"]

_SHORTS = {"memory": "m", "env": "e", "label": "l", "volume": "v", "publish": "p"}
_SHORTS |= {"attach": "a", "hostname": "h", "user": "u", "workdir": "w", "cpu-shares": "c"}
_NON_USER_NETWORKS = ("default", "bridge", "host", "none")


def flag_label(long: str) -> str:
    short = _SHORTS.get(long)
    return f"-{short}, --{long}" if short else f"--{long}"


class FlagValueError(ValueError):
    """A flag value rejected at parse time; ``str()`` is pflag's whole sentence."""

    def __init__(self, long: str, value: str, reason: str) -> None:
        super().__init__(f'invalid argument "{value}" for "{flag_label(long)}" flag: {reason}')


class OptionsError(ValueError):
    """A rejected combination of flags (docker's ``parse`` errors)."""


class CreateSpec:
    """What ``create``/``run`` send: query (``name``, ``platform``) and body."""

    __slots__ = ("body", "cidfile", "name", "platform", "pull")

    def __init__(self, body: dict[str, Any], name: str, platform: str, pull: str, cidfile: str):
        self.body = body
        self.name = name
        self.platform = platform
        self.pull = pull
        self.cidfile = cidfile

    @property
    def image(self) -> str:
        return str(self.body["Image"])

    @property
    def host_config(self) -> dict[str, Any]:
        host: dict[str, Any] = self.body["HostConfig"]
        return host


def _each(opts: dict[str, Any], long: str, check: Any) -> list[Any]:
    out = []
    for value in opts[long.replace("-", "_")] or []:
        try:
            out.append(check(value))
        except ValueError as err:
            raise FlagValueError(long, value, str(err)) from None
    return out


def _one(opts: dict[str, Any], long: str, check: Any, default: Any = 0) -> Any:
    value = opts[long.replace("-", "_")]
    if value in (None, ""):
        return default
    try:
        return check(value)
    except ValueError as err:
        raise FlagValueError(long, value, str(err)) from None


def validate_env(value: str, environ: dict[str, str]) -> str:
    """opts.ValidateEnv: ``K`` alone takes the client's value of ``K`` when it has one."""
    key, sep, _ = value.partition("=")
    if not key:
        raise ValueError(f"invalid environment variable: {value}")
    if sep or key not in environ:
        return value
    return f"{key}={environ[key]}"


def _ip(value: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"IP address is not correctly formatted: {value}") from None


def _extra_host(value: str) -> str:
    key, sep, addr = value.partition("=")
    if not sep:
        key, sep, addr = value.partition(":")
    if not sep or not key or ":" in key:
        raise ValueError(f'bad format for add-host: "{value}"')
    if addr != "host-gateway":
        if len(addr) > 2 and addr[0] == "[" and addr[-1] == "]":
            addr = addr[1:-1]
        try:
            addr = _ip(addr)
        except ValueError:
            raise ValueError(f'invalid IP address in add-host: "{addr}"') from None
    return f"{key}:{addr}"


def _label(value: str) -> str:
    key = value.partition("=")[0].strip()
    if not key:
        raise ValueError(f"invalid label '{value}': empty name")
    return value


def _link(value: str) -> str:
    if not value:
        raise ValueError("empty string specified for links")
    if len(value.split(":")) > 2:
        raise ValueError(f"bad format for links: {value}")
    return value


def _dns_search(value: str) -> str:
    import re

    if value == ".":
        return value
    label = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])"
    if len(value) > 255 or not re.fullmatch(rf"{label}(?:\.{label})*\.?\s*", value):
        raise ValueError(f"{value} is not a valid domain")
    return value


_SYSCTL_NAMES = frozenset(
    "kernel.msgmax kernel.msgmnb kernel.msgmni kernel.sem kernel.shmall kernel.shmmax "
    "kernel.shmmni kernel.shm_rmid_forced".split()
)


def _sysctl(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    allowed = key in _SYSCTL_NAMES or key.startswith(("fs.mqueue.", "net."))
    if not sep or not key or not allowed:
        raise ValueError(f"sysctl '{value}' is not allowed")
    return key, val


def _attach(value: str) -> str:
    lowered = value.lower()
    if lowered not in ("stdin", "stdout", "stderr"):
        raise ValueError("valid streams are STDIN, STDOUT and STDERR")
    return lowered


def _mem_swap(value: str) -> int:
    return -1 if value == "-1" else values.ram_in_bytes(value)


def _mac(value: str) -> str:
    import re

    if not re.fullmatch(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}", value.strip()):
        raise OptionsError(f"{value} is not a valid mac address")
    return value


def read_kv_file(path: str, environ: dict[str, str] | None) -> list[str]:
    """opts.parseKeyValueFile: ``K=V`` lines; ``K`` alone takes ``environ[K]`` (env files)
    or is dropped (label files); ``#`` comments and blank lines are skipped."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as err:
        raise OptionsError(f"open {path}: {(err.strerror or str(err)).lower()}") from None
    lines: list[str] = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise OptionsError(
                f"invalid env file ({path}): invalid utf8 bytes at line {number}: {raw!r}"
            ) from None
        line = text.lstrip()
        if not line or line.startswith("#"):
            continue
        variable, sep, value = line.partition("=")
        variable = variable.lstrip(" \t\n\v\f\r")
        if any(c in variable for c in " \t\n\v\f\r"):
            raise OptionsError(
                f"poorly formatted environment: variable '{variable}' contains whitespaces"
            )
        if not variable:
            raise OptionsError(f"poorly formatted environment: no variable name on line '{line}'")
        if sep:
            lines.append(f"{variable}={value}")
        elif environ is not None and variable in environ:
            lines.append(f"{variable.strip()}={environ[variable]}")
    return lines


def _kv_map(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, _, val = item.partition("=")
        out[key] = val
    return out


def _security_opts(items: list[str]) -> list[str]:
    import json

    out = []
    for opt in items:
        key, sep, val = opt.partition("=")
        if not sep and key != "no-new-privileges":
            key, sep, val = opt.partition(":")
        if (not sep or not val) and key != "no-new-privileges":
            raise OptionsError(f'Invalid --security-opt: "{opt}"')
        if key == "seccomp" and val not in ("builtin", "unconfined"):
            try:
                with open(val, "rb") as handle:
                    profile = json.loads(handle.read())
            except OSError as err:
                raise OptionsError(f"opening seccomp profile ({val}) failed: {err}") from None
            except ValueError as err:
                raise OptionsError(
                    f"compacting json for seccomp profile ({val}) failed: {err}"
                ) from None
            opt = "seccomp=" + json.dumps(profile, separators=(",", ":"))
        out.append(opt)
    return out


def _mode_valid(kind: str, mode: str) -> bool:
    if kind in ("pid", "ipc") and mode.startswith("container:"):
        return bool(mode.partition(":")[2])
    allowed = {
        "pid": ("", "host"),
        "uts": ("", "host"),
        "userns": ("", "host"),
        "cgroupns": ("", "host", "private"),
        "ipc": ("", "none", "private", "shareable", "host"),
    }
    return mode in allowed[kind]


def restart_policy(value: str) -> dict[str, Any]:
    """opts.ParseRestartPolicy: ``name[:max-retries]``."""
    name, sep, count = value.partition(":")
    if sep and not name:
        raise OptionsError("invalid restart policy format: no policy provided before colon")
    retries = 0
    if count:
        try:
            retries = values.go_int(count)
        except ValueError:
            raise OptionsError(
                "invalid restart policy format: maximum retry count must be an integer"
            ) from None
    return {"Name": name, "MaximumRetryCount": retries}


def _health(opts: dict[str, Any]) -> dict[str, Any] | None:
    durations = {}
    for long in (
        "health-interval",
        "health-timeout",
        "health-start-period",
        "health-start-interval",
    ):
        durations[long] = _one(opts, long, values.go_duration)
    have = bool(opts["health_cmd"]) or any(durations.values()) or opts["health_retries"] != 0
    if opts["no_healthcheck"]:
        if have:
            raise OptionsError("--no-healthcheck conflicts with --health-* options")
        return {"Test": ["NONE"]}
    if not have:
        return None
    for long in ("health-interval", "health-timeout"):
        if durations[long] < 0:
            raise OptionsError(f"--{long} cannot be negative")
    if opts["health_retries"] < 0:
        raise OptionsError("--health-retries cannot be negative")
    for long in ("health-start-period", "health-start-interval"):
        if durations[long] < 0:
            raise OptionsError(f"--{long} cannot be negative")
    health: dict[str, Any] = {}
    if opts["health_cmd"]:
        health["Test"] = ["CMD-SHELL", opts["health_cmd"]]
    for long, key in (
        ("health-interval", "Interval"),
        ("health-timeout", "Timeout"),
        ("health-start-period", "StartPeriod"),
        ("health-start-interval", "StartInterval"),
    ):
        if durations[long]:
            health[key] = durations[long]
    if opts["health_retries"]:
        health["Retries"] = opts["health_retries"]
    return health


def build_create(
    opts: dict[str, Any], args: list[str], *, environ: dict[str, str], cwd: str
) -> CreateSpec:
    """The create request for ``IMAGE [COMMAND] [ARG...]`` (``args``) and parsed flags."""
    from dockyard.cli.runopts_net import network_config, port_config

    attach = set(_each(opts, "attach", _attach))
    env = _each(opts, "env", lambda v: validate_env(v, environ))
    labels = _each(opts, "label", _label)
    extra_hosts = _each(opts, "add-host", _extra_host)
    dns = _each(opts, "dns", _ip)
    dns_search = _each(opts, "dns-search", _dns_search)
    links = _each(opts, "link", _link)
    sysctls = dict(_each(opts, "sysctl", _sysctl))
    ulimits = _each(opts, "ulimit", values.parse_ulimit)
    mounts = _each(opts, "mount", lambda v: values.parse_mount(v, cwd))
    memory = _one(opts, "memory", values.ram_in_bytes)
    reservation = _one(opts, "memory-reservation", values.ram_in_bytes)
    swap = _one(opts, "memory-swap", _mem_swap)
    shm = _one(opts, "shm-size", values.ram_in_bytes)
    cpus = _one(opts, "cpus", values.nano_cpus)
    blkio = _one(opts, "blkio-weight", lambda v: values.go_int(v, 16, unsigned=True))
    for long in ("ip", "ip6"):
        _one(opts, long, _check_ip(long == "ip6"), "")
    if opts["mac_address"]:
        _mac(opts["mac_address"])
    swappiness = opts["memory_swappiness"]
    if swappiness != -1 and not 0 <= swappiness <= 100:
        raise OptionsError(f"invalid value: {swappiness}. Valid memory swappiness range is 0-100")

    binds: list[str] = []
    volumes: dict[str, Any] = {}
    for spec in dict.fromkeys(opts["volume"]):
        try:
            kind, source, _ = values.parse_volume(spec)
        except ValueError as err:
            raise OptionsError(str(err)) from None
        if not source:
            volumes[spec] = {}
            continue
        if kind == "bind":
            part, _, rest = spec.partition(":")
            if part.startswith("."):
                import posixpath

                part = posixpath.normpath(posixpath.join(cwd, part))
            spec = f"{part}:{rest}"
        binds.append(spec)

    tmpfs = {}
    for item in opts["tmpfs"]:
        key, _, val = item.partition(":")
        tmpfs[key] = val

    exposed, bindings = port_config(opts["publish"], opts["expose"])
    network_mode, endpoints = network_config(opts)
    devices = []
    cdi: list[str] = []
    for device in opts["device"]:
        if "=" in device and not device.startswith("/"):
            cdi.append(device)
            continue
        try:
            devices.append(values.parse_device(device))
        except ValueError as err:
            raise OptionsError(str(err)) from None

    env_all: list[str] = []
    for path in opts["env_file"]:
        env_all += read_kv_file(path, environ)
    env_all += env
    label_all: list[str] = []
    for path in opts["label_file"]:
        label_all += read_kv_file(path, None)
    label_all += labels

    for kind, flag in (
        ("pid", "pid"),
        ("uts", "uts"),
        ("userns", "userns"),
        ("cgroupns", "cgroupns"),
    ):
        if not _mode_valid(kind, opts[flag]):
            name = {"pid": "PID", "uts": "UTS", "userns": "USER", "cgroupns": "CGROUP"}[kind]
            raise OptionsError(f"--{flag}: invalid {name} mode")
    restart = restart_policy(opts["restart"])
    log_opts = _kv_map(opts["log_opt"])
    if opts["log_driver"] == "none" and log_opts:
        raise OptionsError(f"invalid logging opts for driver {opts['log_driver']}")
    security = _security_opts(opts["security_opt"])
    storage = {}
    for item in opts["storage_opt"]:
        key, sep, val = item.partition("=")
        if not sep:
            raise OptionsError("invalid storage option")
        storage[key] = val
    health = _health(opts)

    entrypoint = None
    if opts["entrypoint"]:
        entrypoint = [opts["entrypoint"]]
    elif opts["entrypoint"] is not None:
        entrypoint = [""]

    device_requests = [{"Driver": "cdi", "DeviceIDs": cdi}] if cdi else None
    resources: dict[str, Any] = {
        "CgroupParent": opts["cgroup_parent"],
        "BlkioWeight": blkio,
        "BlkioWeightDevice": [],
        "BlkioDeviceReadBps": [],
        "BlkioDeviceWriteBps": [],
        "BlkioDeviceReadIOps": [],
        "BlkioDeviceWriteIOps": [],
        "CpuShares": opts["cpu_shares"],
        "CpuPeriod": opts["cpu_period"],
        "CpuQuota": opts["cpu_quota"],
        "CpuRealtimePeriod": opts["cpu_rt_period"],
        "CpuRealtimeRuntime": opts["cpu_rt_runtime"],
        "CpusetCpus": opts["cpuset_cpus"],
        "CpusetMems": opts["cpuset_mems"],
        "Devices": devices,
        "DeviceCgroupRules": opts["device_cgroup_rule"] or None,
        "DeviceRequests": device_requests,
        "Memory": memory,
        "MemoryReservation": reservation,
        "MemorySwap": swap,
        "MemorySwappiness": swappiness,
        "NanoCpus": cpus,
        "OomKillDisable": opts["oom_kill_disable"],
        "PidsLimit": opts["pids_limit"],
        "Ulimits": ulimits or None,
    }
    host: dict[str, Any] = {
        "Binds": binds or None,
        "ContainerIDFile": opts["cidfile"],
        "LogConfig": {"Type": opts["log_driver"], "Config": log_opts},
        "NetworkMode": network_mode,
        "PortBindings": bindings,
        "RestartPolicy": restart,
        "AutoRemove": opts["rm"],
        "VolumeDriver": opts["volume_driver"],
        "VolumesFrom": opts["volumes_from"] or None,
        "CapAdd": opts["cap_add"] or None,
        "CapDrop": opts["cap_drop"] or None,
        "CgroupnsMode": opts["cgroupns"],
        "Dns": dns,
        "DnsOptions": list(opts["dns_option"]),
        "DnsSearch": dns_search,
        "ExtraHosts": extra_hosts or None,
        "GroupAdd": opts["group_add"] or None,
        "IpcMode": opts["ipc"],
        "Links": links or None,
        "OomScoreAdj": opts["oom_score_adj"],
        "PidMode": opts["pid"],
        "Privileged": opts["privileged"],
        "PublishAllPorts": opts["publish_all"],
        "ReadonlyRootfs": opts["read_only"],
        "SecurityOpt": security or None,
        "UTSMode": opts["uts"],
        "UsernsMode": opts["userns"],
        "ShmSize": shm,
        "Isolation": opts["isolation"],
        **resources,
    }
    for key, value in (
        ("StorageOpt", storage),
        ("Tmpfs", tmpfs),
        ("Sysctls", sysctls),
        ("Runtime", opts["runtime"]),
        ("Mounts", mounts),
        ("Annotations", _kv_map(opts["annotation"])),
    ):
        if value:
            host[key] = value
    if restart["Name"] not in ("", "no") and opts["rm"]:
        raise OptionsError("conflicting options: cannot specify both --restart and --rm")
    if opts["init"] is not None:
        host["Init"] = opts["init"]

    stdin = opts["interactive"]
    config: dict[str, Any] = {
        "Hostname": opts["hostname"],
        "Domainname": opts["domainname"],
        "User": opts["user"],
        "AttachStdin": "stdin" in attach or stdin,
        "AttachStdout": "stdout" in attach or not attach,
        "AttachStderr": "stderr" in attach or not attach,
        "Tty": opts["tty"],
        "OpenStdin": stdin,
        "StdinOnce": False,
        "Env": env_all or None,
        "Cmd": list(args[1:]) or None,
        "Image": args[0],
        "Volumes": volumes,
        "WorkingDir": opts["workdir"],
        "Entrypoint": entrypoint,
        "OnBuild": None,
        "Labels": _kv_map(label_all),
    }
    if exposed:
        config["ExposedPorts"] = {port: {} for port in exposed}
    if health is not None:
        config["Healthcheck"] = health
    if opts["stop_signal"]:
        config["StopSignal"] = opts["stop_signal"]
    if opts["stop_timeout"] is not None:
        config["StopTimeout"] = opts["stop_timeout"]
    if config["OpenStdin"] and config["AttachStdin"]:
        config["StdinOnce"] = True
    config["HostConfig"] = host
    config["NetworkingConfig"] = {"EndpointsConfig": endpoints}
    return CreateSpec(config, opts["name"], opts["platform"], opts["pull"], opts["cidfile"])


def _check_ip(v6: bool) -> Any:
    def check(value: str) -> str:
        try:
            return _ip(value)
        except ValueError:
            raise ValueError(f"invalid string being converted to IP address: {value}") from None

    return check
