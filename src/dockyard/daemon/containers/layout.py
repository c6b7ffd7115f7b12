"""Where a container's files live, in one place.

::

    <data-root>/containers/<id>/        survives restarts
        hostname  hosts  resolv.conf    bind-mounted into the container
        <id>-json.log[.N]               json-file log (written by the monitor)
    <exec-root>/containers/<id>/        runtime state, gone at reboot
        config.json                     the OCI bundle's spec
        rootfs/                         mount point of the container's snapshot
        init.pid
    <exec-root>/runc/                   runc's own state (--root)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ContainerLayout"]


@dataclass(frozen=True, slots=True)
class ContainerLayout:
    data_root: Path
    exec_root: Path

    def data_dir(self, cid: str) -> Path:
        return self.data_root / "containers" / cid

    def bundle(self, cid: str) -> Path:
        return self.exec_root / "containers" / cid

    def rootfs(self, cid: str) -> Path:
        return self.bundle(cid) / "rootfs"

    def log_path(self, cid: str) -> Path:
        return self.data_dir(cid) / f"{cid}-json.log"

    def hostname_path(self, cid: str) -> Path:
        return self.data_dir(cid) / "hostname"

    def hosts_path(self, cid: str) -> Path:
        return self.data_dir(cid) / "hosts"

    def resolv_conf_path(self, cid: str) -> Path:
        return self.data_dir(cid) / "resolv.conf"

    @property
    def runtime_root(self) -> Path:
        return self.exec_root / "runc"

    def snapshot_key(self, cid: str) -> str:
        return f"container-{cid}"
