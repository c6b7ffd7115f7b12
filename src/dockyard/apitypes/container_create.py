"""``POST /containers/create``: decode the body and run the checks dockerd makes up front.

Only checks that need no host state live here (no image, volume, network or cgroup lookup),
each raising InvalidParameter with dockerd's message, so a bad request fails before the
container service touches anything. Messages are those dockerd 20.10 answers with; where a
newer API added a check (ports in ``ExposedPorts``, ``StartInterval``) it uses the same
wording as its neighbours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dockyard.apitypes.container_config import ContainerConfig
from dockyard.apitypes.host_config import HostConfig, Mount, Resources, RestartPolicy
from dockyard.apitypes.networking_config import NetworkingConfig
from dockyard.errors import InvalidParameter

__all__ = [
    "ContainerCreateRequest",
    "validate_config",
    "validate_container_name",
    "validate_host_config",
    "validate_resources",
    "validate_restart_policy",
]

MIN_MEMORY = 6 * 1024 * 1024
_NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_MS = 1_000_000  # nanoseconds


@dataclass(frozen=True, slots=True)
class ContainerCreateRequest:
    """The create body: ``Config`` keys at the top level plus HostConfig and NetworkingConfig."""

    config: ContainerConfig = field(default_factory=ContainerConfig)
    host_config: HostConfig = field(default_factory=HostConfig)
    networking_config: NetworkingConfig = field(default_factory=NetworkingConfig)

    @classmethod
    def from_wire(cls, body: Any, *, ncpu: int | None = None) -> ContainerCreateRequest:
        """Decode strictly, then validate; ``ncpu`` bounds NanoCpus when known."""
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise InvalidParameter("json: cannot unmarshal into Go value of type ContainerConfig")
        req = cls(
            config=ContainerConfig.from_wire(body),
            host_config=HostConfig.from_wire(body.get("HostConfig")),
            networking_config=NetworkingConfig.from_wire(body.get("NetworkingConfig")),
        )
        validate_config(req.config)
        validate_host_config(req.host_config, ncpu=ncpu)
        return req

    def to_wire(self) -> dict[str, Any]:
        out = self.config.to_wire()
        out["HostConfig"] = self.host_config.to_wire()
        out["NetworkingConfig"] = self.networking_config.to_wire()
        return out


def validate_container_name(name: str) -> str:
    """The name without its leading "/"; InvalidParameter unless Docker would accept it."""
    if not _NAME.match(name):
        raise InvalidParameter(
            f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )
    return name.removeprefix("/")


def validate_config(config: ContainerConfig) -> None:
    if config.working_dir and not config.working_dir.startswith("/"):
        raise InvalidParameter(
            f"the working directory '{config.working_dir}' is invalid, "
            "it needs to be an absolute path"
        )
    for port in config.exposed_ports or ():
        _container_port(port)
    hc = config.healthcheck
    if hc is not None:
        for label, value in (
            ("Interval", hc.interval),
            ("Timeout", hc.timeout),
            ("StartPeriod", hc.start_period),
            ("StartInterval", hc.start_interval),
        ):
            if value != 0 and value < _MS:
                raise InvalidParameter(f"{label} in Healthcheck cannot be less than 1ms")
        if hc.retries < 0:
            raise InvalidParameter("Retries in Healthcheck cannot be negative")


def validate_host_config(hc: HostConfig, *, ncpu: int | None = None) -> None:
    for port, bindings in (hc.port_bindings or {}).items():
        _container_port(port)
        for binding in bindings or ():
            _host_port(binding.host_port)
    validate_restart_policy(hc.restart_policy)
    if hc.auto_remove and not hc.restart_policy.is_none:
        raise InvalidParameter("can't create 'AutoRemove' container with restart policy")
    for mount in hc.mounts or ():
        _validate_mount(mount)
    if hc.cgroupns_mode not in ("", "host", "private"):
        raise InvalidParameter(f"invalid cgroup namespace mode: {hc.cgroupns_mode}")
    if not -1000 <= hc.oom_score_adj <= 1000:
        raise InvalidParameter(
            f"Invalid value {hc.oom_score_adj}, range for oom score adj is [-1000, 1000]"
        )
    if hc.shm_size < 0:
        raise InvalidParameter("SHM size can not be less than 0")
    validate_resources(hc.resources, ncpu=ncpu)


def validate_restart_policy(policy: RestartPolicy) -> None:
    name, count = policy.name, policy.maximum_retry_count
    if name in ("", "no", "always", "unless-stopped"):
        if count != 0:
            raise InvalidParameter(
                f"maximum retry count cannot be used with restart policy '{name}'"
            )
    elif name == "on-failure":
        if count < 0:
            raise InvalidParameter("maximum retry count cannot be negative")
    else:
        raise InvalidParameter(f"invalid restart policy '{name}'")


def validate_resources(r: Resources, *, ncpu: int | None = None) -> None:
    """Limits that are wrong on any host (create and update)."""
    if r.memory != 0 and r.memory < MIN_MEMORY:
        raise InvalidParameter("Minimum memory limit allowed is 6MB")
    if r.memory > 0 and r.memory_swap > 0 and r.memory_swap < r.memory:
        raise InvalidParameter(
            "Minimum memoryswap limit should be larger than memory limit, see usage"
        )
    if r.memory == 0 and r.memory_swap > 0:
        raise InvalidParameter(
            "You should always set the Memory limit when using Memoryswap limit, see usage"
        )
    swappiness = r.memory_swappiness
    if swappiness is not None and swappiness != -1 and not 0 <= swappiness <= 100:
        raise InvalidParameter(
            f"Invalid value: {swappiness}, valid memory swappiness range is 0-100"
        )
    if r.memory_reservation != 0 and r.memory_reservation < MIN_MEMORY:
        raise InvalidParameter("Minimum memory reservation allowed is 6MB")
    if r.memory > 0 and r.memory_reservation > 0 and r.memory < r.memory_reservation:
        raise InvalidParameter(
            "Minimum memory limit can not be less than memory reservation limit, see usage"
        )
    if r.nano_cpus > 0 and r.cpu_period > 0:
        raise InvalidParameter("Conflicting options: Nano CPUs and CPU Period cannot both be set")
    if r.nano_cpus > 0 and r.cpu_quota > 0:
        raise InvalidParameter("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
    if r.nano_cpus < 0 or (ncpu is not None and r.nano_cpus > ncpu * 1_000_000_000):
        n = ncpu if ncpu is not None else 1
        raise InvalidParameter(
            f"Range of CPUs is from 0.01 to {n}.00, as there are only {n} CPUs available"
        )
    if r.cpu_period != 0 and not 1000 <= r.cpu_period <= 1_000_000:
        raise InvalidParameter(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"
        )
    if 0 < r.cpu_quota < 1000:
        raise InvalidParameter("CPU cfs quota can not be less than 1ms (i.e. 1000)")
    if r.blkio_weight > 0 and not 10 <= r.blkio_weight <= 1000:
        raise InvalidParameter("Range of blkio weight is from 10 to 1000")


def _container_port(spec: str) -> int:
    """The port of ``"80/tcp"``; the protocol is not checked (dockerd does not either)."""
    port = spec.split("/", 1)[0]
    if port == "":
        return 0
    if not port.isdigit() or int(port) > 65535:
        raise InvalidParameter(f'invalid port specification: "{port}"')
    return int(port)


def _host_port(spec: str) -> None:
    """A host port: empty (any), a number, or a ``start-end`` range."""
    port = spec.split("/", 1)[0]
    if port == "":
        return
    start, sep, end = port.partition("-")
    parts = [start, end] if sep else [start]
    if not all(p.isdigit() and int(p) <= 65535 for p in parts) or (sep and int(end) < int(start)):
        raise InvalidParameter(f'invalid port specification: "{spec}"')


_MOUNT_TYPES = ("bind", "volume", "tmpfs", "npipe", "cluster")


def _validate_mount(m: Mount) -> None:
    """dockerd's mount checks that need no filesystem (source existence is the service's)."""

    def bad(why: str) -> InvalidParameter:
        return InvalidParameter(f'invalid mount config for type "{m.type}": {why}')

    if not m.target:
        raise bad("field Target must not be empty")
    if m.type not in _MOUNT_TYPES:
        raise bad("mount type unknown")
    if not m.target.startswith("/"):
        raise bad(f"invalid mount path: '{m.target}' mount path must be absolute")
    options = {
        "BindOptions": m.bind_options,
        "VolumeOptions": m.volume_options,
        "TmpfsOptions": m.tmpfs_options,
    }
    allowed = {"bind": "BindOptions", "volume": "VolumeOptions", "tmpfs": "TmpfsOptions"}
    for key, value in options.items():
        if value is not None and allowed.get(m.type) != key:
            raise bad(f"field {key} must not be specified")
    if m.type == "bind" and not m.source:
        raise bad("field Source must not be empty")
    if m.type == "tmpfs" and m.source:
        raise bad("field Source must not be specified")
