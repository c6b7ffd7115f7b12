"""Layer tars built in memory, for tests of unpacking, snapshotters and image import.

Each :class:`Entry` is one tar member written exactly as given (names are not cleaned), so
tests can also build hostile layers (``../x``, symlinked parents, escaping hard links).
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Entry", "dir_", "hard", "layer", "members", "read_member", "reg", "sym"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One layer member: ``kind`` is a tarfile type byte."""

    name: str
    kind: bytes = tarfile.REGTYPE
    data: bytes = b""
    linkname: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: int = 1_700_000_000
    devmajor: int = 0
    devminor: int = 0
    pax: dict[str, str] = field(default_factory=dict)


def reg(name: str, data: bytes = b"", mode: int = 0o644, **kw: Any) -> Entry:
    return Entry(name, tarfile.REGTYPE, data, mode=mode, **kw)


def dir_(name: str, mode: int = 0o755, **kw: Any) -> Entry:
    return Entry(name, tarfile.DIRTYPE, mode=mode, **kw)


def sym(name: str, target: str) -> Entry:
    return Entry(name, tarfile.SYMTYPE, linkname=target, mode=0o777)


def hard(name: str, target: str) -> Entry:
    return Entry(name, tarfile.LNKTYPE, linkname=target)


def layer(*entries: Entry) -> io.BytesIO:
    """An uncompressed PAX layer tar holding ``entries`` in order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type = e.kind
            info.mode = e.mode
            info.uid, info.gid = e.uid, e.gid
            info.mtime = e.mtime
            info.linkname = e.linkname
            info.devmajor, info.devminor = e.devmajor, e.devminor
            info.pax_headers = dict(e.pax)
            info.size = len(e.data) if e.kind == tarfile.REGTYPE else 0
            tf.addfile(info, io.BytesIO(e.data) if info.size else None)
    buf.seek(0)
    return buf


def members(tar_bytes: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tf:
        return tf.getmembers()


def read_member(tar_bytes: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tf:
        f = tf.extractfile(name)
        assert f is not None
        return f.read()
