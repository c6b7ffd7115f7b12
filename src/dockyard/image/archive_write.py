"""``docker save``: write images as the Docker 25+ docker-archive, an OCI layout too.

What is written (every member with mtime 0 and mode 0644/0755, so equal input gives equal
bytes)::

    blobs/                      directory entries first
    blobs/sha256/<hex>          configs, layers (as stored: gzip or plain) and manifests,
                                each once however many images share it
    index.json                  OCI index: one descriptor per image name, annotated with
                                io.containerd.image.name=<full name> and
                                org.opencontainers.image.ref.name=<tag>; one bare
                                descriptor for an untagged image
    manifest.json               [{"Config", "RepoTags" (familiar, null if untagged), "Layers"}]
    oci-layout                  {"imageLayoutVersion": "1.0.0"}
    repositories                legacy {familiar repo: {tag: top layer id}}, when tagged

Docker 20.10 ``docker load`` reads only manifest.json (it decompresses layers itself), Docker
25+ and containerd read index.json, and :func:`~dockyard.image.archive_read.read_archive`
reads either.

The archive is first laid out (:func:`layout_archive`): its exact bytes apart from blob
bodies, which are named by digest, and so its exact size. The API answers ``docker save``
with that size as Content-Length and sends each blob with ``sendfile(2)`` from the store's
file straight to the socket; :func:`write_archive` writes the same bytes to a stream
(by sendfile too when both ends are real files or sockets, else through a 1 MiB buffer).
"""

from __future__ import annotations

import json
import os
import select
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from dockyard.content.base import ContentStore
from dockyard.errors import DockyardError
from dockyard.image.archive_types import ArchiveImage
from dockyard.oci import mediatypes
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest, hex_of
from dockyard.oci.image import Index
from dockyard.oci.reference import Reference, parse

__all__ = ["ArchiveLayout", "BlobPart", "layout_archive", "write_archive", "write_layout"]

_BLOCK = 512
_COPY_CHUNK = 1 << 20
_SENDFILE_CHUNK = 1 << 30
_OCI_LAYOUT = b'{"imageLayoutVersion":"1.0.0"}'
# Blobs this big start at a multiple of _ALIGN in the archive (a PAX comment pads their
# header): a client writing the archive in 32 KiB reads then writes whole, aligned page
# cache folios, which a disk flushes in a third of the requests and time.
_ALIGN_FROM = 1 << 20
_ALIGN = 32 << 10


@dataclass(frozen=True, slots=True)
class BlobPart:
    """The body of a committed blob, ``size`` bytes, at this point of the archive."""

    digest: Digest
    size: int


@dataclass(frozen=True, slots=True)
class ArchiveLayout:
    """An archive as literal bytes (headers, documents, padding) and blob bodies, in order;
    ``size`` is the length of the whole tar."""

    parts: tuple[bytes | BlobPart, ...]
    size: int


def layout_archive(images: Sequence[ArchiveImage], content: ContentStore) -> ArchiveLayout:
    """Lay out the archive of ``images`` (whose blobs are all committed in ``content``).

    Names and blobs are checked here, before any byte is written (InvalidParameter for a
    bad name, NotFound for a missing blob), so a caller can still answer with an error.
    """
    refs = [[parse(name) for name in image.names] for image in images]
    sizes: dict[Digest, int] = {}
    for image in images:
        layers = [layer.digest for layer in image.manifest.layers]
        for digest in (image.config_digest, *layers, image.manifest_digest):
            if digest not in sizes:
                sizes[digest] = content.info(digest).size
    parts = _Parts()
    parts.add(_header("blobs/", 0, tarfile.DIRTYPE, 0o755))
    parts.add(_header("blobs/sha256/", 0, tarfile.DIRTYPE, 0o755))
    for digest, size in sizes.items():
        pad = _alignment_pad(parts.size) if size >= _ALIGN_FROM else 0
        parts.add(_header(_blob_path(digest), size, tarfile.REGTYPE, 0o644, pad))
        parts.add(BlobPart(digest, size))
        parts.add(_padding(size))
    parts.file("index.json", _index(images, refs, sizes))
    parts.file("manifest.json", _docker_manifest(images, refs))
    parts.file("oci-layout", _OCI_LAYOUT)
    repositories = _repositories(images, refs)
    if repositories:
        parts.file("repositories", _dumps(repositories))
    parts.add(bytes(2 * _BLOCK))
    return parts.layout()


def write_archive(images: Sequence[ArchiveImage], content: ContentStore, out: BinaryIO) -> None:
    """Write ``images`` (whose blobs are all committed in ``content``) as one tar to ``out``.

    Checks as :func:`layout_archive` does before the first byte is written.
    """
    write_layout(layout_archive(images, content), content, out)


def write_layout(layout: ArchiveLayout, content: ContentStore, out: BinaryIO) -> None:
    """Write the archive ``layout`` describes to ``out``, blob bodies from ``content``."""
    writer = _BlobCopier(out)
    for part in layout.parts:
        if isinstance(part, bytes):
            out.write(part)
        else:
            writer.blob(part, content)
    out.flush()


class _Parts:
    """Collects layout parts, merging adjacent literal bytes into one write."""

    def __init__(self) -> None:
        self._parts: list[bytes | BlobPart] = []
        self._pending = bytearray()
        self._size = 0

    def add(self, part: bytes | BlobPart) -> None:
        if isinstance(part, bytes):
            self._pending += part
            self._size += len(part)
            return
        self._flush()
        self._parts.append(part)
        self._size += part.size

    @property
    def size(self) -> int:
        """The archive offset of the next part."""
        return self._size

    def file(self, name: str, data: bytes) -> None:
        self.add(_header(name, len(data), tarfile.REGTYPE, 0o644) + data + _padding(len(data)))

    def layout(self) -> ArchiveLayout:
        self._flush()
        return ArchiveLayout(parts=tuple(self._parts), size=self._size)

    def _flush(self) -> None:
        if self._pending:
            self._parts.append(bytes(self._pending))
            self._pending.clear()


def _padding(size: int) -> bytes:
    return bytes(-size % _BLOCK)


def _alignment_pad(offset: int) -> int:
    """Bytes of PAX record to put before a member header at ``offset`` so that the
    member's data starts on an :data:`_ALIGN` boundary (0: it already does).

    A PAX header costs one block plus its records, so a gap of one block is widened by
    a whole alignment unit.
    """
    gap = -(offset + _BLOCK) % _ALIGN
    if gap == 0:
        return 0
    if gap == _BLOCK:
        gap += _ALIGN
    return gap - _BLOCK  # the records, after the PAX header's own block


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _blob_path(digest: str) -> str:
    return f"blobs/sha256/{hex_of(digest)}"


def _tagged(ref: Reference) -> bool:
    return bool(ref.tag) and not ref.digest


def _index(
    images: Sequence[ArchiveImage], refs: list[list[Reference]], sizes: dict[Digest, int]
) -> bytes:
    descriptors = []
    for image, names in zip(images, refs, strict=True):
        annotations: list[dict[str, str]] = []
        for ref in names:
            note = {mediatypes.ANNOTATION_IMAGE_NAME: str(ref)}
            if _tagged(ref):
                note[mediatypes.ANNOTATION_REF_NAME] = ref.tag
            annotations.append(note)
        for note in annotations or [{}]:
            descriptors.append(
                Descriptor(
                    media_type=image.manifest.media_type,
                    digest=image.manifest_digest,
                    size=sizes[image.manifest_digest],
                    annotations=note,
                )
            )
    return Index(manifests=tuple(descriptors)).to_bytes()


def _docker_manifest(images: Sequence[ArchiveImage], refs: list[list[Reference]]) -> bytes:
    entries = []
    for image, names in zip(images, refs, strict=True):
        tags = list(dict.fromkeys(ref.familiar() for ref in names if _tagged(ref)))
        entries.append(
            {
                "Config": _blob_path(image.config_digest),
                "RepoTags": tags or None,
                "Layers": [_blob_path(layer.digest) for layer in image.manifest.layers],
            }
        )
    return _dumps(entries)


def _repositories(
    images: Sequence[ArchiveImage], refs: list[list[Reference]]
) -> dict[str, dict[str, str]]:
    """Docker's legacy file; the top layer is named by the hex of its diff id (what Docker
    25+ calls the layer, since it saves layers uncompressed under that digest)."""
    out: dict[str, dict[str, str]] = {}
    for image, names in zip(images, refs, strict=True):
        if not image.diff_ids:
            continue
        for ref in names:
            if _tagged(ref):
                out.setdefault(ref.familiar_name, {})[ref.tag] = hex_of(image.diff_ids[-1])
    return out


def _fileno(stream: Any) -> int | None:
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None
    return fd if isinstance(fd, int) and fd >= 0 else None


class _BlobCopier:
    """Copies blob bodies to ``out``: by sendfile when it can, else through a buffer."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._out_fd = _fileno(out)
        self._buf = bytearray(_COPY_CHUNK)

    def blob(self, part: BlobPart, content: ContentStore) -> None:
        """Copy one committed blob of ``part.size`` bytes to ``out``."""
        size = part.size
        with content.open(part.digest) as src:
            src_fd = _fileno(src)
            done = 0
            if src_fd is not None and self._out_fd is not None:
                self._out.flush()
                done = self._sendfile(src_fd, size)
            if done < size:
                src.seek(done)
                done += self._copy(src, size - done)
        if done != size:
            raise DockyardError(f"content {part.digest} is shorter than its recorded size {size}")

    def _sendfile(self, src_fd: int, size: int) -> int:
        """Bytes sent; fewer than ``size`` when sendfile cannot serve this pair of files."""
        assert self._out_fd is not None
        done = 0
        while done < size:
            try:
                sent = os.sendfile(self._out_fd, src_fd, done, min(size - done, _SENDFILE_CHUNK))
            except BlockingIOError:
                select.select([], [self._out_fd], [])
                continue
            except OSError:
                break  # EINVAL/ENOSYS: not for this fd pair; the buffered copy goes on
            if sent == 0:
                break
            done += sent
        return done

    def _copy(self, src: BinaryIO, size: int) -> int:
        view = memoryview(self._buf)
        done = 0
        readinto = getattr(src, "readinto", None)
        while done < size:
            want = min(size - done, _COPY_CHUNK)
            if readinto is not None:
                n = int(readinto(view[:want]) or 0)
                chunk: bytes | memoryview = view[:n]
            else:
                chunk = src.read(want)
                n = len(chunk)
            if n == 0:
                break
            self._out.write(chunk)
            done += n
        return done


def _header(name: str, size: int, typ: bytes, mode: int, pad: int = 0) -> bytes:
    """A member header; ``pad`` > 0 puts a PAX ``comment`` record of exactly that many
    bytes (a multiple of the block size) in front, which readers ignore."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.type = typ
    info.mode = mode
    info.mtime = 0
    if pad:
        info.pax_headers = {"comment": "0" * _comment_length(pad)}
    out = info.tobuf(tarfile.PAX_FORMAT, encoding="utf-8", errors="surrogateescape")
    assert not pad or len(out) == pad + 2 * _BLOCK, "PAX padding of the wrong size"
    return out


def _comment_length(record: int) -> int:
    """The value length making the record ``<len> comment=<value><newline>`` ``record`` bytes."""
    for digits in range(1, 8):
        value = record - digits - len(" comment=\n")
        if len(str(record)) == digits and value >= 0:
            return value
    raise ValueError(f"no PAX comment record of {record} bytes")
