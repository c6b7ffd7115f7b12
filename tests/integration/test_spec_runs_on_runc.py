"""Specs from ``build_spec`` run on the real runc and do what they say.

Each test writes a bundle (a busybox-static rootfs shared by the module, plus config.json)
and runs ``runc run`` in the foreground with plain pipes, in a net namespace of its own
with no interfaces. Container ids and cgroups carry a per-run prefix; runc state, the
containers and the cgroups are removed in finalizers even when a test fails.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard.oci.image import ContainerConfig
from dockyard.runtime.capabilities import from_mask
from dockyard.runtime.spec import HostOptions, RunConfig, SpecInput, Ulimit, build_spec
from dockyard.runtime.usergroup import resolve_user

RUNC = shutil.which("runc") or "/usr/sbin/runc"
BUSYBOX = Path("/bin/busybox")
PREFIX = f"dockyard-test-spec-{uuid.uuid4().hex[:8]}"
CGROUP_ROOT = Path("/sys/fs/cgroup")
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(not Path(RUNC).exists(), reason="runc is not installed"),
    pytest.mark.skipif(not BUSYBOX.exists(), reason="busybox-static is not installed"),
]


@dataclass(frozen=True, slots=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rootfs")
    for d in ("bin", "dev", "etc", "home", "proc", "sys", "tmp", "root"):
        (root / d).mkdir()
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    listed = subprocess.run(
        [str(BUSYBOX), "--list"], capture_output=True, text=True, check=True, timeout=10
    ).stdout.split()
    for applet in listed:
        if applet != "busybox" and "/" not in applet:
            (root / "bin" / applet).symlink_to("busybox")
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    return root


def _remove_cgroups() -> None:
    """rmdir our per-run cgroup trees in every v1 hierarchy (children first)."""
    if not CGROUP_ROOT.is_dir():
        return
    for hierarchy in CGROUP_ROOT.iterdir():
        top = hierarchy / PREFIX
        if not top.is_dir():
            continue
        dirs = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for d in [*dirs, top]:
            with contextlib.suppress(OSError):  # still busy: leave it rather than fail
                d.rmdir()


Runner = Callable[..., Result]


def _host_bounding_set() -> tuple[str, ...]:
    """What this host can grant (the caller's job in the daemon: build_spec is pure)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return from_mask(int(line.split()[1], 16))
    return ()


@pytest.fixture
def run(tmp_path: Path, rootfs: Path) -> Iterator[Runner]:
    state = tmp_path / "runc-state"
    state.mkdir()
    ids: list[str] = []

    def _run(cmd: list[str], user: str = "", **host: object) -> Result:
        cid = f"{PREFIX}-{len(ids)}"
        ids.append(cid)
        bundle = tmp_path / cid
        bundle.mkdir()
        inp = SpecInput(
            id=cid,
            rootfs=str(rootfs),
            image=ContainerConfig(env=["PATH=/bin"]),
            config=RunConfig(cmd=tuple(cmd), user=user),
            host=HostOptions(  # type: ignore[arg-type]
                cgroup_parent="/" + PREFIX, host_capabilities=_host_bounding_set(), **host
            ),
            user=resolve_user(user, PASSWD, GROUP),
        )
        (bundle / "config.json").write_text(json.dumps(build_spec(inp).to_json()))
        proc = subprocess.run(
            [RUNC, "--root", str(state), "run", "--bundle", str(bundle), cid],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    try:
        yield _run
    finally:
        for cid in ids:
            subprocess.run(
                [RUNC, "--root", str(state), "delete", "-f", cid],
                capture_output=True,
                timeout=30,
                check=False,
            )
        _remove_cgroups()


def _ok(result: Result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_default_container_runs_the_command(run: Runner) -> None:
    assert _ok(run(["sh", "-c", "echo hi"])) == "hi\n"


def test_user_nobody_runs_as_uid_65534(run: Runner) -> None:
    assert _ok(run(["id"], user="nobody")).startswith("uid=65534 gid=65534")


def test_default_capabilities_are_dockers_14(run: Runner) -> None:
    status = _ok(run(["cat", "/proc/self/status"]))
    assert "CapEff:\t00000000a80425fb" in status
    assert "CapBnd:\t00000000a80425fb" in status


def test_cap_drop_all_leaves_no_effective_capabilities(run: Runner) -> None:
    status = _ok(run(["cat", "/proc/self/status"], cap_drop=("ALL",)))
    assert "CapEff:\t0000000000000000" in status


def test_read_only_root_refuses_writes(run: Runner) -> None:
    result = run(["touch", "/written"], read_only=True)
    assert result.returncode != 0
    assert "Read-only file system" in result.stderr


def test_tmpfs_is_writable_on_read_only_root(run: Runner) -> None:
    result = run(["sh", "-c", "echo x > /tmp/f && cat /tmp/f"], read_only=True, tmpfs={"/tmp": ""})
    assert _ok(result) == "x\n"


def test_masked_proc_file_reads_empty(run: Runner) -> None:
    # /proc/kcore is masked too, but this kernel has none; /proc/timer_list is never empty.
    assert _ok(run(["sh", "-c", "wc -c < /proc/timer_list"])).strip() == "0"


def test_masked_sys_directory_is_empty(run: Runner) -> None:
    assert _ok(run(["ls", "-A", "/sys/firmware"])) == ""


def test_privileged_container_sees_unmasked_proc(run: Runner) -> None:
    out = _ok(run(["sh", "-c", "wc -c < /proc/timer_list"], privileged=True))
    assert int(out) > 0


def test_proc_sys_is_read_only(run: Runner) -> None:
    result = run(["sh", "-c", "echo 1 > /proc/sys/kernel/ns_last_pid"])
    assert result.returncode != 0


def test_default_seccomp_blocks_unshare_with_eperm(run: Runner) -> None:
    result = run(["unshare", "-U", "true"])
    assert result.returncode != 0
    assert "Operation not permitted" in result.stderr


def test_unconfined_seccomp_allows_unshare(run: Runner) -> None:
    _ok(run(["unshare", "-U", "true"], security_opt=("seccomp=unconfined",)))


def test_memory_limit_is_set_in_the_cgroup(run: Runner) -> None:
    out = _ok(run(["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"], memory=64 << 20))
    assert out.strip() == str(64 << 20)


def test_pids_limit_is_set_in_the_cgroup(run: Runner) -> None:
    assert _ok(run(["cat", "/sys/fs/cgroup/pids/pids.max"], pids_limit=50)).strip() == "50"


def test_nofile_ulimit_applies(run: Runner) -> None:
    out = _ok(run(["sh", "-c", "ulimit -n"], ulimits=(Ulimit("nofile", 512, 512),)))
    assert out.strip() == "512"


def test_no_new_privileges_is_set(run: Runner) -> None:
    status = _ok(run(["cat", "/proc/self/status"], security_opt=("no-new-privileges",)))
    assert "NoNewPrivs:\t1" in status


def test_container_has_its_own_network_namespace(run: Runner) -> None:
    host_ns = str(Path("/proc/self/ns/net").readlink())
    assert _ok(run(["readlink", "/proc/self/ns/net"])).strip() != host_ns
