"""Write a layer tar from an overlay upperdir (``write_diff``) or a whole tree (``write_tree``).

The output is a pure function of the files: entries in sorted, depth-first order, PAX
format, whole-second mtimes, no user/group names; so committing the same change twice
gives the same layer digest. Hard links inside the tree are kept as tar hard links to the
first name seen. For an upperdir the kernel's whiteout format becomes the OCI one:

    0/0 char device ``name``              ->  empty file ``.wh.name``
    dir with ``trusted.overlay.opaque=y``  ->  the dir, then ``dir/.wh..wh..opq``

``trusted.overlay.*`` xattrs never leave the host; other xattrs are written as
``SCHILY.xattr.<name>`` PAX records. Sockets are skipped (tar cannot hold them).
"""

# Paths stay str on purpose: this runs once per layer member and Path objects cost.

from __future__ import annotations

import errno
import io
import os
import stat
import tarfile
from pathlib import Path
from typing import BinaryIO

from dockyard.archive.apply import OPAQUE, WHITEOUT_PREFIX

__all__ = ["write_diff", "write_tree"]

_CHUNK = 1 << 20
_BLOCK = tarfile.BLOCKSIZE
_OVERLAY_XATTR = "trusted.overlay."


class _TarWriter:
    """A minimal streaming tar writer: tarfile's header encoding, our own data copy.

    ``tarfile``'s stream mode re-buffers every data chunk through a 10 KiB record buffer;
    copying file data ourselves (``copy_file_range``/``sendfile`` into a raw file) keeps
    a 100 MB layer export at disk speed.
    """

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.raw_fd = out.fileno() if isinstance(out, io.FileIO) else None
        self.written = 0

    def _write(self, data: bytes | memoryview) -> None:
        self.out.write(data)
        self.written += len(data)

    def add(self, info: tarfile.TarInfo, path: str | None = None) -> None:
        self._write(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
        if path is None or info.size == 0:
            return
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            copied = self._copy(fd, info.size)
        finally:
            os.close(fd)
        if copied != info.size:
            raise OSError(errno.EIO, f"{path}: changed size while being archived")
        if pad := -info.size % _BLOCK:
            self._write(b"\0" * pad)

    def _copy(self, fd: int, size: int) -> int:
        done = 0
        if self.raw_fd is not None:
            while done < size:
                n = os.sendfile(self.raw_fd, fd, None, min(size - done, 1 << 30))
                if n == 0:
                    break
                done += n
            self.written += done
            return done
        buf = bytearray(_CHUNK)
        view = memoryview(buf)
        while done < size:
            n = os.readv(fd, [view[: min(_CHUNK, size - done)]])
            if n == 0:
                break
            self._write(view[:n])
            done += n
        return done

    def close(self) -> None:
        """Two zero blocks end the archive; pad to a whole 10 KiB record like tar(1)."""
        end = 2 * _BLOCK
        end += -(self.written + end) % tarfile.RECORDSIZE
        self._write(b"\0" * end)
        self.out.flush()


def _xattrs(path: str) -> dict[str, bytes]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as err:
        if err.errno in (errno.ENOTSUP, errno.EPERM):
            return {}
        raise
    return {n: os.getxattr(path, n, follow_symlinks=False) for n in sorted(names)}


class _Walker:
    def __init__(self, root: Path, out: BinaryIO, *, overlay: bool) -> None:
        self.root = str(root)
        self.tar = _TarWriter(out)
        self.overlay = overlay
        self.links: dict[tuple[int, int], str] = {}

    def run(self) -> None:
        self.walk(self.root, "")
        self.tar.close()

    def walk(self, dirpath: str, prefix: str) -> None:
        with os.scandir(dirpath) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            self.entry(entry.path, prefix + entry.name, entry.name)

    def header(self, name: str, st: os.stat_result, type_: bytes) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type = type_
        info.mode = stat.S_IMODE(st.st_mode)
        info.uid, info.gid = st.st_uid, st.st_gid
        info.mtime = int(st.st_mtime)
        info.uname = info.gname = ""
        return info

    def entry(self, path: str, name: str, base: str) -> None:
        st = os.lstat(path)
        mode = st.st_mode
        if self.overlay and stat.S_ISCHR(mode) and st.st_rdev == 0:
            parent, _, leaf = name.rpartition("/")
            wh = self.header(
                f"{parent}/{WHITEOUT_PREFIX}{leaf}" if parent else WHITEOUT_PREFIX + leaf,
                st,
                tarfile.REGTYPE,
            )
            self.tar.add(wh)
            return
        xattrs = _xattrs(path)
        opaque = self.overlay and xattrs.get("trusted.overlay.opaque") == b"y"
        if stat.S_ISDIR(mode):
            info = self.header(name, st, tarfile.DIRTYPE)
        elif stat.S_ISREG(mode):
            key = (st.st_dev, st.st_ino)
            first = self.links.get(key) if st.st_nlink > 1 else None
            if first is not None:
                info = self.header(name, st, tarfile.LNKTYPE)
                info.linkname = first
            else:
                if st.st_nlink > 1:
                    self.links[key] = name
                info = self.header(name, st, tarfile.REGTYPE)
                info.size = st.st_size
        elif stat.S_ISLNK(mode):
            info = self.header(name, st, tarfile.SYMTYPE)
            info.linkname = os.readlink(path)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            info = self.header(name, st, tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE)
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        elif stat.S_ISFIFO(mode):
            info = self.header(name, st, tarfile.FIFOTYPE)
        else:
            return  # sockets and other kinds tar cannot carry
        info.pax_headers = {
            "SCHILY.xattr." + k: v.decode("utf-8", "surrogateescape")
            for k, v in xattrs.items()
            if not k.startswith(_OVERLAY_XATTR)
        }
        self.tar.add(info, path if info.type == tarfile.REGTYPE else None)
        if stat.S_ISDIR(mode):
            if opaque:
                self.tar.add(self.header(f"{name}/{OPAQUE}", st, tarfile.REGTYPE))
            self.walk(path, name + "/")


def write_diff(upper: Path, out: BinaryIO) -> None:
    """Write the changes recorded in overlay upperdir ``upper`` as an OCI layer tar.

    Assumes the overlay was mounted without ``redirect_dir``/``metacopy`` (the default here),
    so every changed file is fully present in ``upper``.
    """
    _Walker(Path(upper), out, overlay=True).run()


def write_tree(root: Path, out: BinaryIO) -> None:
    """Write every file under ``root`` as a tar (a rootfs export or a first layer)."""
    _Walker(Path(root), out, overlay=False).run()
