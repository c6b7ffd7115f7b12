"""Image documents: config, manifest and index, with strict parsing.

Parsing is strict because these documents arrive from archives and registries: anything
malformed raises InvalidParameter naming what is wrong, before any of it is stored. A config
is kept as the exact bytes it came as (its digest is the image id); these types are for
reading it and for writing new ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from dockyard.errors import InvalidParameter
from dockyard.oci import mediatypes
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest, parse

__all__ = ["ContainerConfig", "HistoryEntry", "ImageConfig", "Index", "Manifest", "load_json"]


def load_json(data: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidParameter(f"{what} is not valid JSON: {err}") from err
    if not isinstance(doc, dict):
        raise InvalidParameter(f"{what} is not a JSON object")
    return doc


def _str_list(value: Any, what: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameter(f"{what} must be a list of strings")
    return list(value)


def _str_dict(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParameter(f"{what} must be an object")
    return {str(k): str(v) for k, v in value.items()}


def _key_set(value: Any, what: str) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParameter(f"{what} must be an object")
    return {str(k): {} for k in value}


@dataclass(frozen=True, slots=True)
class ContainerConfig:
    """The runtime defaults an image carries (the ``config`` member of an image config)."""

    user: str = ""
    exposed_ports: dict[str, dict[str, Any]] = field(default_factory=dict)
    env: list[str] = field(default_factory=list)
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    working_dir: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    stop_signal: str = ""
    healthcheck: dict[str, Any] | None = None
    on_build: list[str] | None = None
    shell: list[str] | None = None
    args_escaped: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.user:
            out["User"] = self.user
        if self.exposed_ports:
            out["ExposedPorts"] = {k: {} for k in self.exposed_ports}
        if self.env:
            out["Env"] = list(self.env)
        if self.entrypoint is not None:
            out["Entrypoint"] = list(self.entrypoint)
        if self.cmd is not None:
            out["Cmd"] = list(self.cmd)
        if self.volumes:
            out["Volumes"] = {k: {} for k in self.volumes}
        if self.working_dir:
            out["WorkingDir"] = self.working_dir
        if self.labels:
            out["Labels"] = dict(self.labels)
        if self.stop_signal:
            out["StopSignal"] = self.stop_signal
        if self.healthcheck is not None:
            out["Healthcheck"] = dict(self.healthcheck)
        if self.on_build:
            out["OnBuild"] = list(self.on_build)
        if self.shell is not None:
            out["Shell"] = list(self.shell)
        if self.args_escaped:
            out["ArgsEscaped"] = True
        return out

    @classmethod
    def from_json(cls, data: Any) -> ContainerConfig:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InvalidParameter("image config 'config' must be an object")
        hc = data.get("Healthcheck")
        if hc is not None and not isinstance(hc, dict):
            raise InvalidParameter("Healthcheck must be an object")
        return cls(
            user=str(data.get("User") or ""),
            exposed_ports=_key_set(data.get("ExposedPorts"), "ExposedPorts"),
            env=_str_list(data.get("Env"), "Env") or [],
            entrypoint=_str_list(data.get("Entrypoint"), "Entrypoint"),
            cmd=_str_list(data.get("Cmd"), "Cmd"),
            volumes=_key_set(data.get("Volumes"), "Volumes"),
            working_dir=str(data.get("WorkingDir") or ""),
            labels=_str_dict(data.get("Labels"), "Labels"),
            stop_signal=str(data.get("StopSignal") or ""),
            healthcheck=hc,
            on_build=_str_list(data.get("OnBuild"), "OnBuild"),
            shell=_str_list(data.get("Shell"), "Shell"),
            args_escaped=bool(data.get("ArgsEscaped", False)),
        )


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    created: str = ""
    created_by: str = ""
    author: str = ""
    comment: str = ""
    empty_layer: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.created:
            out["created"] = self.created
        if self.created_by:
            out["created_by"] = self.created_by
        if self.author:
            out["author"] = self.author
        if self.comment:
            out["comment"] = self.comment
        if self.empty_layer:
            out["empty_layer"] = True
        return out

    @classmethod
    def from_json(cls, data: Any) -> HistoryEntry:
        if not isinstance(data, dict):
            raise InvalidParameter("image history entry must be an object")
        return cls(
            created=str(data.get("created") or ""),
            created_by=str(data.get("created_by") or ""),
            author=str(data.get("author") or ""),
            comment=str(data.get("comment") or ""),
            empty_layer=bool(data.get("empty_layer", False)),
        )


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """An OCI/Docker image config; ``diff_ids`` are the uncompressed layer digests."""

    architecture: str
    os: str
    diff_ids: tuple[Digest, ...]
    config: ContainerConfig = field(default_factory=ContainerConfig)
    created: str = ""
    author: str = ""
    comment: str = ""
    variant: str = ""
    history: tuple[HistoryEntry, ...] = ()
    docker_version: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        if self.created:
            out["created"] = self.created
        if self.author:
            out["author"] = self.author
        if self.comment:
            out["comment"] = self.comment
        if self.docker_version:
            out["docker_version"] = self.docker_version
        out["config"] = self.config.to_json()
        out["rootfs"] = {"type": "layers", "diff_ids": list(self.diff_ids)}
        if self.history:
            out["history"] = [h.to_json() for h in self.history]
        return out

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    def with_config(self, config: ContainerConfig) -> ImageConfig:
        return replace(self, config=config)

    @classmethod
    def from_bytes(cls, data: bytes) -> ImageConfig:
        doc = load_json(data, "image config")
        rootfs = doc.get("rootfs")
        if not isinstance(rootfs, dict) or rootfs.get("type") != "layers":
            raise InvalidParameter("image config has no rootfs of type 'layers'")
        raw_ids = rootfs.get("diff_ids") or []
        if not isinstance(raw_ids, list):
            raise InvalidParameter("image config rootfs.diff_ids must be a list")
        history = doc.get("history") or []
        if not isinstance(history, list):
            raise InvalidParameter("image config history must be a list")
        return cls(
            architecture=str(doc.get("architecture") or ""),
            os=str(doc.get("os") or ""),
            variant=str(doc.get("variant") or ""),
            diff_ids=tuple(parse(str(d)) for d in raw_ids),
            config=ContainerConfig.from_json(doc.get("config")),
            created=str(doc.get("created") or ""),
            author=str(doc.get("author") or ""),
            comment=str(doc.get("comment") or ""),
            docker_version=str(doc.get("docker_version") or ""),
            history=tuple(HistoryEntry.from_json(h) for h in history),
        )


@dataclass(frozen=True, slots=True)
class Manifest:
    config: Descriptor
    layers: tuple[Descriptor, ...]
    media_type: str = mediatypes.OCI_MANIFEST
    annotations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": self.config.to_json(),
            "layers": [layer.to_json() for layer in self.layers],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        doc = load_json(data, "image manifest")
        if doc.get("schemaVersion") != 2:
            raise InvalidParameter("image manifest schemaVersion must be 2")
        layers = doc.get("layers")
        if not isinstance(layers, list):
            raise InvalidParameter("image manifest has no layers list")
        return cls(
            media_type=str(doc.get("mediaType") or mediatypes.OCI_MANIFEST),
            config=Descriptor.from_json(doc.get("config")),
            layers=tuple(Descriptor.from_json(layer) for layer in layers),
            annotations=_str_dict(doc.get("annotations"), "manifest annotations"),
        )


@dataclass(frozen=True, slots=True)
class Index:
    manifests: tuple[Descriptor, ...]
    media_type: str = mediatypes.OCI_INDEX
    annotations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "manifests": [m.to_json() for m in self.manifests],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Index:
        doc = load_json(data, "image index")
        if doc.get("schemaVersion") != 2:
            raise InvalidParameter("image index schemaVersion must be 2")
        manifests = doc.get("manifests")
        if not isinstance(manifests, list):
            raise InvalidParameter("image index has no manifests list")
        return cls(
            media_type=str(doc.get("mediaType") or mediatypes.OCI_INDEX),
            manifests=tuple(Descriptor.from_json(m) for m in manifests),
            annotations=_str_dict(doc.get("annotations"), "index annotations"),
        )
