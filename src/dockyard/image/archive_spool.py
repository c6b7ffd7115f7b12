"""Spool every member of an image archive while it streams past, committing nothing.

The archive is read once. Which members matter is only known at the end (manifest.json and
index.json usually come last), so each regular member is hashed, probed as a possible layer
(:class:`~dockyard.image.archive_layerscan.LayerProbe`) and kept: small ones and JSON
documents in memory, the rest in a content-store ingest. Nothing is visible in the store
until :meth:`Spool.commit`; :meth:`Spool.abort` drops every ingest.

Each byte is hashed once: a member spooled to an ingest whose writer offers its running
digest (:class:`DigestingWriter`, as the local store's does) takes its digest from there,
the same hash the commit checks the blob against.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import uuid
from typing import BinaryIO, Protocol, runtime_checkable

from dockyard.content.base import ContentStore, Writer
from dockyard.errors import DockyardError, InvalidParameter
from dockyard.image.archive_layerscan import GZIP_MAGIC, Gunzip, LayerProbe
from dockyard.image.archive_tarstream import (
    HARDLINK,
    REGULAR,
    SYMLINK,
    Entry,
    EntrySink,
    TarError,
    TarParser,
)
from dockyard.oci.digest import Digest, Hasher

__all__ = ["DigestingWriter", "Member", "ReadableWriter", "Spool", "member_path"]

log = logging.getLogger(__name__)

_READ_CHUNK = 1 << 20
_MEMORY_MEMBER = 4 << 20  # members up to this size stay in memory...
_MEMORY_JSON = 64 << 20  # ...and JSON documents (configs) up to this...
_MEMORY_TOTAL = 256 << 20  # ...while the archive's in-memory total stays under this
_MAX_LINK_HOPS = 16


@runtime_checkable
class DigestingWriter(Protocol):
    """A content writer that tells the digest of what it was given so far."""

    def digest(self) -> Digest: ...


@runtime_checkable
class ReadableWriter(Protocol):
    """A content writer whose bytes can be read back before the commit."""

    def reader(self) -> BinaryIO: ...


def member_path(name: str, what: str = "archive member") -> str:
    """An archive path made canonical; InvalidParameter if absolute or escaping with ``..``."""
    if name.startswith("/"):
        raise InvalidParameter(f"invalid archive: {what} {name!r} has an absolute path")
    parts = [p for p in name.split("/") if p and p != "."]
    if ".." in parts:
        raise InvalidParameter(f"invalid archive: {what} {name!r} escapes the archive with '..'")
    return "/".join(parts)


class Member:
    """One regular member: its digest, its bytes (in memory or an ingest), its layer probe."""

    __slots__ = ("_hasher", "_spool", "buffer", "digest", "name", "probe", "size", "writer")

    def __init__(self, spool: Spool, name: str, size: int) -> None:
        self._spool = spool
        self._hasher: Hasher | None = Hasher()  # None: the writer hashes
        self.name = name
        self.size = size
        self.digest = Digest("")
        self.buffer: bytearray | None = None
        self.writer: Writer | None = None
        self.probe = LayerProbe(size)

    def data(self, chunk: memoryview) -> None:
        if self.buffer is None and self.writer is None:
            self._spool.place(self, chunk)
            if isinstance(self.writer, DigestingWriter):
                self._hasher = None
        if self._hasher is not None:
            self._hasher.update(chunk)
        if self.buffer is not None:
            self.buffer += chunk
        else:
            assert self.writer is not None
            self.writer.write(chunk)
        self.probe.feed(chunk)

    def end(self) -> None:
        if self.buffer is None and self.writer is None:
            self.buffer = bytearray()  # an empty member
        if self._hasher is not None:
            self.digest = self._hasher.digest()
        else:
            assert isinstance(self.writer, DigestingWriter)
            self.digest = self.writer.digest()
        self.probe.finish()

    def bytes(self) -> bytes | None:
        """The content when kept in memory (always so for JSON documents up to 64 MiB)."""
        return bytes(self.buffer) if self.buffer is not None else None

    def open(self) -> BinaryIO | None:
        """A reader of the spooled bytes, while still uncommitted; None if the ingest's
        writer cannot read back (the caller then waits for the committed blob)."""
        if self.buffer is not None:
            return io.BytesIO(self.buffer)
        if isinstance(self.writer, ReadableWriter):
            return self.writer.reader()
        return None


class Spool:
    """The members of one archive being loaded into ``content`` (see module doc)."""

    def __init__(self, content: ContentStore) -> None:
        self._content = content
        self._prefix = f"archive-load-{uuid.uuid4().hex}"
        self._seq = 0
        self._in_memory = 0
        self.members: dict[str, Member] = {}
        self._links: dict[str, str] = {}  # member path -> the path it links to

    def read(self, stream: BinaryIO) -> None:
        """Spool the whole (optionally gzip-compressed) tar; InvalidParameter if malformed."""
        buf = bytearray(_READ_CHUNK)
        view = memoryview(buf)
        readinto = getattr(stream, "readinto", None)

        def read() -> int:
            if readinto is not None:
                return int(readinto(buf) or 0)
            data = stream.read(_READ_CHUNK)
            buf[: len(data)] = data
            return len(data)

        first = read()
        while 0 < first < len(GZIP_MAGIC):  # a pipe may hand out one byte
            more = stream.read(1)
            if not more:
                break
            buf[first : first + 1] = more
            first += 1
        if first == 0:
            raise InvalidParameter("invalid archive: the archive is empty")
        gunzip: Gunzip | None = None
        if bytes(view[:2]) == GZIP_MAGIC:
            parser = TarParser(self._on_entry)
            gunzip = Gunzip(parser.feed)
            feed = gunzip.feed
        else:
            remaining = _remaining_length(stream)
            parser = TarParser(self._on_entry, None if remaining is None else remaining + first)
            feed = parser.feed
        try:
            n = first
            while n:
                feed(view[:n])
                n = read()
            if gunzip is not None:
                gunzip.close()
            parser.close()
        except (TarError, ValueError) as err:
            raise InvalidParameter(f"invalid archive: {err}") from err
        if not self.members:
            raise InvalidParameter("invalid archive: it holds no files")

    def get(self, path: str) -> Member | None:
        """The member at ``path``, following links between members."""
        for _ in range(_MAX_LINK_HOPS):
            member = self.members.get(path)
            if member is not None:
                return member
            target = self._links.get(path)
            if target is None:
                return None
            path = target
        raise InvalidParameter(f"invalid archive: too many links resolving {path!r}")

    def place(self, member: Member, first: memoryview) -> None:
        """Decide where a member's bytes go, on its first chunk."""
        json_like = bytes(first[:1]) in (b"{", b"[")
        fits = member.size <= (_MEMORY_JSON if json_like else _MEMORY_MEMBER)
        if fits and self._in_memory + member.size <= _MEMORY_TOTAL:
            self._in_memory += member.size
            member.buffer = bytearray()
        else:
            member.writer = self._content.writer(self._next_ref())

    def commit(self, member: Member) -> Digest:
        """Make the member's bytes a committed blob; its ingest is consumed."""
        if member.writer is None:
            return self.commit_bytes(bytes(member.buffer or b""), member.digest)
        writer, member.writer = member.writer, None
        try:
            return writer.commit(member.size, member.digest)
        except BaseException:
            with contextlib.suppress(DockyardError, OSError):
                writer.abort()
            raise

    def commit_bytes(self, data: bytes, digest: Digest) -> Digest:
        writer = self._content.writer(self._next_ref())
        try:
            writer.write(data)
            return writer.commit(len(data), digest)
        except BaseException:
            with contextlib.suppress(DockyardError, OSError):
                writer.abort()
            raise

    def abort(self) -> None:
        """Drop every ingest still open; the store is left as it was before the spool."""
        for member in self.members.values():
            self._drop(member)

    def _drop(self, member: Member) -> None:
        writer, member.writer = member.writer, None
        if writer is not None:
            try:
                writer.abort()
            except (DockyardError, OSError) as err:
                log.warning("could not abort ingest of archive member %s: %s", member.name, err)

    def _next_ref(self) -> str:
        self._seq += 1
        return f"{self._prefix}-{self._seq}"

    def _on_entry(self, entry: Entry) -> EntrySink | None:
        path = member_path(entry.name)
        if entry.type in (SYMLINK, HARDLINK):
            self._links[path] = _link_target(path, entry)
            return None
        if entry.type not in REGULAR:
            return None  # directories and anything else carry no image data
        old = self.members.pop(path, None)
        if old is not None:  # a later member of the same name wins, as when extracting
            self._drop(old)
        self._links.pop(path, None)
        member = Member(self, path, entry.size)
        self.members[path] = member
        return member


def _link_target(path: str, entry: Entry) -> str:
    """Where a link member points, as an archive path; links may not leave the archive."""
    target = entry.linkname
    if target.startswith("/"):
        raise InvalidParameter(
            f"invalid archive: member {path!r} links to absolute path {target!r}"
        )
    if entry.type == SYMLINK:  # relative to the link's directory
        target = "/".join([*path.split("/")[:-1], target])
    parts: list[str] = []
    for part in target.split("/"):
        if part == "..":
            if not parts:
                raise InvalidParameter(
                    f"invalid archive: member {path!r} links outside the archive "
                    f"({entry.linkname!r})"
                )
            parts.pop()
        elif part and part != ".":
            parts.append(part)
    return "/".join(parts)


def _remaining_length(stream: BinaryIO) -> int | None:
    """Bytes left after the current position, when the stream is a seekable file."""
    try:
        if not stream.seekable():
            return None
        pos = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(pos)
    except (OSError, ValueError, AttributeError):
        return None
    return end - pos
