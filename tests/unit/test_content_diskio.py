"""diskio: aligned appends write exactly what plain appends would."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from dockyard.content.diskio import ALIGN, AlignedAppender


def test_appender_writes_every_byte_in_order_whatever_the_slicing(tmp_path: Path) -> None:
    data = os.urandom(3 * ALIGN + 12345)
    rng = random.Random(7)
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT, 0o600)
    out = AlignedAppender(fd, 0)
    pos = 0
    while pos < len(data):
        n = rng.choice([1, 511, 4096, 40_000, ALIGN + 3])
        out.write(data[pos : pos + n])
        pos += n
    out.flush()
    os.close(fd)
    assert (tmp_path / "f").read_bytes() == data


def test_appender_writes_start_on_alignment_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: list[int] = []
    real = os.writev

    def recording(fd: int, buffers: list[memoryview]) -> int:
        starts.append(os.lseek(fd, 0, os.SEEK_CUR))
        return real(fd, buffers)

    monkeypatch.setattr(os, "writev", recording)
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT, 0o600)
    out = AlignedAppender(fd, 0)
    out.write(b"x" * 2560)  # an archive member's data starting mid-block
    for _ in range(5):
        out.write(b"y" * (1 << 20))
    out.flush()
    os.close(fd)
    assert all(start % ALIGN == 0 for start in starts)
    assert (tmp_path / "f").stat().st_size == 2560 + 5 * (1 << 20)


def test_appender_resumed_mid_file_realigns(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a" * 1000)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    out = AlignedAppender(fd, 1000)
    out.write(b"b" * (2 * ALIGN))
    assert out.flushed == 2 * ALIGN
    out.flush()
    os.close(fd)
    assert path.read_bytes() == b"a" * 1000 + b"b" * (2 * ALIGN)
