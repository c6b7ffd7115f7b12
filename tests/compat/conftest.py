"""Fixtures for black-box compatibility tests: real clients against a real dockyardd."""

from __future__ import annotations

import gc
import os
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import docker as docker_py
import pytest

from dockyard.testing.daemon_process import Daemon
from dockyard.testing.docker_cli import docker

REFERENCE_SOCK = Path("/run/reference-docker.sock")
REFERENCE_TOOL = Path(__file__).resolve().parents[2].parent / "shared/tools/reference-dockerd"


def _reference_up() -> bool:
    if not REFERENCE_SOCK.exists():
        return False
    proc = subprocess.run(
        ["docker", "version"],
        env={**os.environ, "DOCKER_HOST": f"unix://{REFERENCE_SOCK}"},
        capture_output=True,
        timeout=30,
        check=False,
    )
    return proc.returncode == 0


@pytest.fixture(scope="session")
def reference_docker() -> Iterator[str]:
    """A real dockerd 20.10 (Debian's docker.io) on its own socket, data root and bridge.

    Started only when DOCKYARD_REFERENCE_DOCKER=1 (CI sets it) or already running;
    otherwise the tests that need it skip with that reason.
    """
    started = False
    if not _reference_up():
        if os.environ.get("DOCKYARD_REFERENCE_DOCKER") != "1" or not REFERENCE_TOOL.exists():
            pytest.skip("no reference dockerd: set DOCKYARD_REFERENCE_DOCKER=1 to start one")
        subprocess.run([str(REFERENCE_TOOL), "start"], check=True, timeout=600)
        started = True
    try:
        yield f"unix://{REFERENCE_SOCK}"
    finally:
        if started:
            subprocess.run([str(REFERENCE_TOOL), "stop"], check=False, timeout=120)


@pytest.fixture(scope="session")
def busybox_image(daemon: Daemon, busybox_tar: Path) -> str:
    """``busybox:latest`` imported into the session daemon with the docker CLI."""
    docker(daemon.host, "import", "-c", 'CMD ["sh"]', str(busybox_tar), "busybox:latest")
    return "busybox:latest"


@pytest.fixture
def client(daemon: Daemon) -> Iterator[docker_py.DockerClient]:
    """docker-py, unchanged, pointed at the session daemon.

    docker-py leaves hijacked sockets (attach, exec) to the garbage collector: they are
    collected here, where their ResourceWarning is expected, rather than at a random moment
    in a later test where the warning would be an error.
    """
    c = docker_py.DockerClient(base_url=daemon.host, version="1.45")
    try:
        yield c
    finally:
        c.close()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
