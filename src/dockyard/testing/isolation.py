"""Test and benchmark daemons that cannot collide with a real dockyardd or with each other.

Each gets its own bridge name and nft table, a free /24 of TEST_RANGES (skipping what the
host routes) for its default bridge, user networks from those ranges too, and leaves the
host's ``ip_forward`` alone. Teardown deletes exactly those bridges and that table.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

__all__ = ["isolated_config", "remove_network_leftovers"]


# Ranges test daemons take /24s from, in order: a real daemon on the host may cover one.
TEST_RANGES = ("172.30.0.0/16", "10.199.0.0/16", "10.198.0.0/16")


def isolated_config(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    from dockyard.network.ipam import PoolSpec, choose_subnet, host_routed_prefixes

    tag = os.urandom(3).hex()
    pools = [PoolSpec(IPv4Network(r), 24) for r in TEST_RANGES]
    subnet = choose_subnet(pools, host_routed_prefixes())
    return {
        "bridge": f"dyt{tag}",
        "nft-table": f"dockyard_test_{tag}",
        "bip": f"{subnet.network_address + 1}/24",
        "default-address-pools": [{"base": r, "size": 24} for r in TEST_RANGES],
        "ip-forward": False,
        **(extra or {}),
    }


def remove_network_leftovers(base: Path) -> None:
    """Delete the bridges the daemon under ``base`` made and its nft table (only those)."""
    from dockyard.network.nat import NatTable

    try:
        config = json.loads((base / "daemon.json").read_text())
    except (OSError, ValueError):
        return
    if not str(config.get("nft-table", "")).startswith("dockyard_test_"):
        return  # not an isolated daemon: nothing here is ours to delete
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
