"""Apply an (uncompressed) OCI/Docker layer tar onto a directory, whiteouts included.

Two targets, one reader:

* a plain directory holding the parent layers' files (native snapshotter, export):
  ``.wh.<name>`` deletes ``<name>`` and ``.wh..wh..opq`` empties its directory of
  everything this layer did not write;
* an overlay upperdir whose lowers are the parent layers (``overlay_whiteouts=True``):
  the kernel's format is written instead, a 0/0 character device ``<name>`` for a
  whiteout and the xattr ``trusted.overlay.opaque=y`` for an opaque directory.

Security model: the tar is hostile. Every member name is made relative to ``root`` and one
that climbs out (``../x``, ``/../x``) is InvalidParameter; a hard link must name a file
inside ``root``; a symlink's relative target must not climb out of ``root``. No path
component that already exists is ever followed if it is a symlink: each parent directory
is checked with ``lstat`` (cached per layer, dropped when the layer replaces it), and the
final component is created with ``O_EXCL|O_NOFOLLOW`` after removing what was there. So
``evil -> /etc`` followed by ``evil/passwd`` is rejected and writes nothing to ``/etc``.
Members with an absolute name (``/etc/x``) are applied at ``root/etc/x`` as Docker does.

Speed: when the layer is a plain regular file (an uncompressed blob opened from the content
store), the tar is read in random-access mode and each regular member's bytes go straight
from the blob to the new file with ``copy_file_range(2)`` (in the kernel, no copy through
Python; a reflink where the filesystem shares extents). The checks above are the same in
both modes: only where file bytes come from differs.
"""

# Paths stay str on purpose: this runs once per layer member and Path objects cost.

from __future__ import annotations

import errno
import io
import logging
import os
import posixpath
import shutil
import stat
import tarfile
from pathlib import Path
from typing import BinaryIO

from dockyard.errors import InvalidParameter

__all__ = ["OPAQUE", "WHITEOUT_PREFIX", "apply_layer"]

log = logging.getLogger(__name__)

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
_OVERLAY_XATTR = "trusted.overlay."
_XATTR_PAX = "SCHILY.xattr."
_CHUNK = 1 << 20


def clean_member_name(name: str) -> str:
    """``name`` relative to the layer root, normalized; InvalidParameter if it escapes."""
    rel = posixpath.normpath(name.lstrip("/")) if name else "."
    if rel == ".." or rel.startswith("../"):
        raise InvalidParameter(f"layer member {name!r} escapes the layer root")
    return rel


class _Applier:
    def __init__(self, root: Path, overlay: bool, source_fd: int | None) -> None:
        self.root = root
        self.overlay = overlay
        self.source_fd = source_fd  # the layer file, when members are copied by offset
        self.is_root = os.geteuid() == 0
        self.safe_dirs: set[str] = {"."}
        self.unpacked: set[str] = set()
        self.dir_times: list[tuple[str, int]] = []
        self.applied = 0

    # --- path safety ---------------------------------------------------------------

    def path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def ensure_parents(self, rel: str, member: str) -> None:
        """Make every parent of ``rel`` a real directory; refuse symlinks and files."""
        parent = posixpath.dirname(rel)
        if not parent or parent in self.safe_dirs:
            return
        parts = parent.split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub in self.safe_dirs:
                continue
            p = self.path(sub)
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                os.mkdir(p, 0o755)
                self.safe_dirs.add(sub)
                continue
            if stat.S_ISLNK(st.st_mode):
                raise InvalidParameter(
                    f"layer member {member!r}: parent {sub!r} is a symlink; refusing to follow it"
                )
            if not stat.S_ISDIR(st.st_mode):
                raise InvalidParameter(f"layer member {member!r}: parent {sub!r} is not a dir")
            self.safe_dirs.add(sub)

    def forget(self, rel: str) -> None:
        """``rel`` was removed or replaced: it and its subtree are no longer known dirs."""
        if rel in self.safe_dirs:
            prefix = rel + "/"
            self.safe_dirs = {d for d in self.safe_dirs if d != rel and not d.startswith(prefix)}

    def remove(self, rel: str) -> None:
        p = self.path(rel)
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(p)
        else:
            os.unlink(p)
        self.forget(rel)

    # --- members -------------------------------------------------------------------

    def apply(self, tf: tarfile.TarFile, m: tarfile.TarInfo) -> None:
        rel = clean_member_name(m.name)
        if rel == ".":
            return  # the root itself: its owner and mode belong to the snapshotter
        self.ensure_parents(rel, m.name)
        base = posixpath.basename(rel)
        parent = posixpath.dirname(rel) or "."
        if base == OPAQUE:
            self.opaque(parent)
            return
        if base.startswith(WHITEOUT_PREFIX):
            self.whiteout(posixpath.join(parent, base[len(WHITEOUT_PREFIX) :]))
            return
        p = self.path(rel)
        try:
            old = os.lstat(p)
        except FileNotFoundError:
            old = None
        if old is not None and not (m.isdir() and stat.S_ISDIR(old.st_mode)):
            self.remove(rel)
        self.unpacked.add(rel)
        if m.isdir():
            if old is None or not stat.S_ISDIR(old.st_mode):
                os.mkdir(p, 0o700)
            self.safe_dirs.add(rel)
            self.dir_times.append((rel, int(m.mtime)))
        elif m.isreg():
            self.write_file(tf, m, p)
        elif m.issym():
            self.symlink(m, rel, p)
        elif m.islnk():
            self.hardlink(m, p)
            return  # a hard link shares the target's inode and metadata
        elif m.ischr() or m.isblk() or m.isfifo():
            kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK if m.isblk() else stat.S_IFIFO
            try:
                os.mknod(p, kind | 0o600, os.makedev(m.devmajor, m.devminor))
            except PermissionError:
                log.warning("cannot create device %s without CAP_MKNOD; skipped", m.name)
                return
        else:
            log.warning("layer member %s has unsupported type %r; skipped", m.name, m.type)
            return
        self.metadata(m, p)

    def write_file(self, tf: tarfile.TarFile, m: tarfile.TarInfo, p: str) -> None:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with open(fd, "wb", buffering=0) as out:
            if self.source_fd is not None and not m.issparse():
                self.copy_range(m, out.fileno())
                return
            src = tf.extractfile(m)
            if src is not None:
                with src:
                    buf = bytearray(_CHUNK)
                    view = memoryview(buf)
                    while n := src.readinto(view):  # type: ignore[attr-defined]
                        out.write(view[:n])
                        self.applied += n

    def copy_range(self, m: tarfile.TarInfo, out_fd: int) -> None:
        """Copy member ``m``'s data from the layer file by offset; InvalidParameter if short."""
        assert self.source_fd is not None
        done = 0
        use_kernel = True
        while done < m.size:
            want = min(m.size - done, 1 << 30)
            n = -1
            if use_kernel:
                try:
                    n = os.copy_file_range(self.source_fd, out_fd, want, m.offset_data + done)
                except OSError as err:
                    if err.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                        raise
                    use_kernel = False
            if not use_kernel:
                data = memoryview(os.pread(self.source_fd, min(want, _CHUNK), m.offset_data + done))
                n = len(data)
                while data:
                    data = data[os.write(out_fd, data) :]
            if n == 0:
                raise InvalidParameter(
                    f"invalid layer tar: unexpected end of data in member {m.name!r}"
                )
            done += n
            self.applied += n

    def symlink(self, m: tarfile.TarInfo, rel: str, p: str) -> None:
        target = m.linkname
        if not target.startswith("/"):
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
            if resolved == ".." or resolved.startswith("../"):
                raise InvalidParameter(
                    f"layer member {m.name!r}: symlink target {target!r} escapes the layer root"
                )
        os.symlink(target, p)

    def hardlink(self, m: tarfile.TarInfo, p: str) -> None:
        try:
            target = clean_member_name(m.linkname)
        except InvalidParameter as err:
            raise InvalidParameter(
                f"layer member {m.name!r}: hard link target {m.linkname!r} escapes the layer root"
            ) from err
        self.ensure_parents(target, m.name)
        tp = self.path(target)
        try:
            st = os.lstat(tp)
        except FileNotFoundError as err:
            raise InvalidParameter(
                f"layer member {m.name!r}: hard link target {m.linkname!r} does not exist"
            ) from err
        if stat.S_ISDIR(st.st_mode):
            raise InvalidParameter(f"layer member {m.name!r}: hard link to a directory")
        os.link(tp, p, follow_symlinks=False)

    def whiteout(self, rel: str) -> None:
        if self.overlay:
            self.remove(rel)
            os.mknod(self.path(rel), stat.S_IFCHR | 0o000, os.makedev(0, 0))
        else:
            self.remove(rel)

    def opaque(self, rel: str) -> None:
        p = self.path(rel)
        if self.overlay:
            os.setxattr(p, "trusted.overlay.opaque", b"y", follow_symlinks=False)
            return
        self._remove_not_unpacked(rel)

    def _remove_not_unpacked(self, rel: str) -> None:
        with os.scandir(self.path(rel)) as entries:
            names = [e.name for e in entries]
        for name in names:
            child = name if rel == "." else f"{rel}/{name}"
            if child not in self.unpacked:
                self.remove(child)
            elif os.path.isdir(self.path(child)) and not os.path.islink(self.path(child)):
                self._remove_not_unpacked(child)

    def metadata(self, m: tarfile.TarInfo, p: str) -> None:
        if self.is_root:
            os.chown(p, m.uid, m.gid, follow_symlinks=False)
        for key, value in m.pax_headers.items():
            if not key.startswith(_XATTR_PAX):
                continue
            name = key[len(_XATTR_PAX) :]
            if name.startswith(_OVERLAY_XATTR):
                continue  # a layer must not steer overlayfs (redirects, opaque, metacopy)
            try:
                os.setxattr(
                    p, name, value.encode("utf-8", "surrogateescape"), follow_symlinks=False
                )
            except OSError as err:
                if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EACCES):
                    raise
                log.warning("cannot set xattr %s on %s: %s", name, m.name, err)
        if not m.issym():
            os.chmod(p, m.mode & 0o7777)  # after chown, which clears setuid bits
            if not m.isdir():
                os.utime(p, ns=(int(m.mtime * 1e9),) * 2)
        else:
            os.utime(p, ns=(int(m.mtime * 1e9),) * 2, follow_symlinks=False)

    def finish(self) -> None:
        """Directory times last: writing their children changed them."""
        for rel, mtime in reversed(self.dir_times):
            p = self.path(rel)
            if os.path.isdir(p) and not os.path.islink(p):
                os.utime(p, (mtime, mtime))


def apply_layer(stream: BinaryIO, root: Path, *, overlay_whiteouts: bool) -> int:
    """Apply the uncompressed layer tar ``stream`` to ``root``; return the file bytes written.

    Reads the stream once, front to back (it may be a pipe or a decompressor); a plain
    regular file is read by offset instead (see the module doc). Raises
    InvalidParameter for a member that would write outside ``root`` (see module doc); what
    was applied before that member stays, so callers apply into a fresh snapshot and drop
    it on error.
    """
    source_fd = _regular_file_fd(stream)
    applier = _Applier(Path(root), overlay_whiteouts, source_fd)
    try:
        with (
            tarfile.open(fileobj=stream, mode="r|", bufsize=_CHUNK)
            if source_fd is None
            else tarfile.open(fileobj=stream, mode="r:")
        ) as tf:
            for member in tf:
                applier.apply(tf, member)
    except tarfile.TarError as err:
        raise InvalidParameter(f"invalid layer tar: {err}") from err
    applier.finish()
    return applier.applied


def _regular_file_fd(stream: BinaryIO) -> int | None:
    """The fd of ``stream`` when it is exactly a buffered reader of a regular file.

    Exact types on purpose: a decompressor (``GzipFile``) also has a ``fileno`` and claims
    to be seekable, but its offsets are not the file's.
    """
    if type(stream) is not io.BufferedReader or type(stream.raw) is not io.FileIO:
        return None
    fd = stream.raw.fileno()
    return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
