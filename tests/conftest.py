"""Shared test fixtures: markers that skip with a reason, a real dockyardd per session.

Integration and compat tests talk to a real daemon started here on a temporary socket, data
root and exec root (never the machine's /run/dockyard.sock), stopped and removed at the end
even when tests fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.testing.daemon_process import Daemon, destroy_engine, start_daemon

IS_ROOT = os.geteuid() == 0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/**/expected.json from the current output (then review the diff)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reasons = {
        "root": None if IS_ROOT else "needs root (mounts, namespaces, cgroups)",
        "network": None if IS_ROOT else "needs root to create namespaces and links",
        "compat": None if shutil.which("docker") else "the docker CLI is not installed",
    }
    for item in items:
        for marker, reason in reasons.items():
            if reason and marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def daemon() -> Iterator[Daemon]:
    """One real dockyardd for the session (root only: it mounts overlays)."""
    if not IS_ROOT:
        pytest.skip("a real dockyardd needs root")
    base = Path(tempfile.mkdtemp(prefix="dockyard-test-", dir="/tmp"))
    d = start_daemon(base)
    try:
        yield d
    finally:
        destroy_engine(d)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A busybox rootfs tar from Debian's busybox-static (skips when it is not installed)."""
    from dockyard.testing.busybox import BUSYBOX, write_rootfs

    if not BUSYBOX.exists():
        pytest.skip("busybox-static is not installed")
    path = tmp_path_factory.mktemp("busybox") / "rootfs.tar"
    with path.open("wb") as fh:
        write_rootfs(fh)
    return path
