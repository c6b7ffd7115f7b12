"""Wire shapes of the image routes: summaries, inspect, history, delete and prune reports.

The image service returns these dataclasses; the ``*_to_wire`` functions make Docker's JSON,
including what depends on the API version the client asked for (``VirtualSize`` before
1.44, ``<none>:<none>`` for untagged images before 1.43, ``Container``/``ContainerConfig``
before 1.45).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dockyard.apitypes.versioning import MAX_VERSION, version_tuple
from dockyard.oci.image import ContainerConfig

__all__ = [
    "DeleteItem",
    "GraphDriver",
    "HistoryItem",
    "ImageDetails",
    "ImageSummary",
    "PruneReport",
    "container_config_to_wire",
    "delete_to_wire",
    "history_to_wire",
    "inspect_to_wire",
    "prune_to_wire",
    "summary_to_wire",
]


@dataclass(frozen=True, slots=True)
class ImageSummary:
    id: str
    parent_id: str
    repo_tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    created: int
    size: int
    labels: dict[str, str]
    shared_size: int = -1
    containers: int = -1


@dataclass(frozen=True, slots=True)
class GraphDriver:
    name: str
    data: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class ImageDetails:
    """What ``GET /images/{name}/json`` reports."""

    id: str
    repo_tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    parent: str
    comment: str
    created: str
    docker_version: str
    author: str
    config: ContainerConfig
    architecture: str
    variant: str
    os: str
    size: int
    graph_driver: GraphDriver
    layers: tuple[str, ...]
    last_tag_time: str = ""


@dataclass(frozen=True, slots=True)
class HistoryItem:
    id: str
    created: int
    created_by: str
    tags: tuple[str, ...] | None
    size: int
    comment: str


@dataclass(frozen=True, slots=True)
class DeleteItem:
    """Exactly one of ``untagged`` and ``deleted`` is set."""

    untagged: str = ""
    deleted: str = ""


@dataclass(frozen=True, slots=True)
class PruneReport:
    deleted: tuple[DeleteItem, ...] = field(default_factory=tuple)
    space_reclaimed: int = 0


def _before(version: str, other: str) -> bool:
    return version_tuple(version) < version_tuple(other)


def summary_to_wire(s: ImageSummary, version: str = MAX_VERSION) -> dict[str, Any]:
    tags, digests = list(s.repo_tags), list(s.repo_digests)
    if not tags and not digests and _before(version, "1.43"):
        tags, digests = ["<none>:<none>"], ["<none>@<none>"]
    out: dict[str, Any] = {
        "Containers": s.containers,
        "Created": s.created,
        "Id": s.id,
        "Labels": dict(s.labels) if s.labels else None,
        "ParentId": s.parent_id,
        "RepoDigests": digests,
        "RepoTags": tags,
        "SharedSize": s.shared_size,
        "Size": s.size,
    }
    if _before(version, "1.44"):
        out["VirtualSize"] = s.size
    return out


def container_config_to_wire(c: ContainerConfig) -> dict[str, Any]:
    """Docker's capitalized container config, as image inspect shows an image's defaults."""
    out: dict[str, Any] = {
        "Hostname": "",
        "Domainname": "",
        "User": c.user,
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "Tty": False,
        "OpenStdin": False,
        "StdinOnce": False,
        "Env": list(c.env) if c.env else None,
        "Cmd": list(c.cmd) if c.cmd is not None else None,
        "Image": "",
        "Volumes": {k: {} for k in c.volumes} if c.volumes else None,
        "WorkingDir": c.working_dir,
        "Entrypoint": list(c.entrypoint) if c.entrypoint is not None else None,
        "OnBuild": list(c.on_build) if c.on_build else None,
        "Labels": dict(c.labels) if c.labels else None,
    }
    if c.exposed_ports:
        out["ExposedPorts"] = {k: {} for k in c.exposed_ports}
    if c.stop_signal:
        out["StopSignal"] = c.stop_signal
    if c.healthcheck is not None:
        out["Healthcheck"] = dict(c.healthcheck)
    if c.shell is not None:
        out["Shell"] = list(c.shell)
    if c.args_escaped:
        out["ArgsEscaped"] = True
    return out


def inspect_to_wire(d: ImageDetails, version: str = MAX_VERSION) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Id": d.id,
        "RepoTags": list(d.repo_tags),
        "RepoDigests": list(d.repo_digests),
        "Parent": d.parent,
        "Comment": d.comment,
        "Created": d.created,
        "DockerVersion": d.docker_version,
        "Author": d.author,
        "Config": container_config_to_wire(d.config),
        "Architecture": d.architecture,
        "Os": d.os,
        "Size": d.size,
        "GraphDriver": {"Name": d.graph_driver.name, "Data": d.graph_driver.data},
        "RootFS": {"Type": "layers", "Layers": list(d.layers)},
        "Metadata": {"LastTagTime": d.last_tag_time or "0001-01-01T00:00:00Z"},
    }
    if d.variant:
        out["Variant"] = d.variant
    if _before(version, "1.45"):
        out["Container"] = ""
        out["ContainerConfig"] = container_config_to_wire(ContainerConfig())
    if _before(version, "1.44"):
        out["VirtualSize"] = d.size
    return out


def history_to_wire(items: Sequence[HistoryItem]) -> list[dict[str, Any]]:
    return [
        {
            "Id": h.id,
            "Created": h.created,
            "CreatedBy": h.created_by,
            "Tags": list(h.tags) if h.tags is not None else None,
            "Size": h.size,
            "Comment": h.comment,
        }
        for h in items
    ]


def delete_to_wire(items: Sequence[DeleteItem]) -> list[dict[str, str]]:
    return [{"Untagged": i.untagged} if i.untagged else {"Deleted": i.deleted} for i in items]


def prune_to_wire(report: PruneReport) -> dict[str, Any]:
    return {
        "ImagesDeleted": delete_to_wire(report.deleted) if report.deleted else None,
        "SpaceReclaimed": report.space_reclaimed,
    }
