"""``docker load``: read a docker-archive or OCI-layout tar into the content store.

The contract: all or nothing. The archive (optionally gzip-compressed) is streamed once;
every member is spooled into an ingest (:mod:`archive_spool`), then the whole archive is
validated (:mod:`archive_layout`: references, digests, sizes, diff ids, unsafe layer
entries). Only then are the needed blobs committed, plus an OCI manifest for each image
of a docker-archive. Any failure raises InvalidParameter naming the member and leaves the
store as it was: every ingest is aborted, and a blob committed by this call (only possible
if committing itself fails half-way) is deleted again.
"""

from __future__ import annotations

import contextlib
from typing import BinaryIO

from dockyard.content.base import ContentStore
from dockyard.errors import NotFound
from dockyard.image.archive_layout import PlannedImage, plan_images
from dockyard.image.archive_spool import Member, Spool
from dockyard.image.archive_types import ArchiveImage
from dockyard.oci.digest import Digest, compute

__all__ = ["read_archive"]


def read_archive(stream: BinaryIO, content: ContentStore) -> list[ArchiveImage]:
    """Load every image of the archive in ``stream``; InvalidParameter if it is unsound."""
    spool = Spool(content)
    try:
        spool.read(stream)
        plans = plan_images(spool)
        return _commit(spool, plans, content)
    finally:
        spool.abort()


def _exists(content: ContentStore, digest: Digest) -> bool:
    try:
        content.info(digest)
    except NotFound:
        return False
    return True


def _commit(spool: Spool, plans: list[PlannedImage], content: ContentStore) -> list[ArchiveImage]:
    blobs: dict[Digest, Member | bytes] = {}
    manifest_digests: list[Digest] = []
    for plan in plans:
        for member in (plan.config, *plan.layers):
            blobs.setdefault(member.digest, member)
        if plan.manifest_member is not None:
            digest = plan.manifest_member.digest
            blobs.setdefault(digest, plan.manifest_member)
        else:
            digest = compute(plan.manifest_bytes)
            blobs.setdefault(digest, plan.manifest_bytes)
        manifest_digests.append(digest)
    existed = {digest for digest in blobs if _exists(content, digest)}
    committed: list[Digest] = []
    try:
        for digest, source in blobs.items():
            if digest in existed:
                continue
            if isinstance(source, bytes):
                spool.commit_bytes(source, digest)
            else:
                spool.commit(source)
            committed.append(digest)
    except BaseException:
        for digest in committed:
            with contextlib.suppress(NotFound):
                content.delete(digest)
        raise
    return [
        ArchiveImage(
            config_digest=plan.config.digest,
            manifest=plan.manifest,
            manifest_digest=manifest_digest,
            diff_ids=tuple(Digest(d) for d in plan.diff_ids),
            names=tuple(plan.names),
        )
        for plan, manifest_digest in zip(plans, manifest_digests, strict=True)
    ]
