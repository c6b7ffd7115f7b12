"""Scan a layer while it streams past: compression, uncompressed digest, unsafe entries.

Every regular member of an image archive may turn out to be a layer (manifest.json usually
comes last), so each one gets a :class:`LayerProbe`. The probe never raises: it records the
first problem in ``error`` and stops looking; the archive reader raises it only if the
member is referenced as a layer.

What makes a layer unsafe to unpack (rejected, so the unpacker never meets it):

* a name or hardlink target with a ``..`` component (``/`` is the layer root, so a leading
  ``/`` is harmless and stripped, as Docker does);
* an entry that goes through a symlink of the same layer (``x -> /etc`` then ``x/passwd``),
  a hardlink whose target goes through one, or a non-symlink entry that replaces a symlink
  (a naive extractor would open the symlink and write through it);
* an entry claiming more data than the layer holds, or more than 1 TiB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from isal import igzip_lib

from dockyard.image.archive_tarstream import (
    HARDLINK,
    SYMLINK,
    Entry,
    EntrySink,
    TarError,
    TarParser,
)
from dockyard.oci.digest import Digest, Hasher

__all__ = ["Gunzip", "LayerProbe"]

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_OUT_CHUNK = 4 << 20  # bound the output of one decompress call (gzip bombs)
# isal's stub declares IsalError as an instance; at runtime it is an Exception subclass.
_GZIP_ERRORS: tuple[type[Exception], ...] = (cast(type[Exception], igzip_lib.IsalError), EOFError)
_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"


class Gunzip:
    """Streaming gzip decoding (multi-member, trailing zero padding tolerated) via isal.

    Raises ValueError on corrupt input; :meth:`close` raises it for a truncated stream.
    """

    def __init__(self, emit: Callable[[bytes], None]) -> None:
        self._emit = emit
        self._d = igzip_lib.IgzipDecompressor(flag=igzip_lib.DECOMP_GZIP)
        self._started = False

    def feed(self, data: bytes | memoryview) -> None:
        try:
            self._feed(data)
        except _GZIP_ERRORS as err:
            raise ValueError(f"corrupt gzip stream: {err}") from err

    def _feed(self, data: bytes | memoryview) -> None:
        while len(data):
            if self._d.eof:
                if not any(data):
                    return  # zero padding after the last member
                self._d = igzip_lib.IgzipDecompressor(flag=igzip_lib.DECOMP_GZIP)
            self._started = True
            self._emit(self._d.decompress(data, _OUT_CHUNK))
            while not self._d.needs_input and not self._d.eof:
                self._emit(self._d.decompress(b"", _OUT_CHUNK))
            data = self._d.unused_data if self._d.eof else b""

    def close(self) -> None:
        if self._started and not self._d.eof:
            raise ValueError("gzip stream is truncated")


def _components(path: str) -> list[str]:
    """Split a layer path relative to the layer root; ValueError on any ``..``."""
    parts = [p for p in path.split("/") if p and p != "."]
    if ".." in parts:
        raise ValueError(f"entry {path!r} escapes the layer root with '..'")
    return parts


class _Rules:
    """The per-entry checks of one layer (see the module doc)."""

    def __init__(self) -> None:
        self._symlinks: set[str] = set()

    def check(self, entry: Entry) -> None:
        parts = _components(entry.name)
        path = "/".join(parts)
        self._check_no_symlink_on_way(parts, entry.name)
        if not parts:
            return  # the root directory itself ("./")
        base = parts[-1]
        if base.startswith(_WHITEOUT):
            parent = "/".join(parts[:-1])
            if base == _OPAQUE:
                self._forget_under(parent)
            else:
                gone = "/".join([*parts[:-1], base[len(_WHITEOUT) :]])
                self._symlinks.discard(gone)
                self._forget_under(gone)
            return
        if entry.type == SYMLINK:
            self._symlinks.add(path)
        elif path in self._symlinks:
            raise ValueError(f"entry {entry.name!r} replaces a symlink of the same layer")
        if entry.type == HARDLINK:
            try:
                target = _components(entry.linkname)
            except ValueError as err:
                raise ValueError(
                    f"hardlink {entry.name!r} points outside the layer ({entry.linkname!r})"
                ) from err
            if not target:
                raise ValueError(f"hardlink {entry.name!r} has an empty target")
            self._check_no_symlink_on_way(target, entry.name)

    def _check_no_symlink_on_way(self, parts: list[str], name: str) -> None:
        if not self._symlinks:
            return
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in self._symlinks:
                raise ValueError(
                    f"entry {name!r} goes through symlink {'/'.join(parts[:i])!r} of the same layer"
                )

    def _forget_under(self, parent: str) -> None:
        prefix = f"{parent}/" if parent else ""
        self._symlinks = {s for s in self._symlinks if not s.startswith(prefix)}


class LayerProbe:
    """Fed an archive member's raw bytes; tells whether it is a safe layer and its diff id.

    After :meth:`finish`: ``compression`` is '', 'gzip' or 'zstd'; ``error`` is None for a
    well-formed safe tar; ``uncompressed_digest`` is set for a gzip member (for a plain one
    the diff id is the member's own digest, which the caller already computes).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._head = bytearray()
        self._parser: TarParser | None = None
        self._gunzip: Gunzip | None = None
        self._hasher: Hasher | None = None
        self._rules = _Rules()
        self._started = False
        self.compression = ""
        self.error: str | None = None
        self.uncompressed_digest: Digest | None = None

    def feed(self, data: memoryview) -> None:
        if self.error is not None:
            return
        if not self._started:
            earlier = bytes(self._head)
            self._head += data[: 4 - len(self._head)]
            if len(self._head) < 4 and len(self._head) < self._size:
                return
            self._start(bytes(self._head))
            self._push(earlier)
        self._push(data)

    def finish(self) -> None:
        if not self._started:
            self._start(bytes(self._head))
            self._push(bytes(self._head))
        if self.error is not None or self._parser is None:
            return
        try:
            if self._gunzip is not None:
                self._gunzip.close()
            self._parser.close()
        except (TarError, ValueError) as err:
            self.error = str(err)
            return
        if self._hasher is not None:
            self.uncompressed_digest = self._hasher.digest()

    def _push(self, data: bytes | memoryview) -> None:
        if self.error is not None or not len(data):
            return
        try:
            if self._gunzip is not None:
                self._gunzip.feed(data)
            elif self._parser is not None:
                self._parser.feed(data)
        except (TarError, ValueError) as err:
            self.error = str(err)

    def _start(self, head: bytes) -> None:
        self._started = True
        if head.startswith(ZSTD_MAGIC):
            self.compression = "zstd"
            self.error = "zstd-compressed layers are not supported"
            return
        if head.startswith(GZIP_MAGIC):
            self.compression = "gzip"
            self._hasher = Hasher()
            self._parser = TarParser(self._on_entry)
            self._gunzip = Gunzip(self._on_plain)
        else:
            self._parser = TarParser(self._on_entry, limit=self._size)

    def _on_plain(self, data: bytes) -> None:
        assert self._hasher is not None and self._parser is not None
        self._hasher.update(data)
        self._parser.feed(data)

    def _on_entry(self, entry: Entry) -> EntrySink | None:
        self._rules.check(entry)
        return None
