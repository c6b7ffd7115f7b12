"""From a stored container to the OCI bundle runc runs: the host facts the pure spec needs.

:func:`dockyard.runtime.spec.build_spec` is pure; this module gathers what it must be told
(the user resolved from the container's own /etc/passwd, read without leaving its rootfs;
devices as stat'ed on the host; the /etc files and their bind mounts; the network namespace)
and writes ``config.json`` atomically into the bundle.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from dockyard.apitypes.host_config import HostConfig
from dockyard.daemon.containers.layout import ContainerLayout
from dockyard.daemon.containers.store import Container
from dockyard.errors import InvalidParameter
from dockyard.oci.image import ContainerConfig as ImageDefaults
from dockyard.oci.runtime import Spec
from dockyard.runtime.spec import (
    DeviceMapping,
    ExtraMount,
    HostOptions,
    RunConfig,
    SpecInput,
    Ulimit,
    build_spec,
    validate_host_options,
)
from dockyard.runtime.usergroup import resolve_user
from dockyard.util.atomic import atomic_write
from dockyard.util.securejoin import secure_join

__all__ = ["device_mappings", "host_options", "read_in_rootfs", "run_config", "write_bundle"]


def read_in_rootfs(rootfs: Path, path: str) -> str:
    """A text file of the container (e.g. /etc/passwd), "" when absent or not a file."""
    target = secure_join(rootfs, path)
    try:
        with target.open(errors="replace") as fh:
            return fh.read(1 << 20)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return ""


def device_mappings(
    hc: HostConfig, privileged_devices: Sequence[str] = ()
) -> tuple[DeviceMapping, ...]:
    """``--device`` entries as the spec wants them: type and numbers read from the host."""
    out: list[DeviceMapping] = []
    for dev in hc.resources.devices or ():
        host_path = dev.path_on_host
        try:
            st = os.stat(host_path)
        except OSError as err:
            raise InvalidParameter(
                f"error gathering device information while adding custom device "
                f'"{host_path}": {err.strerror.lower() if err.strerror else err}'
            ) from err
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
            raise InvalidParameter(
                f'error gathering device information while adding custom device "{host_path}": '
                "not a device node"
            )
        out.append(
            DeviceMapping(
                path_on_host=host_path,
                path_in_container=dev.path_in_container or host_path,
                permissions=dev.cgroup_permissions or "rwm",
                type="c" if stat.S_ISCHR(st.st_mode) else "b",
                major=os.major(st.st_rdev),
                minor=os.minor(st.st_rdev),
                file_mode=stat.S_IMODE(st.st_mode),
                uid=st.st_uid,
                gid=st.st_gid,
            )
        )
    return tuple(out)


def run_config(c: Container, extra_env: Sequence[str] = ()) -> RunConfig:
    """``extra_env`` (link variables) comes first, so the container's own keys win."""
    cfg = c.config
    return RunConfig(
        cmd=cfg.cmd,
        entrypoint=cfg.entrypoint,
        env=(*extra_env, *(cfg.env or ())),
        user=cfg.user,
        working_dir=cfg.working_dir,
        tty=cfg.tty,
        open_stdin=cfg.open_stdin,
        hostname=cfg.hostname,
        domainname=cfg.domainname,
        stop_signal=cfg.stop_signal,
    )


def host_options(
    c: Container, *, network: str, host_capabilities: tuple[str, ...], init_binary: str | None
) -> HostOptions:
    hc, r = c.host_config, c.host_config.resources
    init = None
    if hc.init:
        if init_binary is None:
            raise InvalidParameter("--init: no init binary (tini) is installed on this host")
        init = init_binary
    return HostOptions(
        privileged=hc.privileged,
        read_only=hc.readonly_rootfs,
        cap_add=tuple(hc.cap_add or ()),
        cap_drop=tuple(hc.cap_drop or ()),
        security_opt=tuple(hc.security_opt or ()),
        devices=device_mappings(hc),
        device_cgroup_rules=tuple(r.device_cgroup_rules or ()),
        tmpfs=dict(hc.tmpfs or {}),
        shm_size=hc.shm_size,
        sysctls=dict(hc.sysctls or {}),
        ulimits=tuple(Ulimit(u.name, u.soft, u.hard) for u in r.ulimits or ()),
        init=init,
        memory=r.memory,
        memory_swap=r.memory_swap,
        memory_reservation=r.memory_reservation,
        nano_cpus=r.nano_cpus,
        cpu_shares=r.cpu_shares,
        cpu_period=r.cpu_period,
        cpu_quota=r.cpu_quota,
        cpuset_cpus=r.cpuset_cpus,
        cpuset_mems=r.cpuset_mems,
        pids_limit=r.pids_limit,
        blkio_weight=r.blkio_weight,
        oom_score_adj=hc.oom_score_adj,
        cgroup_parent=r.cgroup_parent,
        network=network,
        ipc_mode=hc.ipc_mode,
        pid_mode=hc.pid_mode,
        uts_mode=hc.uts_mode,
        cgroupns_mode=hc.cgroupns_mode,
        host_capabilities=host_capabilities,
    )


def etc_mounts(layout: ContainerLayout, cid: str) -> list[ExtraMount]:
    """/etc/hostname, /etc/hosts, /etc/resolv.conf from the data dir, as Docker binds them."""
    opts = ("rbind", "rprivate")
    return [
        ExtraMount(str(layout.resolv_conf_path(cid)), "/etc/resolv.conf", "bind", opts),
        ExtraMount(str(layout.hostname_path(cid)), "/etc/hostname", "bind", opts),
        ExtraMount(str(layout.hosts_path(cid)), "/etc/hosts", "bind", opts),
    ]


def build_container_spec(
    c: Container,
    layout: ContainerLayout,
    *,
    network: str,
    host_capabilities: tuple[str, ...],
    init_binary: str | None,
    mounts: Sequence[ExtraMount] = (),
    extra_env: Sequence[str] = (),
) -> Spec:
    rootfs = layout.rootfs(c.id)
    host = host_options(
        c, network=network, host_capabilities=host_capabilities, init_binary=init_binary
    )
    validate_host_options(host)
    # No user means root, whose groups still come from the image's /etc/group, as in Docker.
    user = resolve_user(
        c.config.user or "0",
        read_in_rootfs(rootfs, "/etc/passwd"),
        read_in_rootfs(rootfs, "/etc/group"),
    )
    if c.config.working_dir:
        workdir = secure_join(rootfs, c.config.working_dir)
        workdir.mkdir(parents=True, exist_ok=True)
    return build_spec(
        SpecInput(
            id=c.id,
            rootfs=str(rootfs),
            image=ImageDefaults(),
            config=run_config(c, extra_env),
            host=host,
            user=user,
            mounts=(*etc_mounts(layout, c.id), *mounts),
        )
    )


def write_bundle(layout: ContainerLayout, cid: str, spec: Spec) -> Path:
    bundle = layout.bundle(cid)
    atomic_write(bundle / "config.json", json.dumps(spec.to_json()).encode(), mode=0o600)
    return bundle
