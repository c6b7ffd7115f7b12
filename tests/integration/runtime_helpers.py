"""Real-runtime test helpers: a busybox bundle, a private runc root, cleanup of everything.

Every container lives under a temporary runc root and a cgroup named with a per-run
``dockyard-test-`` prefix; :class:`Sandbox.cleanup` force-deletes every container of that
root, kills the monitor the test started, and removes the cgroups, even after a failure.

Test modules load this file by path (tests are not a package), under the module name
``dockyard_runtime_test_helpers``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUNC = shutil.which("runc") or ("/usr/sbin/runc" if Path("/usr/sbin/runc").exists() else None)
BUSYBOX = Path("/bin/busybox")
CGROUP_ROOT = Path("/sys/fs/cgroup")


def missing_requirement() -> str | None:
    """Why real-runtime tests cannot run here (None when they can)."""
    if os.geteuid() != 0:
        return "needs root"
    if RUNC is None:
        return "runc is not installed"
    if not BUSYBOX.exists():
        return "busybox-static is not installed"
    return None


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def make_rootfs(target: Path) -> Path:
    """A read-only-usable busybox root: the static binary and one symlink per applet."""
    from dockyard.testing.busybox import applets

    for d in ("bin", "dev", "etc", "proc", "sys", "tmp", "usr/bin", "usr/sbin", "sbin", "root"):
        (target / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, target / "bin" / "busybox")
    for applet in applets(BUSYBOX):
        path = target / applet.lstrip("/")
        if path.name == "busybox" or path.exists() or path.is_symlink():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to("/bin/busybox")
    (target / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    return target


_CAPS = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_RAW",
    "CAP_SYS_CHROOT",
    "CAP_MKNOD",
    "CAP_AUDIT_WRITE",
    "CAP_SETFCAP",
]


def process_spec(args: Sequence[str], terminal: bool = False) -> dict[str, Any]:
    """An OCI ``process`` object (for config.json and for exec)."""
    return {
        "terminal": terminal,
        "user": {"uid": 0, "gid": 0},
        "args": list(args),
        "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
        "cwd": "/",
        "capabilities": {k: _CAPS for k in ("bounding", "effective", "permitted")},
        "noNewPrivileges": True,
    }


def write_bundle(
    bundle: Path,
    rootfs: Path,
    args: Sequence[str],
    cgroups_path: str,
    terminal: bool = False,
    resources: dict[str, Any] | None = None,
) -> Path:
    """A minimal config.json: own pid/mount/ipc/uts/net namespaces, read-only busybox root."""
    bundle.mkdir(parents=True, exist_ok=True)
    config = {
        "ociVersion": "1.0.2",
        "process": process_spec(args, terminal),
        "root": {"path": str(rootfs), "readonly": True},
        "hostname": "test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            {
                "destination": "/dev/pts",
                "type": "devpts",
                "source": "devpts",
                "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
            },
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]},
        ],
        "linux": {
            "cgroupsPath": cgroups_path,
            "resources": {"devices": [{"allow": False, "access": "rwm"}], **(resources or {})},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list"],
            "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
        },
    }
    (bundle / "config.json").write_text(json.dumps(config))
    return bundle


@dataclass
class Sandbox:
    """A private runc root, cgroup prefix and exec root; ``cleanup`` removes them all."""

    base: Path
    rootfs: Path
    prefix: str = field(default_factory=lambda: f"dockyard-test-{secrets.token_hex(4)}")

    @property
    def runc_root(self) -> Path:
        return self.base / "runc"

    @property
    def exec_root(self) -> Path:
        return self.base / "exec"

    def cgroup(self, cid: str) -> str:
        return f"/{self.prefix}/{cid}"

    def bundle(
        self,
        cid: str,
        args: Sequence[str],
        terminal: bool = False,
        resources: dict[str, Any] | None = None,
    ) -> Path:
        return write_bundle(
            self.base / "bundles" / cid, self.rootfs, args, self.cgroup(cid), terminal, resources
        )

    def runc(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        assert RUNC is not None
        argv = [RUNC, "--root", str(self.runc_root), *args]
        return subprocess.run(argv, capture_output=True, timeout=30, check=False)

    def monitor_pid(self) -> int | None:
        try:
            pid = int((self.exec_root / "monitor.pid").read_text())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return pid if str(self.exec_root).encode() in cmdline else None

    def kill_monitor(self) -> None:
        pid = self.monitor_pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: _proc_gone(pid), timeout=10)

    def cleanup(self) -> None:
        self.kill_monitor()
        if self.runc_root.exists():
            out = self.runc("list", "--format", "json").stdout
            for item in json.loads(out or b"null") or []:
                self.runc("delete", "--force", item["id"])
        remove_cgroups(self.prefix)
        shutil.rmtree(self.base, ignore_errors=True)


def _proc_gone(pid: int) -> bool:
    try:
        return not Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def remove_cgroups(prefix: str) -> None:
    """rmdir ``<hierarchy>/<prefix>`` and below in every mounted cgroup hierarchy."""
    if not prefix.startswith("dockyard-test-"):
        raise ValueError(prefix)
    tops = [CGROUP_ROOT / prefix, *(h / prefix for h in CGROUP_ROOT.iterdir() if h.is_dir())]
    for top in tops:
        if not top.is_dir():
            continue
        for dirpath, _, _ in sorted(os.walk(top), key=lambda e: -len(e[0])):
            with contextlib.suppress(OSError):
                Path(dirpath).rmdir()


def new_sandbox() -> Sandbox:
    """A sandbox under a short /tmp path (unix socket paths must fit in 108 bytes)."""
    base = Path(tempfile.mkdtemp(prefix="dyrt-", dir="/tmp"))
    return Sandbox(base=base, rootfs=make_rootfs(base / "rootfs"))
