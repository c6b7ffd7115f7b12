"""Compression detection and streaming (de)compression of layers."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Callable

import pytest

from dockyard.archive.compression import detect, gzip_writer, open_decompressed
from dockyard.errors import InvalidParameter

DATA = b"layer bytes " * 50_000
ZSTD_FRAME = b"\x28\xb5\x2f\xfd\x04\x00\x01\x00\x00"


class Unpeekable(io.RawIOBase):
    """A pipe-like stream: read() only, no peek, no seek."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview | bytearray) -> int:  # type: ignore[override]
        return self._buf.readinto(b)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (gzip.compress(b"x"), "gzip"),
        (bz2.compress(b"x"), "bzip2"),
        (lzma.compress(b"x"), "xz"),
        (ZSTD_FRAME, "zstd"),
        (b"ustar-ish plain bytes", ""),
        (b"", ""),
    ],
)
def test_detect_names_compression_by_magic(data: bytes, kind: str) -> None:
    assert detect(data[:8]) == kind


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_open_decompressed_yields_original_bytes(compress: Callable[[bytes], bytes]) -> None:
    with open_decompressed(io.BytesIO(compress(DATA))) as fh:
        assert fh.read() == DATA


def test_uncompressed_stream_passes_through() -> None:
    assert open_decompressed(io.BytesIO(DATA)).read() == DATA


def test_unpeekable_stream_keeps_the_sniffed_bytes() -> None:
    assert open_decompressed(Unpeekable(gzip.compress(DATA))).read() == DATA  # type: ignore[arg-type]
    assert open_decompressed(Unpeekable(DATA)).read() == DATA  # type: ignore[arg-type]


def test_zstd_layer_is_rejected_without_zstandard() -> None:
    with pytest.raises(InvalidParameter, match="zstd layers are not supported yet"):
        open_decompressed(io.BytesIO(ZSTD_FRAME))


def test_gzip_writer_output_is_standard_gzip() -> None:
    out = io.BytesIO()
    with gzip_writer(out) as gz:
        gz.write(DATA)
    assert gzip.decompress(out.getvalue()) == DATA


def test_gzip_writer_is_deterministic() -> None:
    outs = []
    for _ in range(2):
        out = io.BytesIO()
        with gzip_writer(out) as gz:
            gz.write(DATA)
        outs.append(out.getvalue())
    assert outs[0] == outs[1]


def test_gzip_writer_leaves_output_open() -> None:
    out = io.BytesIO()
    with gzip_writer(out) as gz:
        gz.write(b"x")
    assert not out.closed
