#!/usr/bin/env python3
"""Network benchmarks, Dockyard against the reference dockerd in the same run (docker CLI 28).

    sudo .venv/bin/python bench/bench_network.py [--reps 5] [--size-mb 200]
        [--dns-containers 200] [--dns-lookups 50] [--budget 120]

Measures, for each engine:
* container start time (``POST /containers/{id}/start`` of a created ``sleep`` container),
  on the default bridge and with ``--network none``;
* throughput through a published port on 127.0.0.1: busybox httpd serves a --size-mb file,
  curl on the host downloads it (bounded by 60 s);
* DNS lookup latency on a user network holding --dns-containers containers (creation stops
  at --budget seconds per engine; the figure names how many were reached): a client
  container's namespace sends --dns-lookups A queries for its peers to 127.0.0.11 (one at
  a time, from this process joined to that namespace) and the loop is timed.

The reference dockerd runs with --iptables=false and its own bridge (refdock0); it is shared,
so this leaves it running. Dockyard runs as a throwaway daemon with its own bridge, nft table
and a free 172.30.x subnet. Traffic goes only to loopback and to containers made here.
Prints figures and ratios (dockyard / dockerd: for times, below 1 means Dockyard is faster).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dockyard.network import dns_message as dm
from dockyard.network.netns import run_in_netns
from dockyard.testing.busybox import BUSYBOX, write_rootfs
from dockyard.testing.daemon_process import Daemon, destroy_engine, start_daemon, unmount_below
from dockyard.testing.docker_cli import docker

REF_HOST = "unix:///run/reference-docker.sock"
IMAGE = "dybench/busybox:net"
PREFIX = f"dybn{os.getpid()}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _d(host: str, *args: str, check: bool = True) -> str:
    return docker(host, *args, check=check, timeout=300).stdout.decode().strip()


def _import_image(host: str, tar: Path) -> None:
    docker(host, "import", "-c", 'CMD ["sh"]', str(tar), IMAGE, timeout=300)


def start_time(host: str, network: str, reps: int) -> float:
    """Median seconds of POST start for a created container on ``network``."""
    times = []
    for i in range(reps):
        name = f"{PREFIX}-st-{network}-{i}"
        _d(host, "create", "--name", name, "--network", network, IMAGE, "sleep", "60")
        t0 = time.perf_counter()
        _d(host, "start", name)
        times.append(time.perf_counter() - t0)
        _d(host, "rm", "-f", name)
    return statistics.median(times)


def throughput(host: str, size_mb: int) -> float:
    """MB/s downloaded by curl through a published 127.0.0.1 port."""
    port = _free_port()
    name = f"{PREFIX}-tp"
    script = (
        f"dd if=/dev/zero of=/var/www/big bs=1M count={size_mb} 2>/dev/null; "
        "touch /tmp/ready; httpd -f -p 80 -h /var/www"
    )
    _d(host, "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:80", IMAGE, "sh", "-c", script)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if docker(host, "exec", name, "test", "-f", "/tmp/ready", check=False).returncode == 0:
                break
            time.sleep(0.2)
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}", "--max-time", "60",
             f"http://127.0.0.1:{port}/big"],
            capture_output=True, text=True, timeout=90, check=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - t0
        got = int(float(proc.stdout or 0))
        return got / (1 << 20) / elapsed if elapsed > 0 else 0.0
    finally:
        _d(host, "rm", "-f", name, check=False)


def _resolve_all(names: list[str]) -> float:
    """Seconds to resolve every name at 127.0.0.11 (from inside the client's namespace),
    one UDP query at a time; an unanswered query fails the measure."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.connect(("127.0.0.11", 53))
        t0 = time.perf_counter()
        for i, name in enumerate(names):
            sock.send(dm.encode_query(i & 0xFFFF, name))
            reply = dm.parse_message(sock.recv(4096))
            if not reply.answers:
                raise RuntimeError(f"no answer for {name}")
        return time.perf_counter() - t0


def dns_latency(host: str, count: int, lookups: int, budget: float) -> tuple[float, int]:
    """(ms per lookup, containers reached) on a user network of ``count`` containers: a
    client container's namespace sends A queries for its peers to the embedded server."""
    net = f"{PREFIX}-dns"
    _d(host, "network", "create", net)
    names: list[str] = []
    try:
        deadline = time.monotonic() + budget
        for i in range(count):
            if time.monotonic() > deadline:
                break
            name = f"{PREFIX}-n{i}"
            _d(host, "run", "-d", "--name", name, "--network", net, IMAGE, "sleep", "600")
            names.append(name)
        client = f"{PREFIX}-client"
        _d(host, "run", "-d", "--name", client, "--network", net, IMAGE, "sleep", "600")
        names.append(client)
        pid = int(_d(host, "inspect", "-f", "{{.State.Pid}}", client))
        targets = [names[i % (len(names) - 1)] for i in range(lookups)]
        took = run_in_netns(f"/proc/{pid}/ns/net", lambda: _resolve_all(targets))
        return took * 1000 / lookups, len(names) - 1
    finally:
        for name in names:
            _d(host, "rm", "-f", name, check=False)
        _d(host, "network", "rm", net, check=False)


def _dockyard(base: Path) -> Daemon:
    """A daemon with its own bridge, nft table and subnet (dockyard.testing.isolation)."""
    return start_daemon(base, debug=False)


def _row(label: str, ours: float, ref: float, unit: str, fmt: str = "{:.3f}") -> None:
    ratio = ours / ref if ref else float("nan")
    print(f"{label:<38} {fmt.format(ours):>10} {fmt.format(ref):>10} {unit:<6} {ratio:6.2f}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--size-mb", type=int, default=200)
    p.add_argument("--dns-containers", type=int, default=200)
    p.add_argument("--dns-lookups", type=int, default=50)
    p.add_argument("--budget", type=float, default=120.0, help="seconds to create DNS peers")
    args = p.parse_args()
    if os.geteuid() != 0 or not BUSYBOX.exists():
        print("needs root and busybox-static", file=sys.stderr)
        return 2
    if docker(REF_HOST, "version", check=False).returncode != 0:
        print("the reference dockerd is not running (reference-dockerd start)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="dockyard-bench-net-", dir="/var/tmp"))
    tar = work / "busybox.tar"
    with tar.open("wb") as fh:
        write_rootfs(fh)
    ours = _dockyard(work / "daemon")
    results: dict[str, dict[str, float]] = {}
    try:
        for label, host in (("dockyard", ours.host), ("dockerd", REF_HOST)):
            _import_image(host, tar)
            r: dict[str, float] = {}
            measures: list[tuple[str, Callable[[], float]]] = [
                ("start_bridge", lambda h=host: start_time(h, "bridge", args.reps)),
                ("start_none", lambda h=host: start_time(h, "none", args.reps)),
                ("throughput", lambda h=host: throughput(h, args.size_mb)),
            ]
            for key, fn in measures:
                r[key] = fn()
            r["dns_ms"], reached = dns_latency(
                host, args.dns_containers, args.dns_lookups, args.budget
            )
            r["dns_n"] = float(reached)
            results[label] = r
            _d(host, "rmi", IMAGE, check=False)
    finally:
        destroy_engine(ours)
        unmount_below(work)
        subprocess.run(["rm", "-rf", str(work)], check=False, timeout=120)
    a, b = results["dockyard"], results["dockerd"]
    print(f"{'measure':<38} {'dockyard':>10} {'dockerd':>10} {'unit':<6} {'ratio':>6}")
    _row("container start, default bridge", a["start_bridge"], b["start_bridge"], "s")
    _row("container start, --network none", a["start_none"], b["start_none"], "s")
    _row(f"published-port download ({args.size_mb} MB)", a["throughput"], b["throughput"], "MB/s",
         "{:.1f}")  # fmt: skip
    _row(f"DNS lookup ({int(a['dns_n'])}/{int(b['dns_n'])} peers)", a["dns_ms"], b["dns_ms"], "ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
