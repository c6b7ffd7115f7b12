"""Shared test fixtures: markers that skip with a reason, a real dockyardd per session.

Integration and compat tests talk to a real daemon started here on a temporary socket, data
root and exec root (never the machine's /run/dockyard.sock), stopped and removed at the end
even when tests fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.testing.daemon_process import Daemon, destroy_engine, start_daemon, unmount_below

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
    net = _isolated_network_config(base)
    d = start_daemon(base)
    try:
        yield d
    finally:
        destroy_engine(d)
        _remove_network_leftovers(base, net)
        unmount_below(base)
        shutil.rmtree(base, ignore_errors=True)


def _isolated_network_config(base: Path) -> dict[str, object]:
    """daemon.json for a test daemon that cannot collide with a real dockyardd or another
    test session: its own bridge name and nft table, a free /24 of 172.30/16 (skipping what
    the host routes) as the default bridge, user networks from 172.30/16 too, and
    ``ip_forward`` left alone."""
    from ipaddress import IPv4Network

    from dockyard.network.ipam import PoolSpec, choose_subnet, host_routed_prefixes

    tag = os.urandom(3).hex()
    subnet = choose_subnet([PoolSpec(IPv4Network("172.30.0.0/16"), 24)], host_routed_prefixes())
    config: dict[str, object] = {
        "bridge": f"dyt{tag}",
        "nft-table": f"dockyard_test_{tag}",
        "bip": f"{subnet.network_address + 1}/24",
        "default-address-pools": [{"base": "172.30.0.0/16", "size": 24}],
        "ip-forward": False,
    }
    (base / "daemon.json").write_text(json.dumps(config))
    return config


def _remove_network_leftovers(base: Path, config: dict[str, object]) -> None:
    """Delete the bridges this daemon's networks made and its nft table (only those)."""
    import sqlite3

    from dockyard.network.nat import NatTable

    bridges = {str(config["bridge"])}
    with contextlib.suppress(sqlite3.Error):
        db = sqlite3.connect(base / "data" / "dockyard.db")
        try:
            bridges |= {r[0] for r in db.execute("SELECT bridge FROM networks WHERE bridge != ''")}
        finally:
            db.close()
    for name in sorted(bridges):
        if not Path(f"/sys/class/net/{name}/bridge").exists():
            continue  # only ever a bridge, never another kind of link
        subprocess.run(["ip", "link", "del", name], capture_output=True, check=False, timeout=30)
    with contextlib.suppress(Exception):
        NatTable(str(config["nft-table"])).delete()


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
