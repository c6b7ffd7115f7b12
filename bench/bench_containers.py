#!/usr/bin/env python3
"""Container benchmarks, Dockyard against a real dockerd in the same run, both via docker CLI 28.

    .venv/bin/python bench/bench_containers.py [--containers 500] [--reps 10]

Measures (each printed as dockyard vs dockerd and their ratio, time ratio below 1 = faster):
  - ``docker run --rm busybox true`` (attached: create, attach, wait, start)
  - ``docker create`` + ``docker start``
  - ``docker exec <c> true``
  - ``docker ps -a`` with --containers containers
  - density: --containers idle ``run -d busybox sleep`` containers; proportional memory
    (PSS, /proc/<pid>/smaps_rollup) of the engine's own processes per container — for
    Dockyard dockyardd + dockyard-monitor, for Docker dockerd + containerd + the shims —
    and the start rate; then ``rm -f`` of them all.
Both engines use --network none containers so that the figures compare the engines, not
their bridges. The reference dockerd (../shared/tools/reference-dockerd) is started if it
is not running and left running (others may be using it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from dockyard.testing.busybox import write_rootfs
from dockyard.testing.daemon_process import destroy_engine, start_daemon
from dockyard.testing.docker_cli import docker

REF_SOCK = "/run/reference-docker.sock"
REF_EXEC = "/run/reference-docker-exec"
REF_TOOL = Path(__file__).resolve().parents[1].parent / "shared/tools/reference-dockerd"
IMAGE = "bench/busybox:1"


def timed(fn: Callable[[], object], reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def report(name: str, ours: list[float], theirs: list[float]) -> None:
    o, t = statistics.median(ours), statistics.median(theirs)
    print(
        f"{name:<36} dockyard {o * 1000:8.1f} ms   dockerd {t * 1000:8.1f} ms   ratio {o / t:5.2f}",
        flush=True,
    )


def pss_kib(pids: Iterable[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def processes() -> list[tuple[int, int, str]]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        out.append((int(entry.name), ppid, cmd))
    return out


def docker_engine_pids() -> list[int]:
    """dockerd, its containerd, and every shim of that containerd."""
    return [
        pid
        for pid, _, cmd in processes()
        if cmd.startswith("dockerd -H unix://" + REF_SOCK)
        or (("containerd" in cmd) and REF_EXEC in cmd)
        or ("containerd-shim" in cmd and "moby" in cmd)
    ]


def dockyard_engine_pids(daemon_pid: int, exec_root: Path) -> list[int]:
    pids = [daemon_pid]
    with contextlib.suppress(OSError, ValueError):
        pids.append(int((exec_root / "monitor.pid").read_text()))
    return pids


def density(
    host: str, n: int, engine_pids: Callable[[], list[int]], label: str
) -> tuple[float, float, float]:
    """(PSS MiB per container, containers started per second, seconds to rm -f all)."""
    before = pss_kib(engine_pids())
    t0 = time.perf_counter()
    ids = []
    for i in range(n):
        out = docker(
            host,
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            f"bench-idle-{i}",
            IMAGE,
            "sleep",
            "100000",
        )
        ids.append(out.stdout.decode().strip())
    rate = n / (time.perf_counter() - t0)
    time.sleep(2)  # let the engine settle after the burst before measuring memory
    after = pss_kib(engine_pids())
    per = (after - before) / 1024 / n
    t0 = time.perf_counter()
    for chunk in range(0, len(ids), 100):
        docker(host, "rm", "-f", *ids[chunk : chunk + 100], timeout=600)
    rm_time = time.perf_counter() - t0
    print(
        f"density {label:<9} {n} containers: engine PSS {before / 1024:.1f} -> "
        f"{after / 1024:.1f} MiB = {per:.3f} MiB/container; start rate {rate:.1f}/s; "
        f"rm -f all {rm_time:.1f} s",
        flush=True,
    )
    return per, rate, rm_time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--containers", type=int, default=500)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--skip-density", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root")
    if (
        subprocess.run(
            ["docker", "-H", f"unix://{REF_SOCK}", "version"], capture_output=True, check=False
        ).returncode
        != 0
    ):
        subprocess.run([str(REF_TOOL), "start"], check=True)
    ref = f"unix://{REF_SOCK}"
    base = Path(tempfile.mkdtemp(prefix="dockyard-bench-", dir="/var/tmp"))
    d = start_daemon(base / "daemon", debug=False)
    ours = d.host
    try:
        rootfs = base / "rootfs.tar"
        with rootfs.open("wb") as fh:
            write_rootfs(fh)
        for host in (ours, ref):
            docker(host, "import", "-c", 'CMD ["sh"]', str(rootfs), IMAGE)

        def run_rm(host: str) -> None:
            docker(host, "run", "--rm", "--network", "none", IMAGE, "true")

        report(
            "docker run --rm busybox true",
            timed(lambda: run_rm(ours), args.reps),
            timed(lambda: run_rm(ref), args.reps),
        )

        def create_start(host: str) -> None:
            cid = docker(host, "create", "--network", "none", IMAGE, "true").stdout.decode().strip()
            docker(host, "start", cid)

        report(
            "docker create + start",
            timed(lambda: create_start(ours), args.reps),
            timed(lambda: create_start(ref), args.reps),
        )
        for host in (ours, ref):
            docker(
                host,
                "run",
                "-d",
                "--network",
                "none",
                "--name",
                "bench-exec",
                IMAGE,
                "sleep",
                "100000",
            )
        report(
            "docker exec c true",
            timed(lambda: docker(ours, "exec", "bench-exec", "true"), args.reps),
            timed(lambda: docker(ref, "exec", "bench-exec", "true"), args.reps),
        )
        for host in (ours, ref):
            docker(host, "rm", "-f", "bench-exec")
            stale = docker(host, "ps", "-aq").stdout.decode().split()
            if stale:
                docker(host, "rm", "-f", *stale)
        if not args.skip_density:
            n = args.containers
            ours_d = density(
                ours, n, lambda: dockyard_engine_pids(d.process.pid, d.exec_root), "dockyard"
            )
            ref_d = density(ref, n, docker_engine_pids, "dockerd")
            print(
                f"density ratio (PSS per container) {ours_d[0] / ref_d[0]:.2f}; start rate ratio "
                f"{ours_d[1] / ref_d[1]:.2f}; rm -f ratio {ours_d[2] / ref_d[2]:.2f}"
            )
            # ps -a with n containers: create them (not started) on both.
            for host in (ours, ref):
                for i in range(n):
                    docker(
                        host,
                        "create",
                        "--network",
                        "none",
                        "--name",
                        f"bench-ps-{i}",
                        IMAGE,
                        "true",
                    )
            report(
                f"docker ps -a ({n} containers)",
                timed(lambda: docker(ours, "ps", "-a"), args.reps),
                timed(lambda: docker(ref, "ps", "-a"), args.reps),
            )
            for host in (ours, ref):
                ids = (
                    docker(host, "ps", "-aq", "--filter", "name=bench-ps-").stdout.decode().split()
                )
                for chunk in range(0, len(ids), 100):
                    docker(host, "rm", "-f", *ids[chunk : chunk + 100], timeout=600)
        docker(ref, "rmi", IMAGE)
    finally:
        destroy_engine(d)
        subprocess.run(["rm", "-rf", str(base)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
