#!/usr/bin/env python3
"""Image benchmarks, Dockyard against a real dockerd in the same run, both driven by docker CLI 28.

    sudo .venv/bin/python bench/bench_images.py [--size-mb 100] [--images 500] [--reps 3]

Measures: `docker save -o` and `docker load -i` of a single-layer image of --size-mb
(incompressible data), then `GET /images/json` and `docker images` with --images images in
the store. The reference dockerd (Debian's docker.io, ../shared/tools/reference-dockerd) is
started when it is not running; it is shared with other users, so it is left running
afterwards unless --stop-reference is given (and even then only when this run started it).
The Dockyard daemon gets its own bridge, nft table and /24 (from 10.199/16), deleted at the
end, so it neither collides with another dockyardd nor leaves addresses behind.
Prints figures and ratios
(dockyard / dockerd for times: below 1 means Dockyard is faster).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dockyard.testing.daemon_process import destroy_engine, destroy_engine_at, start_daemon
from dockyard.testing.docker_cli import docker

REF_SOCK = "/run/reference-docker.sock"
REF_TOOL = Path(__file__).resolve().parents[1].parent / "shared/tools/reference-dockerd"


class UnixConn(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=600)
        self.path_ = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path_)


def api(sock: str, method: str, path: str, body: bytes | None = None) -> bytes:
    conn = UnixConn(sock)
    try:
        conn.request(method, path, body=body)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status >= 400:
            raise RuntimeError(f"{method} {path}: {resp.status} {data[:200]!r}")
        return data
    finally:
        conn.close()


def timed(fn: Callable[[], object], reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def big_rootfs(path: Path, size_mb: int) -> None:
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("data/blob.bin")
        info.size = size_mb * 1024 * 1024
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(os.urandom(info.size)))


def tiny_rootfs(n: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = f"image {n}\n".encode()
        info = tarfile.TarInfo(f"etc/image-{n}")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def report(name: str, ours: list[float], theirs: list[float], mb: float | None = None) -> None:
    o, t = statistics.median(ours), statistics.median(theirs)
    extra = f"  ({mb / o:7.1f} MB/s vs {mb / t:7.1f} MB/s)" if mb else ""
    print(
        f"{name:<34} dockyard {o * 1000:9.1f} ms   dockerd {t * 1000:9.1f} ms   "
        f"ratio {o / t:5.2f}{extra}",
        flush=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=100)
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument(
        "--stop-reference",
        action="store_true",
        help="stop the reference dockerd at the end if this run started it (off: it is shared)",
    )
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: dockyardd mounts overlays")

    started_ref = False
    if (
        subprocess.run(
            ["docker", "-H", f"unix://{REF_SOCK}", "version"], capture_output=True, check=False
        ).returncode
        != 0
    ):
        subprocess.run([str(REF_TOOL), "start"], check=True)
        started_ref = True
    ref = f"unix://{REF_SOCK}"
    base = Path(tempfile.mkdtemp(prefix="dockyard-bench-", dir="/var/tmp"))
    try:
        # Its own bridge, nft table and subnet: see dockyard.testing.isolation.
        d = start_daemon(base / "daemon", debug=False)
    except BaseException:
        destroy_engine_at(base / "daemon" / "exec", base / "daemon")
        subprocess.run(["rm", "-rf", str(base)], check=False)
        raise
    ours = d.host
    work = base / "work"
    work.mkdir()
    try:
        print(f"# images: {args.size_mb} MB single-layer save/load, {args.images} images listed")
        rootfs = work / "big.tar"
        big_rootfs(rootfs, args.size_mb)
        for host in (ours, ref):
            docker(host, "import", str(rootfs), "bench/big:1", timeout=600)
        size = args.size_mb
        out_o, out_r = work / "o.tar", work / "r.tar"
        save_o = timed(lambda: docker(ours, "save", "-o", str(out_o), "bench/big:1"), args.reps)
        save_r = timed(lambda: docker(ref, "save", "-o", str(out_r), "bench/big:1"), args.reps)
        report(f"docker save -o ({size} MB layer)", save_o, save_r, size)

        def load(host: str, archive: Path) -> None:
            docker(host, "rmi", "bench/big:1")
            docker(host, "load", "-i", str(archive), timeout=600)

        load_o = timed(lambda: load(ours, out_o), args.reps)
        load_r = timed(lambda: load(ref, out_r), args.reps)
        report(f"docker rmi + load -i ({size} MB layer)", load_o, load_r, size)
        for host in (ours, ref):
            docker(host, "rmi", "bench/big:1")

        sock_o, sock_r = str(d.socket), REF_SOCK
        t0 = time.perf_counter()
        for sock in (sock_o, sock_r):
            for n in range(args.images):
                api(
                    sock,
                    "POST",
                    f"/v1.41/images/create?fromSrc=-&repo=bench/many&tag={n}",
                    tiny_rootfs(n),
                )
        print(f"(created {args.images} images in each in {time.perf_counter() - t0:.1f}s)")
        list_o = timed(lambda: api(sock_o, "GET", "/v1.41/images/json"), 20)
        list_r = timed(lambda: api(sock_r, "GET", "/v1.41/images/json"), 20)
        report(f"GET /images/json ({args.images} images)", list_o, list_r)
        cli_o = timed(lambda: docker(ours, "images"), 10)
        cli_r = timed(lambda: docker(ref, "images"), 10)
        report(f"docker images ({args.images} images)", cli_o, cli_r)
        dockyard_bin = Path(sys.executable).parent / "dockyard"
        env = {**os.environ, "DOCKER_HOST": ours}
        own = timed(
            lambda: subprocess.run(
                [str(dockyard_bin), "images"], env=env, capture_output=True, check=True
            ),
            10,
        )
        report("dockyard images vs docker images", own, cli_r)
        ids = api(
            sock_r,
            "GET",
            "/v1.41/images/json?filters=%7B%22reference%22%3A%5B%22bench%2Fmany%22%5D%7D",
        )

        for image in json.loads(ids):
            api(sock_r, "DELETE", f"/v1.41/images/{image['Id']}?force=1")
    finally:
        destroy_engine(d)
        subprocess.run(["rm", "-rf", str(base)], check=False)
        if started_ref and args.stop_reference:
            subprocess.run([str(REF_TOOL), "stop"], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
