"""``docker import``: a root filesystem tar becomes a one-layer image in the content store.

The layer is stored UNCOMPRESSED (``application/vnd.oci.image.layer.v1.tar``): its blob
digest is its diff_id, unpacking needs no decompression, and ``save`` later copies it as
is; this is why import/save/load are fast here. The body may come gzip/bzip2/xz
compressed; it is decompressed while it streams in, checked to be a tar as it passes, and
hashed once. Then the config (platform, ``created`` now, history ``Imported from -``, the
``--change`` instructions) and an OCI manifest are written. Registering the image (unpack,
tags) is the image service's job; this module only produces blobs.
"""

from __future__ import annotations

import platform as _platform
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from dockyard.archive.compression import open_decompressed
from dockyard.content.base import ContentStore
from dockyard.errors import InvalidParameter, NotFound
from dockyard.image.archive_types import ArchiveImage
from dockyard.image.changes import apply_changes
from dockyard.oci import mediatypes
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest, Hasher
from dockyard.oci.image import ContainerConfig, HistoryEntry, ImageConfig, Manifest
from dockyard.oci.reference import Reference
from dockyard.util.ids import random_id
from dockyard.util.timefmt import utcnow_rfc3339

__all__ = [
    "ImportOptions",
    "ImportedBlobs",
    "go_arch",
    "import_rootfs",
    "parse_platform",
    "write_blob",
]

_CHUNK = 1 << 20
_GO_ARCH = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "armhf": "arm",
    "armel": "arm",
    "armv7l": "arm",
    "i386": "386",
    "i686": "386",
}
_KNOWN_OS = frozenset({"linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris"})


def go_arch(machine: str) -> str:
    """Docker reports Go's GOARCH names (``amd64``, ``arm64``)."""
    return _GO_ARCH.get(machine.lower(), machine.lower())


def parse_platform(text: str) -> tuple[str, str, str]:
    """``os[/arch[/variant]]`` (or a bare arch) -> (os, arch, variant); only linux is run."""
    if not text:
        return "linux", go_arch(_platform.machine()), ""
    parts = text.lower().split("/")
    if len(parts) > 3 or not all(parts):
        raise InvalidParameter(f"invalid platform {text!r}: expected os[/arch[/variant]]")
    if parts[0] not in _KNOWN_OS:
        if len(parts) > 2:
            raise InvalidParameter(f"invalid platform {text!r}: unknown operating system")
        parts = ["linux", *parts]
    os_name = parts[0]
    if os_name != "linux":
        raise InvalidParameter(f"operating system is not supported: {os_name}")
    arch = go_arch(parts[1]) if len(parts) > 1 else go_arch(_platform.machine())
    variant = parts[2] if len(parts) > 2 else ""
    return os_name, arch, variant


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What ``POST /images/create?fromSrc=-`` carries besides the body."""

    reference: Reference | None = None
    message: str = ""
    changes: tuple[str, ...] = ()
    platform: str = ""
    source: str = "-"


@dataclass(frozen=True, slots=True)
class ImportedBlobs:
    """The image as written, and which of its blobs did not exist before (for cleanup)."""

    image: ArchiveImage
    config: ImageConfig
    new_blobs: tuple[Digest, ...] = field(default_factory=tuple)


class _Tee:
    """Every byte the tar reader consumes also goes to the blob writer."""

    def __init__(self, source: BinaryIO, write: Callable[[bytes], None]) -> None:
        self._source = source
        self._write = write
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._source.read(n if n and n > 0 else _CHUNK)
        if data:
            self.size += len(data)
            self._write(data)
        return data


def _exists(content: ContentStore, digest: Digest) -> bool:
    try:
        content.info(digest)
    except NotFound:
        return False
    return True


def write_blob(content: ContentStore, data: bytes, media_type: str) -> tuple[Descriptor, bool]:
    """Store ``data``; return its descriptor and whether it is new in the store."""
    hasher = Hasher()
    hasher.update(data)
    digest = hasher.digest()
    if _exists(content, digest):
        return Descriptor(media_type=media_type, digest=digest, size=len(data)), False
    writer = content.writer(f"blob-{random_id()[:16]}", expected=digest)
    try:
        writer.write(data)
        writer.commit(len(data), digest)
    except BaseException:
        writer.abort()
        raise
    return Descriptor(media_type=media_type, digest=digest, size=len(data)), True


def _store_layer(content: ContentStore, body: BinaryIO) -> Descriptor:
    """Decompress, check tar framing and store ``body`` as an uncompressed layer blob.

    The content writer hashes what it stores, so the blob digest (= the diff_id) comes
    from its commit: the bytes are hashed once.
    """
    writer = content.writer(f"import-{random_id()[:16]}")
    try:
        tee = _Tee(open_decompressed(body), writer.write)
        try:
            with tarfile.open(fileobj=tee, mode="r|", bufsize=_CHUNK) as tf:  # type: ignore[call-overload]
                for _member in tf:
                    pass
        except (tarfile.TarError, EOFError) as err:
            raise InvalidParameter(
                f"the imported content is not a valid tar archive: {err}"
            ) from err
        except OSError as err:  # a corrupt gzip/xz stream
            raise InvalidParameter(f"the imported content cannot be decompressed: {err}") from err
        while tee.read(_CHUNK):
            pass
        digest = writer.commit()
    except BaseException:
        writer.abort()
        raise
    return Descriptor(media_type=mediatypes.OCI_LAYER, digest=digest, size=tee.size)


def import_rootfs(content: ContentStore, body: BinaryIO, options: ImportOptions) -> ImportedBlobs:
    """Write the layer, config and manifest blobs of an imported root filesystem."""
    if options.source != "-":
        raise InvalidParameter(
            f"importing from {options.source!r} is not supported: this engine has no network"
            " access; send the archive in the request body with fromSrc=-"
        )
    os_name, arch, variant = parse_platform(options.platform)
    config_defaults = apply_changes(ContainerConfig(), options.changes)
    layer = _store_layer(content, body)
    # Cleanup after a failure only deletes blobs no image references, so listing the layer
    # is safe even when it existed before.
    new: list[Digest] = [layer.digest]
    message = options.message or f"Imported from {options.source}"
    created = utcnow_rfc3339()
    config = ImageConfig(
        architecture=arch,
        os=os_name,
        variant=variant,
        diff_ids=(layer.digest,),
        config=config_defaults,
        created=created,
        comment=message,
        history=(HistoryEntry(created=created, comment=message),),
    )
    config_desc, is_new = write_blob(content, config.to_bytes(), mediatypes.OCI_CONFIG)
    if is_new:
        new.append(config_desc.digest)
    manifest = Manifest(config=config_desc, layers=(layer,))
    manifest_desc, is_new = write_blob(content, manifest.to_bytes(), mediatypes.OCI_MANIFEST)
    if is_new:
        new.append(manifest_desc.digest)
    image = ArchiveImage(
        config_digest=config_desc.digest,
        manifest=manifest,
        manifest_digest=manifest_desc.digest,
        diff_ids=(layer.digest,),
        names=(str(options.reference),) if options.reference is not None else (),
    )
    return ImportedBlobs(image=image, config=config, new_blobs=tuple(new))
