"""Layer compression: detect by magic, decompress as a stream, gzip fast with ISA-L.

Why ISA-L (``isal.igzip``): gzip is most of the time spent in ``docker load``/``pull`` and
``save``/``push`` of big layers; igzip is several times faster than zlib at both ends and
keeps the same stream format. Writers use level 1: layers are compressed once and pulled
many times, but a local ``save`` benchmark is dominated by the compressor.
"""

from __future__ import annotations

import bz2
import importlib
import io
import lzma
from typing import BinaryIO, cast

from isal import igzip

from dockyard.errors import InvalidParameter

__all__ = ["detect", "gzip_writer", "open_decompressed"]

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b\x08", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
_HEAD = 6


def detect(head: bytes) -> str:
    """'gzip', 'zstd', 'bzip2', 'xz' by the first bytes of a stream, '' for anything else."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return ""


class _Prefixed(io.RawIOBase):
    """``head`` then the rest of ``stream``: puts back the bytes read to sniff the magic."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(b))
        b[: len(data)] = data
        return len(data)


def _sniff(stream: BinaryIO) -> tuple[str, BinaryIO]:
    peek = getattr(stream, "peek", None)
    if peek is not None:
        head = bytes(peek(_HEAD))[:_HEAD]
        if len(head) >= _HEAD or not head:
            return detect(head), stream
    head = stream.read(_HEAD)
    reader = io.BufferedReader(_Prefixed(head, stream), buffer_size=1 << 20)
    return detect(head), cast(BinaryIO, reader)


def open_decompressed(stream: BinaryIO) -> BinaryIO:
    """A reader of the uncompressed bytes of ``stream`` (returned as is when uncompressed).

    Raises InvalidParameter for zstd unless the optional ``zstandard`` module is installed.
    """
    kind, stream = _sniff(stream)
    if kind == "gzip":
        return cast(BinaryIO, igzip.IGzipFile(fileobj=stream, mode="rb"))  # type: ignore[no-untyped-call]
    if kind == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(stream, "rb"))
    if kind == "xz":
        return cast(BinaryIO, lzma.LZMAFile(stream, "rb"))
    if kind == "zstd":
        try:
            zstandard = importlib.import_module("zstandard")
        except ImportError as err:
            raise InvalidParameter("zstd layers are not supported yet") from err
        return cast(BinaryIO, zstandard.ZstdDecompressor().stream_reader(stream))
    return stream


def gzip_writer(out: BinaryIO) -> BinaryIO:
    """A gzip compressor writing into ``out``; close it to flush the trailer (``out`` stays open).

    ``mtime=0`` keeps the output a pure function of the input, so a re-export of the same
    layer gets the same digest.
    """
    return cast(BinaryIO, igzip.IGzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0))  # type: ignore[no-untyped-call]
