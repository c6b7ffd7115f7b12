"""Extract a ``docker cp`` tar into a directory of a container (``PUT .../archive``).

Docker's rules (pkg/archive ``Unpack`` run chrooted in the container, dockerd 20.10):

* a member name is cleaned and joined to the extraction directory D (``/abs`` lands at
  ``D/abs``); one that climbs out of D (``../x``) is refused:
  ``"../x" is outside of "D"``;
* a symlink whose target, joined to its directory, leaves D is refused (absolute targets
  are joined, so ``-> /etc`` is allowed: it means the container's /etc); a hard link
  must name a file inside D;
* directories on the way are resolved inside the container (its symlinks followed as
  the container sees them; a missing one is made 0755); ``.wh.*`` names are plain files
  (cp is not a layer);
* ``noOverwriteDirNonDir`` refuses replacing a directory by a non-directory and back;
  otherwise what exists is replaced (a directory over a directory is merged);
* owners come from the tar, or with ``copyUIDGID`` all become the container's user.

Refusals are InvalidParameter (dockerd answers 500 with the same text). What was
extracted before a refused member stays, as with dockerd.

Safety: nothing here opens a host path built from container content. Each member's
directory is opened from the rootfs file descriptor without following symlinks
(:func:`~.fspath.open_dir`), and the member is created with ``O_EXCL|O_NOFOLLOW`` in it;
owner, mode, times and xattrs are set through a descriptor of what was created.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import posixpath
import shutil
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dockyard.daemon.containers.fspath import DIR_FLAGS, open_dir, resolve
from dockyard.errors import InvalidParameter

__all__ = ["ExtractOptions", "extract_into"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_XATTR_PAX = "SCHILY.xattr."
_OVERLAY_XATTR = "trusted.overlay."


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """``owner`` replaces every member's uid/gid (``copyUIDGID``); None keeps the tar's."""

    no_overwrite_dir_non_dir: bool = False
    owner: tuple[int, int] | None = None


def _refuse(message: str) -> InvalidParameter:
    return InvalidParameter(f"Error processing tar file: {message}")


def _inside(path: str, top: str) -> bool:
    return top == "/" or path == top or path.startswith(top + "/")


def _join(top: str, name: str) -> str:
    """Go's ``filepath.Join(top, name)``: an absolute ``name`` does not reset the path."""
    return posixpath.normpath(f"{top}/{name}")


class _Extractor:
    def __init__(self, root: Path, root_fd: int, dest: str, options: ExtractOptions) -> None:
        self.root = root
        self.root_fd = root_fd
        self.dest = dest  # the extraction directory, a clean absolute container path
        self.options = options
        self.cached: tuple[str, int] | None = None
        self.dir_times: list[tuple[str, int]] = []

    # -- directories ---------------------------------------------------------------------

    def parent_fd(self, parent: str) -> int:
        """An fd of container directory ``parent`` (made if missing); owned by the cache."""
        if self.cached is not None and self.cached[0] == parent:
            return self.cached[1]
        self.drop_cache()
        res = resolve(self.root, parent, follow_last=True)
        try:
            fd = open_dir(self.root_fd, res.rel, create=True)
        except OSError as err:
            raise _refuse(f"cannot open directory {parent!r}: {err.strerror}") from err
        self.cached = (parent, fd)
        return fd

    def drop_cache(self) -> None:
        if self.cached is not None:
            os.close(self.cached[1])
            self.cached = None

    # -- members -------------------------------------------------------------------------

    def member(self, tf: tarfile.TarFile, m: tarfile.TarInfo) -> None:
        path = _join(self.dest, m.name)
        if not _inside(path, self.dest):
            raise _refuse(f'"{m.name}" is outside of "{self.dest}"')
        if path == self.dest:
            if m.isdir():
                return  # the extraction directory itself keeps its own metadata
            raise _refuse(f'cannot overwrite directory "{self.dest}" with a non-directory')
        parent, base = posixpath.split(path)
        if m.issym():
            target = _join(parent, m.linkname)
            if not _inside(target, self.dest):
                raise _refuse(f'invalid symlink "{path}" -> "{m.linkname}"')
        if m.islnk() and not _inside(link := _join(self.dest, m.linkname), self.dest):
            raise _refuse(f'invalid hardlink "{link}" -> "{m.linkname}"')
        dir_fd = self.parent_fd(parent)
        try:
            old: os.stat_result | None = os.lstat(base, dir_fd=dir_fd)
        except FileNotFoundError:
            old = None
        if old is not None:
            self.replace(dir_fd, base, old, m, path)
        if m.isdir():
            if old is None or not stat.S_ISDIR(old.st_mode):
                os.mkdir(base, 0o700, dir_fd=dir_fd)
            self.dir_times.append((path, int(m.mtime)))
            fd = os.open(base, DIR_FLAGS, dir_fd=dir_fd)
            self.finish(fd, m, set_times=False)
        elif m.isreg():
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(base, flags, 0o600, dir_fd=dir_fd)
            self.copy(tf, m, fd)
            self.finish(fd, m)
        elif m.issym():
            os.symlink(m.linkname, base, dir_fd=dir_fd)
            self.symlink_metadata(dir_fd, base, m)
        elif m.islnk():
            self.hardlink(dir_fd, base, m)
        elif m.ischr() or m.isblk() or m.isfifo():
            kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK if m.isblk() else stat.S_IFIFO
            try:
                os.mknod(base, kind | 0o600, os.makedev(m.devmajor, m.devminor), dir_fd=dir_fd)
            except PermissionError:
                log.warning("cannot create device %s without CAP_MKNOD; skipped", m.name)
                return
            fd = os.open(base, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
            self.finish(fd, m)
        else:
            log.warning("tar member %s has unsupported type %r; skipped", m.name, m.type)

    def replace(
        self, dir_fd: int, base: str, old: os.stat_result, m: tarfile.TarInfo, path: str
    ) -> None:
        is_dir = stat.S_ISDIR(old.st_mode)
        if self.options.no_overwrite_dir_non_dir:
            if is_dir and not m.isdir():
                raise _refuse(
                    f'cannot overwrite directory "{path}" with non-directory "{self.dest}"'
                )
            if not is_dir and m.isdir():
                raise _refuse(
                    f'cannot overwrite non-directory "{path}" with directory "{self.dest}"'
                )
        if is_dir and m.isdir():
            return
        if is_dir:
            shutil.rmtree(base, dir_fd=dir_fd)
            self.dir_times = [(p, t) for p, t in self.dir_times if not _inside(p, path)]
        else:
            os.unlink(base, dir_fd=dir_fd)

    def copy(self, tf: tarfile.TarFile, m: tarfile.TarInfo, fd: int) -> None:
        src = tf.extractfile(m)
        if src is None:
            return
        with src:
            while data := src.read(_CHUNK):
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]

    def hardlink(self, dir_fd: int, base: str, m: tarfile.TarInfo) -> None:
        target = _join(self.dest, m.linkname)
        tparent, tbase = posixpath.split(target)
        res = resolve(self.root, tparent, follow_last=True)
        try:
            tfd = open_dir(self.root_fd, res.rel)
        except OSError as err:
            raise _refuse(f"link {target} {m.name}: {err.strerror}") from err
        try:
            st = os.lstat(tbase, dir_fd=tfd)
            if stat.S_ISDIR(st.st_mode):
                raise _refuse(f"link {target} {m.name}: is a directory")
            os.link(tbase, base, src_dir_fd=tfd, dst_dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError as err:
            raise _refuse(f"link {target} {m.name}: no such file or directory") from err
        finally:
            os.close(tfd)

    # -- metadata ------------------------------------------------------------------------

    def owner(self, m: tarfile.TarInfo) -> tuple[int, int]:
        return self.options.owner if self.options.owner is not None else (m.uid, m.gid)

    def finish(self, fd: int, m: tarfile.TarInfo, *, set_times: bool = True) -> None:
        """Owner, xattrs, mode and times of what ``fd`` (ours, closed here) refers to."""
        proc = f"/proc/self/fd/{fd}"
        try:
            uid, gid = self.owner(m)
            if os.geteuid() == 0:
                os.chown(proc, uid, gid)
            for key, value in m.pax_headers.items():
                name = key[len(_XATTR_PAX) :]
                if not key.startswith(_XATTR_PAX) or name.startswith(_OVERLAY_XATTR):
                    continue
                try:
                    os.setxattr(proc, name, value.encode("utf-8", "surrogateescape"))
                except OSError as err:
                    if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EACCES):
                        raise
                    log.warning("cannot set xattr %s on %s: %s", name, m.name, err)
            os.chmod(proc, m.mode & 0o7777)  # after chown, which clears setuid bits
            if set_times:
                os.utime(proc, ns=(int(m.mtime * 1e9),) * 2)
        finally:
            os.close(fd)

    def symlink_metadata(self, dir_fd: int, base: str, m: tarfile.TarInfo) -> None:
        uid, gid = self.owner(m)
        if os.geteuid() == 0:
            os.chown(base, uid, gid, dir_fd=dir_fd, follow_symlinks=False)
        os.utime(base, ns=(int(m.mtime * 1e9),) * 2, dir_fd=dir_fd, follow_symlinks=False)

    def set_dir_times(self) -> None:
        """Last, since writing their children changed them; a vanished one is skipped."""
        self.drop_cache()
        for path, mtime in reversed(self.dir_times):
            parent, base = posixpath.split(path)
            with contextlib.suppress(OSError, InvalidParameter):
                fd = open_dir(self.root_fd, resolve(self.root, parent, follow_last=True).rel)
                try:
                    os.utime(base, (mtime, mtime), dir_fd=fd, follow_symlinks=False)
                finally:
                    os.close(fd)


def extract_into(
    root: Path, root_fd: int, dest: str, body: BinaryIO, options: ExtractOptions
) -> None:
    """Extract the tar ``body`` into container directory ``dest`` (resolved, absolute)."""
    ex = _Extractor(root, root_fd, dest, options)
    try:
        with tarfile.open(fileobj=body, mode="r|*", bufsize=_CHUNK) as tf:
            for member in tf:
                ex.member(tf, member)
        ex.set_dir_times()
    except tarfile.TarError as err:
        raise InvalidParameter(f"Error processing tar file: {err}") from err
    finally:
        ex.drop_cache()
