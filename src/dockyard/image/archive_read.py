"""``docker load``: read a docker-archive or OCI-layout tar into the content store.

The contract: all or nothing. The archive (optionally gzip-compressed) is streamed once;
every member is spooled into an ingest (:mod:`archive_spool`), then the whole archive is
validated (:mod:`archive_layout`: references, digests, sizes, diff ids, unsafe layer
entries). Only then are the needed blobs committed, plus an OCI manifest for each image
of a docker-archive. Any failure raises InvalidParameter naming the member and leaves the
store as it was: every ingest is aborted, and a blob committed by this call (only possible
if committing itself fails half-way) is deleted again.

Two ways in: :func:`read_archive` does it all and returns the committed images;
:func:`open_archive` stops after validation and hands back a :class:`LoadedArchive`, whose
blobs can be read (:meth:`LoadedArchive.open_blob`) while :meth:`LoadedArchive.commit` runs
in another thread. The image service unpacks layers during the commit's fsync that way, and
records the images only once the commit is done.
"""

from __future__ import annotations

import contextlib
import io
from typing import BinaryIO

from dockyard.content.base import ContentStore
from dockyard.errors import NotFound
from dockyard.image.archive_layout import PlannedImage, plan_images
from dockyard.image.archive_spool import Member, Spool
from dockyard.image.archive_types import ArchiveImage
from dockyard.oci.digest import Digest, compute

__all__ = ["LoadedArchive", "open_archive", "read_archive"]


def read_archive(stream: BinaryIO, content: ContentStore) -> list[ArchiveImage]:
    """Load every image of the archive in ``stream``; InvalidParameter if it is unsound."""
    with open_archive(stream, content) as archive:
        archive.commit()
        return archive.images


def open_archive(stream: BinaryIO, content: ContentStore) -> LoadedArchive:
    """Spool and validate the archive in ``stream``, committing nothing yet.

    Use the result as a context manager: leaving it drops whatever was not committed.
    """
    spool = Spool(content)
    try:
        spool.read(stream)
        return LoadedArchive(spool, plan_images(spool), content)
    except BaseException:
        spool.abort()
        raise


class LoadedArchive:
    """A validated archive: ``images`` as they will be once :meth:`commit` succeeds."""

    def __init__(self, spool: Spool, plans: list[PlannedImage], content: ContentStore) -> None:
        self._spool = spool
        self._content = content
        self._blobs: dict[Digest, Member | bytes] = {}
        manifest_digests: list[Digest] = []
        for plan in plans:
            for member in (plan.config, *plan.layers):
                self._blobs.setdefault(member.digest, member)
            if plan.manifest_member is not None:
                digest = plan.manifest_member.digest
                self._blobs.setdefault(digest, plan.manifest_member)
            else:
                digest = compute(plan.manifest_bytes)
                self._blobs.setdefault(digest, plan.manifest_bytes)
            manifest_digests.append(digest)
        self.images = [
            ArchiveImage(
                config_digest=plan.config.digest,
                manifest=plan.manifest,
                manifest_digest=manifest_digest,
                diff_ids=tuple(Digest(d) for d in plan.diff_ids),
                names=tuple(plan.names),
            )
            for plan, manifest_digest in zip(plans, manifest_digests, strict=True)
        ]
        # Readers of the uncommitted bytes, opened now: committing consumes the ingests.
        self._readers: dict[Digest, BinaryIO] = {}
        try:
            for digest, source in self._blobs.items():
                reader = source.open() if isinstance(source, Member) else None
                if reader is not None:
                    self._readers[digest] = reader
        except BaseException:
            self._close_readers()
            raise

    def __enter__(self) -> LoadedArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open_blob(self, digest: Digest) -> BinaryIO | None:
        """A new reader of a blob this archive brings, from the start, valid before, during
        and after :meth:`commit` (thread-safe with it); None when the spool cannot read the
        bytes back or the archive holds no such blob."""
        reader = self._readers.get(digest)
        if reader is None:
            return None
        if isinstance(reader, io.BytesIO):
            return io.BytesIO(reader.getvalue())
        # A fresh open file (own offset) of the same inode, wherever commit has moved it.
        return open(f"/proc/self/fd/{reader.fileno()}", "rb")

    def commit(self) -> None:
        """Commit the blobs the images need (those already in the store are kept as they
        are); on failure, the blobs this call committed are deleted again."""
        existed = {digest for digest in self._blobs if _exists(self._content, digest)}
        committed: list[Digest] = []
        try:
            for digest, source in self._blobs.items():
                if digest in existed:
                    continue
                if isinstance(source, bytes):
                    self._spool.commit_bytes(source, digest)
                else:
                    self._spool.commit(source)
                committed.append(digest)
        except BaseException:
            for digest in committed:
                with contextlib.suppress(NotFound):
                    self._content.delete(digest)
            raise

    def close(self) -> None:
        """Drop every ingest not committed; the store keeps only what :meth:`commit` made."""
        self._close_readers()
        self._spool.abort()

    def _close_readers(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()


def _exists(content: ContentStore, digest: Digest) -> bool:
    try:
        content.info(digest)
    except NotFound:
        return False
    return True
