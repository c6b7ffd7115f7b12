"""Make sense of a spooled archive: which images it holds, and is every part of them sound.

Two formats are understood, told apart by their entry document::

    docker-archive (docker save)              OCI image layout (skopeo, buildx, Docker 25+)
    ├── manifest.json   [{Config, RepoTags,   ├── oci-layout   {"imageLayoutVersion": "1.0.0"}
    │                     Layers}]            ├── index.json   descriptors -> manifests or
    ├── <id>.json, <id>/layer.tar   (<= 24)   │                nested indexes
    └── blobs/sha256/<hex>          (>= 25)   └── blobs/sha256/<hex>

A Docker 25+ archive is both; manifest.json wins then, as in ``docker load``. Everything is
checked here, before anything is committed: references resolve, blob names match their
digests, descriptor sizes match, layers are safe and match the config's diff ids.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dockyard.errors import InvalidParameter
from dockyard.image.archive_spool import Member, Spool, member_path
from dockyard.oci import mediatypes
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.image import ImageConfig, Index, Manifest
from dockyard.oci.reference import parse, parse_normalized

__all__ = ["PlannedImage", "plan_images"]

log = logging.getLogger(__name__)

_BLOB_NAME = re.compile(r"^blobs/sha256/([0-9a-f]{64})$")
_MAX_INDEX_DEPTH = 4
_PLATFORM = ("linux", "amd64")
_T = TypeVar("_T")


@dataclass(slots=True)
class PlannedImage:
    """A validated image, ready to commit: ``manifest_member`` is None for a docker-archive
    (its manifest is written fresh as ``manifest_bytes``)."""

    config: Member
    diff_ids: tuple[str, ...]
    layers: list[Member]
    manifest: Manifest
    manifest_bytes: bytes
    manifest_member: Member | None
    names: list[str] = field(default_factory=list)


def plan_images(spool: Spool) -> list[PlannedImage]:
    """The images of the archive, or InvalidParameter naming the first problem found."""
    _check_blob_names(spool)
    if spool.get("manifest.json") is not None:
        images = _plan_docker_archive(spool)
    elif spool.get("index.json") is not None:
        images = _plan_oci_layout(spool)
    else:
        raise InvalidParameter(
            "invalid archive: no manifest.json (docker-archive) or index.json (OCI layout)"
        )
    if not images:
        raise InvalidParameter("invalid archive: it holds no images")
    return images


def _check_blob_names(spool: Spool) -> None:
    for path, member in spool.members.items():
        match = _BLOB_NAME.match(path)
        if match and member.digest != f"sha256:{match.group(1)}":
            raise InvalidParameter(
                f"invalid archive: blob {path} has digest {member.digest}, not the one it is "
                "named after"
            )


def _require(spool: Spool, path: str, referrer: str) -> Member:
    member = spool.get(member_path(path, f"path in {referrer}"))
    if member is None:
        raise InvalidParameter(f"invalid archive: {path} referenced by {referrer} is missing")
    return member


def _json(member: Member) -> Any:
    data = member.bytes()
    if data is None:
        raise InvalidParameter(f"invalid archive: {member.name} is too large for a document")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidParameter(f"invalid archive: {member.name} is not valid JSON: {err}") from err


def _config(member: Member) -> ImageConfig:
    data = member.bytes()
    if data is None:
        raise InvalidParameter(f"invalid archive: image config {member.name} is too large")
    try:
        return ImageConfig.from_bytes(data)
    except InvalidParameter as err:
        raise InvalidParameter(f"invalid archive: {member.name}: {err}") from err


def _check_layer(member: Member, diff_id: str, claimed_compression: str | None = None) -> None:
    """The layer is a safe tar whose uncompressed digest is ``diff_id``."""
    probe = member.probe
    if probe.error is not None:
        raise InvalidParameter(f"invalid archive: layer {member.name}: {probe.error}")
    if claimed_compression is not None and claimed_compression != probe.compression:
        raise InvalidParameter(
            f"invalid archive: layer {member.name} is {probe.compression or 'uncompressed'} "
            f"but its media type says {claimed_compression or 'uncompressed'}"
        )
    actual = probe.uncompressed_digest or member.digest
    if actual != diff_id:
        raise InvalidParameter(
            f"invalid archive: layer {member.name} has content digest {actual}, but the image "
            f"config expects diff id {diff_id}"
        )


def _check_layer_count(config: Member, diff_ids: tuple[str, ...], layers: int) -> None:
    if len(diff_ids) != layers:
        raise InvalidParameter(
            f"invalid archive: image {config.name} lists {layers} layers but its config has "
            f"{len(diff_ids)} diff ids"
        )


def _plan_docker_archive(spool: Spool) -> list[PlannedImage]:
    doc = _json(_require(spool, "manifest.json", "the archive"))
    if not isinstance(doc, list):
        raise InvalidParameter("invalid archive: manifest.json is not a JSON list")
    images: dict[str, PlannedImage] = {}
    for entry in doc:
        if not isinstance(entry, dict):
            raise InvalidParameter("invalid archive: manifest.json entry is not an object")
        config_path, tags, layer_paths = (
            entry.get("Config"),
            entry.get("RepoTags"),
            entry.get("Layers"),
        )
        if not isinstance(config_path, str):
            raise InvalidParameter("invalid archive: manifest.json entry lacks Config")
        if not isinstance(layer_paths, list) or not all(isinstance(p, str) for p in layer_paths):
            raise InvalidParameter(f"invalid archive: Layers of {config_path} is not a list")
        if tags is not None and (
            not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)
        ):
            raise InvalidParameter(f"invalid archive: RepoTags of {config_path} is not a list")
        config = _require(spool, config_path, "manifest.json")
        diff_ids = _config(config).diff_ids
        layers = [_require(spool, path, "manifest.json") for path in layer_paths]
        _check_layer_count(config, diff_ids, len(layers))
        for layer, diff_id in zip(layers, diff_ids, strict=True):
            _check_layer(layer, diff_id)
        names = [_repo_tag(tag) for tag in tags or []]
        planned = images.get(config.digest)
        if planned is None:
            manifest = Manifest(
                config=Descriptor(mediatypes.OCI_CONFIG, config.digest, config.size),
                layers=tuple(
                    Descriptor(_layer_media_type(layer), layer.digest, layer.size)
                    for layer in layers
                ),
            )
            planned = PlannedImage(
                config, diff_ids, layers, manifest, manifest.to_bytes(), manifest_member=None
            )
            images[config.digest] = planned
        planned.names.extend(n for n in names if n not in planned.names)
    return list(images.values())


def _repo_tag(tag: str) -> str:
    try:
        return str(parse_normalized(tag))
    except InvalidParameter as err:
        raise InvalidParameter(f"invalid archive: RepoTags entry {tag!r}: {err}") from err


def _layer_media_type(layer: Member) -> str:
    if layer.probe.compression == "gzip":
        return mediatypes.OCI_LAYER_GZIP
    return mediatypes.OCI_LAYER


def _plan_oci_layout(spool: Spool) -> list[PlannedImage]:
    layout = _json(_require(spool, "oci-layout", "the OCI image layout"))
    if not isinstance(layout, dict) or not isinstance(layout.get("imageLayoutVersion"), str):
        raise InvalidParameter("invalid archive: oci-layout has no imageLayoutVersion")
    index_member = _require(spool, "index.json", "the OCI image layout")
    index = _parse(Index.from_bytes, index_member)
    images: dict[str, PlannedImage] = {}
    for desc in index.manifests:
        manifest_desc = _resolve_manifest(spool, desc, 0)
        planned = images.get(manifest_desc.digest)
        if planned is None:
            planned = _plan_oci_image(spool, manifest_desc)
            images[manifest_desc.digest] = planned
        planned.names.extend(n for n in _names_of(desc) if n not in planned.names)
    return list(images.values())


def _blob(spool: Spool, desc: Descriptor) -> Member:
    algorithm, _, hex_digest = desc.digest.partition(":")
    if algorithm != "sha256":
        raise InvalidParameter(f"invalid archive: unsupported digest algorithm in {desc.digest}")
    member = _require(spool, f"blobs/sha256/{hex_digest}", "a descriptor")
    if member.size != desc.size:
        raise InvalidParameter(
            f"invalid archive: blob {member.name} has {member.size} bytes but its descriptor "
            f"says {desc.size}"
        )
    if member.digest != desc.digest:
        raise InvalidParameter(f"invalid archive: blob {member.name} does not match its digest")
    return member


def _parse(parser: Callable[[bytes], _T], member: Member) -> _T:
    data = member.bytes()
    if data is None:
        raise InvalidParameter(f"invalid archive: {member.name} is too large for a document")
    try:
        return parser(data)
    except InvalidParameter as err:
        raise InvalidParameter(f"invalid archive: {member.name}: {err}") from err


def _resolve_manifest(spool: Spool, desc: Descriptor, depth: int) -> Descriptor:
    """Follow nested indexes down to the linux/amd64 manifest (or the only one)."""
    if desc.media_type in mediatypes.MANIFESTS:
        return desc
    if desc.media_type not in mediatypes.INDEXES:
        raise InvalidParameter(
            f"invalid archive: descriptor {desc.digest} has unsupported media type "
            f"{desc.media_type!r}"
        )
    if depth >= _MAX_INDEX_DEPTH:
        raise InvalidParameter("invalid archive: image indexes are nested too deeply")
    index = _parse(Index.from_bytes, _blob(spool, desc))
    candidates = [
        m
        for m in index.manifests
        if m.platform is not None and (m.platform.os, m.platform.architecture) == _PLATFORM
    ]
    if not candidates and len(index.manifests) == 1:
        candidates = list(index.manifests)
    if not candidates:
        raise InvalidParameter(
            f"invalid archive: index {desc.digest} has no manifest for linux/amd64"
        )
    return _resolve_manifest(spool, candidates[0], depth + 1)


def _plan_oci_image(spool: Spool, desc: Descriptor) -> PlannedImage:
    manifest_member = _blob(spool, desc)
    manifest = _parse(Manifest.from_bytes, manifest_member)
    config = _blob(spool, manifest.config)
    diff_ids = _config(config).diff_ids
    _check_layer_count(config, diff_ids, len(manifest.layers))
    layers = []
    for layer_desc, diff_id in zip(manifest.layers, diff_ids, strict=True):
        if layer_desc.media_type not in mediatypes.LAYERS:
            raise InvalidParameter(
                f"invalid archive: layer {layer_desc.digest} has unsupported media type "
                f"{layer_desc.media_type!r}"
            )
        layer = _blob(spool, layer_desc)
        _check_layer(layer, diff_id, mediatypes.compression_of(layer_desc.media_type))
        layers.append(layer)
    manifest_bytes = manifest_member.bytes() or b""
    return PlannedImage(config, diff_ids, layers, manifest, manifest_bytes, manifest_member)


def _names_of(desc: Descriptor) -> list[str]:
    """Names from index.json annotations: containerd's full name, else a full ref.name."""
    full = desc.annotations.get(mediatypes.ANNOTATION_IMAGE_NAME)
    ref_name = desc.annotations.get(mediatypes.ANNOTATION_REF_NAME, "")
    candidate = full or (ref_name if ("/" in ref_name or ":" in ref_name) else "")
    if not candidate:
        return []  # a bare tag without a repository names nothing
    try:
        ref = parse(candidate)
    except InvalidParameter:
        log.warning("ignoring image name %r in index.json: not a reference", candidate)
        return []
    return [str(ref.with_default_tag())]
