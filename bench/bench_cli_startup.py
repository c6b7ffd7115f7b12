"""``dockyard version`` vs ``docker version`` against the same dockyardd: wall time per run.

Starts a dockyardd on a temporary socket and data root, runs each CLI N times (after a
warm-up run each, which also lets Python write its bytecode cache, as an installed package
has), prints median/mean milliseconds and the ratio dockyard/docker, then stops the daemon.

    .venv/bin/python bench/bench_cli_startup.py [-n 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def wait_for_socket(path: Path, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise SystemExit(f"dockyardd exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit("dockyardd did not create its socket in time")
        time.sleep(0.05)


def measure(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--runs", type=int, default=30)
    opts = parser.parse_args()
    docker = shutil.which("docker")
    if docker is None:
        raise SystemExit("the docker CLI is not on PATH")
    with tempfile.TemporaryDirectory(prefix="dockyard-bench-") as tmp:
        base = Path(tmp)
        sock = base / "d.sock"
        daemon = subprocess.Popen(
            [
                str(BIN / "dockyardd"),
                "-H",
                f"unix://{sock}",
                "--data-root",
                str(base / "root"),
                "--exec-root",
                str(base / "exec"),
                "-p",
                str(base / "d.pid"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_socket(sock, daemon)
            env = dict(os.environ, DOCKER_HOST=f"unix://{sock}")
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            ours = measure([str(BIN / "dockyard"), "version"], env, opts.runs)
            theirs = measure([docker, "version"], env, opts.runs)
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
    for name, times in (("dockyard version", ours), ("docker version", theirs)):
        print(
            f"{name:18} median {statistics.median(times):6.1f} ms   "
            f"mean {statistics.mean(times):6.1f} ms   (n={len(times)})"
        )
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"ratio (median dockyard / docker): {ratio:.2f}x  (goal <= 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
