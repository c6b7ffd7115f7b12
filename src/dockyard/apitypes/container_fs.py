"""Wire shapes of the container filesystem verbs: cp's path stat header and ``changes``.

``X-Docker-Container-Path-Stat`` is standard base64 of compact JSON in Go's field order
``{"name","size","mode","mtime","linkTarget"}``, where ``mode`` is a Go ``os.FileMode``
(permission bits plus type bits such as ``ModeDir = 1<<31``, ``ModeSymlink = 1<<27``) and
``mtime`` is Go's RFC 3339 with trailing zeros of the fraction trimmed. ``GET /changes``
answers ``[{"Path","Kind"}]`` (0 modified, 1 added, 2 deleted) or ``null`` for none, as
dockerd 20.10 does.
"""

from __future__ import annotations

import base64
import datetime as _dt
import enum
import json
import stat as _stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dockyard.apitypes.container_config import ContainerConfig

__all__ = [
    "PATH_STAT_HEADER",
    "Change",
    "ChangeKind",
    "CommitOptions",
    "PathStat",
    "PutArchiveOptions",
    "changes_to_wire",
    "go_file_mode",
    "go_time",
    "path_stat_header",
]

PATH_STAT_HEADER = "X-Docker-Container-Path-Stat"

MODE_DIR = 1 << 31
MODE_SYMLINK = 1 << 27
MODE_DEVICE = 1 << 26
MODE_NAMED_PIPE = 1 << 25
MODE_SOCKET = 1 << 24
MODE_SETUID = 1 << 23
MODE_SETGID = 1 << 22
MODE_CHAR_DEVICE = 1 << 21
MODE_STICKY = 1 << 20

_TYPE_BITS = {
    _stat.S_IFDIR: MODE_DIR,
    _stat.S_IFLNK: MODE_SYMLINK,
    _stat.S_IFBLK: MODE_DEVICE,
    _stat.S_IFCHR: MODE_DEVICE | MODE_CHAR_DEVICE,
    _stat.S_IFIFO: MODE_NAMED_PIPE,
    _stat.S_IFSOCK: MODE_SOCKET,
}


def go_file_mode(st_mode: int) -> int:
    """A Unix ``st_mode`` as Go's ``os.FileMode`` (what ``Lstat().Mode()`` returns)."""
    mode = st_mode & 0o777 | _TYPE_BITS.get(_stat.S_IFMT(st_mode), 0)
    if st_mode & _stat.S_ISUID:
        mode |= MODE_SETUID
    if st_mode & _stat.S_ISGID:
        mode |= MODE_SETGID
    if st_mode & _stat.S_ISVTX:
        mode |= MODE_STICKY
    return mode


def go_time(ns: int) -> str:
    """Go's ``time.Time`` JSON (RFC 3339, nanoseconds, zeros trimmed) of a UTC ns stamp."""
    secs, nanos = divmod(ns, 1_000_000_000)
    base = _dt.datetime.fromtimestamp(secs, tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    return f"{base}{fraction}Z"


@dataclass(frozen=True, slots=True)
class PathStat:
    """What ``HEAD /containers/{id}/archive`` reports about one path in a container."""

    name: str
    size: int
    mode: int
    mtime_ns: int
    link_target: str = ""

    @property
    def is_dir(self) -> bool:
        return bool(self.mode & MODE_DIR)

    def to_wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "mode": self.mode,
            "mtime": go_time(self.mtime_ns),
            "linkTarget": self.link_target,
        }


def path_stat_header(stat: PathStat) -> str:
    """The value of ``X-Docker-Container-Path-Stat``."""
    doc = json.dumps(stat.to_wire(), separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(doc.encode()).decode("ascii")


class ChangeKind(enum.IntEnum):
    MODIFIED = 0
    ADDED = 1
    DELETED = 2


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of ``docker diff``: an absolute path in the container and what happened."""

    path: str
    kind: ChangeKind


@dataclass(frozen=True, slots=True)
class PutArchiveOptions:
    """The query of ``PUT /containers/{id}/archive``."""

    path: str
    no_overwrite_dir_non_dir: bool = False
    copy_uid_gid: bool = False


@dataclass(frozen=True, slots=True)
class CommitOptions:
    """The query (and optional Config body) of ``POST /commit``."""

    container: str
    repo: str = ""
    tag: str = ""
    comment: str = ""
    author: str = ""
    pause: bool = True
    changes: tuple[str, ...] = ()
    config: ContainerConfig | None = None


def changes_to_wire(changes: Sequence[Change]) -> list[dict[str, Any]] | None:
    if not changes:
        return None
    return [{"Path": c.path, "Kind": int(c.kind)} for c in changes]
