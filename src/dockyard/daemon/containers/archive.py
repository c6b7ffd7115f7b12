"""``docker cp``: stat a path in a container, read it as a tar, extract a tar into it.

Docker's semantics (daemon/archive.go of dockerd 20.10), checked against a real one:

* ``HEAD/GET /containers/{id}/archive?path=P`` resolves P's directory inside the container
  (symlinks followed as the container sees them) but not its last component: a symlink
  named last is reported with its fully resolved ``linkTarget`` and archived as a symlink.
  A trailing ``/`` (``/escape/``) resolves the symlink and archives the directory it
  leads to. Entries are renamed to start with ``basename(P)``.
* ``PUT`` follows the last component too; it must be a directory (``extraction point is
  not a directory``), see :mod:`.extract` for how members are written.
* A missing path is 404 ``Could not find the file P in container NAME``, where NAME is what
  the client called the container.

Every file is opened through directory file descriptors from the rootfs down with
``O_NOFOLLOW`` (:mod:`.fspath`): a path never leaves the container, even if a running
container replaces a directory by a symlink while its files are being read.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import posixpath
import stat
import tarfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

from dockyard.apitypes.container_fs import PathStat, PutArchiveOptions, go_file_mode
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.extract import ExtractOptions, extract_into
from dockyard.daemon.containers.fsaccess import open_rootfs
from dockyard.daemon.containers.fspath import (
    DIR_FLAGS,
    Resolved,
    clean_container_path,
    open_dir,
    resolve,
)
from dockyard.errors import Forbidden, InvalidParameter, NotFound
from dockyard.runtime.usergroup import resolve_user

__all__ = [
    "ArchiveStream",
    "SourcePlan",
    "extract_archive",
    "file_not_found",
    "open_archive",
    "path_stat",
    "stat_path",
    "write_archive",
]

_CHUNK = 1 << 20
_OVERLAY_XATTR = "trusted.overlay."


def file_not_found(path: str, container: str) -> NotFound:
    return NotFound(f"Could not find the file {path} in container {container}")


def require_path(path: str) -> None:
    if not path:
        raise InvalidParameter("bad parameter: pathcannot be empty")  # sic, dockerd's text


def _go_base(abs_path: str) -> str:
    trimmed = abs_path.rstrip("/")
    return posixpath.basename(trimmed) if trimmed else "/"


@dataclass(frozen=True, slots=True)
class ArchiveStream:
    """What a route needs to answer ``GET archive``: the header's stat and the tar writer."""

    stat: PathStat
    write: Callable[[BinaryIO], None]


@dataclass(frozen=True, slots=True)
class SourcePlan:
    """What ``GET archive`` will write: ``source`` below the rootfs, renamed ``rebase``."""

    stat: PathStat
    source: Resolved
    rebase: str


def _lstat(root_fd: int, res: Resolved) -> os.stat_result:
    if not res.base or res.base == ".":
        fd = open_dir(root_fd, res.rel)
        try:
            return os.fstat(fd)
        finally:
            os.close(fd)
    fd = open_dir(root_fd, res.parent)
    try:
        return os.lstat(res.base, dir_fd=fd)
    finally:
        os.close(fd)


def stat_path(root: Path, root_fd: int, path: str, container: str) -> SourcePlan:
    """Docker's ``StatPath`` of ``path`` and how to archive it (NotFound when missing)."""
    require_path(path)
    abs_path = clean_container_path(path)
    res = resolve(root, abs_path, follow_last=False)
    try:
        st = _lstat(root_fd, res)
    except (FileNotFoundError, NotADirectoryError) as err:
        raise file_not_found(path, container) from err
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise file_not_found(path, container) from err
        raise
    link_target = ""
    if stat.S_ISLNK(st.st_mode):
        link_target = resolve(root, abs_path, follow_last=True).container_path
    name = _go_base(abs_path)
    path_stat = PathStat(
        name=name,
        size=st.st_size,
        mode=go_file_mode(st.st_mode),
        mtime_ns=st.st_mtime_ns,
        link_target=link_target,
    )
    return SourcePlan(stat=path_stat, source=res, rebase=name)


class _TarOut:
    """Tar entries from directory file descriptors; hard links kept, sockets skipped."""

    def __init__(self, out: BinaryIO) -> None:
        self.tar = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.links: dict[tuple[int, int], str] = {}

    def info(self, name: str, st: os.stat_result) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.mode = stat.S_IMODE(st.st_mode)
        info.uid, info.gid = st.st_uid, st.st_gid
        info.mtime = st.st_mtime
        info.uname = info.gname = ""
        return info

    def entry(self, dir_fd: int, base: str, name: str) -> None:
        """Archive ``base`` in ``dir_fd`` as ``name``, a directory with all it holds."""
        st = os.lstat(base, dir_fd=dir_fd) if base else os.fstat(dir_fd)
        info = self.info(name, st)
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            fd = os.open(base, DIR_FLAGS, dir_fd=dir_fd) if base else os.dup(dir_fd)
            try:
                info.type = tarfile.DIRTYPE
                _add_xattrs(info, fd)
                self.tar.addfile(info)
                for child in sorted(os.listdir(fd)):
                    self.entry(fd, child, f"{name.rstrip('/')}/{child}")
            finally:
                os.close(fd)
        elif stat.S_ISREG(mode):
            key = (st.st_dev, st.st_ino)
            first = self.links.get(key) if st.st_nlink > 1 else None
            if first is not None:
                info.type, info.linkname = tarfile.LNKTYPE, first
                self.tar.addfile(info)
                return
            if st.st_nlink > 1:
                self.links[key] = name
            fd = os.open(base, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
            with open(fd, "rb", buffering=_CHUNK) as fh:
                info.size = os.fstat(fd).st_size
                _add_xattrs(info, fd)
                self.tar.addfile(info, fh)
        elif stat.S_ISLNK(mode):
            info.type = tarfile.SYMTYPE
            info.linkname = os.readlink(base, dir_fd=dir_fd)
            self.tar.addfile(info)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            info.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
            self.tar.addfile(info)
        elif stat.S_ISFIFO(mode):
            info.type = tarfile.FIFOTYPE
            self.tar.addfile(info)

    def close(self) -> None:
        self.tar.close()


def _add_xattrs(info: tarfile.TarInfo, fd: int) -> None:
    try:
        names = os.listxattr(fd)
    except OSError:
        return
    headers = dict(info.pax_headers)
    for key in sorted(names):
        if key.startswith(_OVERLAY_XATTR):
            continue
        with contextlib.suppress(OSError):
            value = os.getxattr(fd, key)
            headers["SCHILY.xattr." + key] = value.decode("utf-8", "surrogateescape")
    info.pax_headers = headers


def write_archive(root_fd: int, plan: SourcePlan, out: BinaryIO) -> None:
    """Write the tar of ``plan`` (from :func:`stat_path`) to ``out``."""
    tar = _TarOut(out)
    src = plan.source
    if not src.base or src.base == ".":
        parent_fd, base = open_dir(root_fd, src.rel), ""
    else:
        parent_fd, base = open_dir(root_fd, src.parent), src.base
    try:
        tar.entry(parent_fd, base, plan.rebase)
    finally:
        os.close(parent_fd)
    tar.close()


def _read_text(root: Path, root_fd: int, path: str) -> str:
    """A small text file of the container ("" when missing), never leaving its rootfs."""
    res = resolve(root, path, follow_last=True)
    try:
        dir_fd = open_dir(root_fd, res.parent)
    except OSError:
        return ""
    try:
        fd = os.open(res.base, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return ""
    finally:
        os.close(dir_fd)
    with open(fd, "rb") as fh:
        return fh.read(1 << 20).decode("utf-8", "replace")


def copy_owner(root: Path, root_fd: int, user: str) -> tuple[int, int] | None:
    """``copyUIDGID``: the container user's uid/gid (from its own passwd/group), or None
    to keep the tar's owners when the container runs as the image default (root)."""
    if not user:
        return None
    passwd = _read_text(root, root_fd, "/etc/passwd")
    group = _read_text(root, root_fd, "/etc/group")
    resolved = resolve_user(user, passwd, group)
    return resolved.uid, resolved.gid


def extraction_dir(root: Path, root_fd: int, path: str, container: str) -> str:
    """The directory ``PUT archive`` extracts into, resolved inside the container."""
    require_path(path)
    res = resolve(root, clean_container_path(path), follow_last=True)
    try:
        st = _lstat(root_fd, res)
    except (FileNotFoundError, NotADirectoryError) as err:
        raise file_not_found(path, container) from err
    if not stat.S_ISDIR(st.st_mode):
        raise InvalidParameter("extraction point is not a directory")
    return res.container_path


Produce = Callable[[BinaryIO], None]


async def path_stat(ctx: ContainerContext, ref: str, path: str) -> PathStat:
    """``HEAD /containers/{id}/archive``."""
    async with open_rootfs(ctx, ref) as fs:
        plan = await asyncio.to_thread(stat_path, fs.path, fs.fd, path, ref)
    return plan.stat


@asynccontextmanager
async def open_archive(ctx: ContainerContext, ref: str, path: str) -> AsyncIterator[ArchiveStream]:
    """``GET /containers/{id}/archive``: the stat, and a writer of the tar to call (in a
    thread) inside the ``async with``, while the rootfs is held."""
    async with open_rootfs(ctx, ref) as fs:
        plan = await asyncio.to_thread(stat_path, fs.path, fs.fd, path, ref)
        c = fs.container
        ctx.emit("archive-path", c.id, image=c.image, name=c.name)
        yield ArchiveStream(plan.stat, partial(write_archive, fs.fd, plan))


async def extract_archive(
    ctx: ContainerContext, ref: str, body: BinaryIO, options: PutArchiveOptions
) -> None:
    """``PUT /containers/{id}/archive``."""
    async with open_rootfs(ctx, ref) as fs:
        c = fs.container

        def run() -> None:
            dest = extraction_dir(fs.path, fs.fd, options.path, ref)
            if c.host_config.readonly_rootfs:
                raise Forbidden("container rootfs is marked read-only")
            owner = copy_owner(fs.path, fs.fd, c.config.user) if options.copy_uid_gid else None
            opts = ExtractOptions(options.no_overwrite_dir_non_dir, owner)
            extract_into(fs.path, fs.fd, dest, body, opts)

        await asyncio.to_thread(run)
    ctx.emit("extract-to-dir", c.id, image=c.image, name=c.name)
