"""``cp``'s tar side, as moby's ``pkg/archive`` copy helpers decide it.

The daemon's archives name their root entry after the source's base name (``.`` for
``dir/.``, which copies a directory's contents). :func:`prepare_copy` picks the directory
to extract into and the name the root entry must take there (``CopyInfo`` /
``PrepareArchiveCopy``); :func:`extract` unpacks without changing owners (``NoLchown``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

__all__ = ["decode_stat", "extract", "prepare_copy", "tar_source"]

MODE_DIR = 1 << 31
MODE_SYMLINK = 1 << 27


def decode_stat(header: str) -> dict[str, Any]:
    """``X-Docker-Container-Path-Stat``: base64 JSON {name, size, mode, mtime, linkTarget}."""
    import base64
    import json

    doc: dict[str, Any] = json.loads(base64.b64decode(header))
    return doc


def split_dir_entry(path: str) -> tuple[str, str]:
    """archive.SplitPathDirEntry: (dir, base) of a cleaned path; ``a/.`` -> (``a``, ``.``)."""
    import posixpath

    cleaned = posixpath.normpath(path) if path else "."
    if path.endswith("/.") or path == ".":
        cleaned = posixpath.normpath(path[:-1] or ".") + "/."
    directory, base = posixpath.split(cleaned)
    return directory or ".", base


def prepare_copy(
    src_path: str, src_is_dir: bool, dst_path: str, dst_exists: bool, dst_is_dir: bool
) -> tuple[str, str, str]:
    """(directory to extract into, source root name, new root name) or ValueError."""
    dst_dir, dst_base = split_dir_entry(dst_path)
    _, src_base = split_dir_entry(src_path)
    if dst_exists and dst_is_dir:
        return dst_path, src_base, src_base
    if dst_exists and src_is_dir:
        raise ValueError("cannot copy directory")
    if not dst_exists and not src_is_dir and dst_path.endswith(("/", "/.")):
        raise ValueError("no such directory")
    return dst_dir, src_base, dst_base


def _rebase(name: str, old: str, new: str) -> str:
    name = name.removeprefix("./") if old != "." else name
    if old == ".":
        rest = name.removeprefix(".").lstrip("/")
        return f"{new}/{rest}" if rest else new
    if name == old:
        return new
    if name.startswith(old + "/"):
        return new + name[len(old) :]
    return name


def extract(source: IO[bytes], dest_dir: str, old: str, new: str) -> None:
    """Unpack a tar stream into ``dest_dir`` renaming root ``old`` to ``new``; owners are
    not changed; names escaping ``dest_dir`` are refused."""
    import tarfile

    class _NoChown(tarfile.TarFile):
        def chown(self, *args: Any, **kwargs: Any) -> None:
            pass

    with _NoChown.open(fileobj=source, mode="r|*") as tar:
        for member in tar:
            member.name = _rebase(member.name, old, new)
            tar.extract(member, dest_dir, filter="tar")


def tar_source(path: str, follow_link: bool, sink: IO[bytes], root_name: str) -> None:
    """A tar of ``path`` whose root entry is ``root_name`` (links kept unless the top
    one is followed with ``-L``)."""
    import os
    import tarfile

    real = os.path.realpath(path) if follow_link else path
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        tar.add(real, arcname=root_name, recursive=True)
