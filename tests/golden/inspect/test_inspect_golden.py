"""``Config``/``HostConfig`` of inspect, compared with what a real dockerd 20.10 showed.

Each case holds the create body a client sent (``request.json``: the docker CLI 28's own
bodies, captured on the wire, and a minimal API body) and the ``docker inspect`` the
reference dockerd answered (``inspect.json``; ids, times and paths normalized). Decoding the
request, applying the daemon's defaults and the image's config, then encoding must give the
same objects.

Known differences, on purpose, between dockerd 20.10 and the API v1.45 Dockyard speaks:
``KernelMemory``/``KernelMemoryTCP`` are omitted when zero, an unset restart policy reads
``"no"`` (not ``""``) and ``Runtime`` is always filled in (20.10 omits it when the request had
no HostConfig at all).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from dockyard.apitypes.container_create import ContainerCreateRequest
from dockyard.apitypes.container_merge import merge_image_config
from dockyard.apitypes.host_config import with_daemon_defaults
from dockyard.oci.image import ContainerConfig as ImageDefaults

CASES = sorted(p for p in Path(__file__).parent.iterdir() if (p / "request.json").exists())


def _load(case: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    request = json.loads((case / "request.json").read_text())
    inspect = json.loads((case / "inspect.json").read_text())
    return request, inspect


def _as_v145(host_config: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in host_config.items() if k not in ("KernelMemory", "KernelMemoryTCP")}
    if not out["RestartPolicy"]["Name"]:
        out["RestartPolicy"] = {**out["RestartPolicy"], "Name": "no"}
    out.setdefault("Runtime", "runc")
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_host_config_matches_reference_inspect(case: Path) -> None:
    request, inspect = _load(case)
    req = ContainerCreateRequest.from_wire(request)
    assert with_daemon_defaults(req.host_config).to_wire() == _as_v145(inspect["HostConfig"])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_config_matches_reference_inspect(case: Path) -> None:
    request, inspect = _load(case)
    config = merge_image_config(ContainerCreateRequest.from_wire(request).config, ImageDefaults())
    if not config.hostname:
        config = dataclasses.replace(config, hostname="<id12>")
    assert config.to_wire() == inspect["Config"]
