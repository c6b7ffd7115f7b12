"""Paths inside a container's root filesystem, resolved as the container sees them.

Two steps keep every access inside the rootfs, even while a running container changes it:

1. :func:`resolve` turns a container path into a path relative to the rootfs with
   :func:`~dockyard.util.securejoin.secure_join` (symlinks are followed *as the
   container would*: ``/escape -> /`` leads to the container's root, never the host's);
2. :func:`open_dir` opens that relative path from a file descriptor of the rootfs one
   component at a time with ``O_NOFOLLOW``, so a directory the container swapped for a
   symlink between the two steps makes the open fail instead of leaving the rootfs.

Everything after that works on directory file descriptors (``dir_fd=``), never on host
path strings built from container content.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
from pathlib import Path

from dockyard.errors import InvalidParameter
from dockyard.util.securejoin import secure_join

__all__ = ["Resolved", "clean_container_path", "open_dir", "resolve"]

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def clean_container_path(path: str) -> str:
    """Go's ``filepath.Join("/", path)`` with a trailing ``/`` or ``/.`` kept (Docker's
    ``PreserveTrailingDotOrSeparator``): ``d/`` means "the directory d", ``d/.`` its content."""
    clean = posixpath.normpath("/" + path)
    if clean.startswith("//"):
        clean = "/" + clean.lstrip("/")
    if path.endswith("/.") and clean != "/":
        return clean + "/."
    if path.endswith("/") and clean != "/":
        return clean + "/"
    return clean


class Resolved:
    """A container path resolved below ``root``: ``parent`` (relative, "" = the root) holds
    ``base`` ("" when the path names the root or a directory through a trailing ``/``)."""

    __slots__ = ("base", "parent")

    def __init__(self, parent: str, base: str) -> None:
        self.parent = parent
        self.base = base

    @property
    def rel(self) -> str:
        if not self.base or self.base == ".":
            return self.parent
        return posixpath.join(self.parent, self.base) if self.parent else self.base

    @property
    def container_path(self) -> str:
        return "/" + self.rel


def _relative(root: Path, resolved: Path) -> str:
    rel = os.path.relpath(resolved, os.path.realpath(root))
    if rel == ".":
        return ""
    if rel == ".." or rel.startswith("../"):  # secure_join never does this; be sure
        raise InvalidParameter(f"path {resolved} resolves outside the container")
    return rel


def resolve(root: Path, abs_path: str, *, follow_last: bool) -> Resolved:
    """Resolve ``abs_path`` (from :func:`clean_container_path`) below ``root``.

    With ``follow_last=False`` only the directory part is resolved (Docker's
    ``ResolvePath``: a symlink named last is reported, not followed); with True the last
    component is followed too (``GetResourcePath``, used for extraction points).
    """
    if follow_last:
        rel = _relative(root, secure_join(root, abs_path))
        return Resolved(posixpath.dirname(rel), posixpath.basename(rel))
    dir_part, base = posixpath.split(abs_path)
    parent = _relative(root, secure_join(root, dir_part or "/"))
    return Resolved(parent, base)


def open_dir(root_fd: int, rel: str, *, create: bool = False, mode: int = 0o755) -> int:
    """Open directory ``rel`` below ``root_fd`` without following any symlink.

    Missing components are made (``mode``) when ``create`` is set. FileNotFoundError and
    NotADirectoryError pass through; a symlink on the way is ELOOP/ENOTDIR (an OSError).
    """
    fd = os.dup(root_fd)
    try:
        for part in rel.split("/") if rel else ():
            if part in ("", "."):
                continue
            if part == "..":
                raise OSError(errno.EINVAL, f"unexpected '..' in resolved path {rel!r}")
            try:
                nxt = os.open(part, DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, mode, dir_fd=fd)
                nxt = os.open(part, DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd
