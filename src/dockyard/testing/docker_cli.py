"""Running the real docker CLI against a daemon, for compatibility tests and benchmarks."""

from __future__ import annotations

import os
import subprocess

__all__ = ["docker"]

# The CLI keeps credentials and contexts here; never touch the user's ~/.docker in tests.
CONFIG_DIR = "/tmp/dockyard-test-docker-config"


def docker(
    host: str,
    *args: str,
    input: bytes | None = None,
    check: bool = True,
    timeout: float = 120,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``docker ARGS`` with DOCKER_HOST=host; raise AssertionError with stderr on failure."""
    env = {**os.environ, "DOCKER_HOST": host, "DOCKER_CONFIG": CONFIG_DIR}
    proc = subprocess.run(
        ["docker", *args], input=input, capture_output=True, env=env, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} exited {proc.returncode}:\n{proc.stderr.decode()}"
        )
    return proc
