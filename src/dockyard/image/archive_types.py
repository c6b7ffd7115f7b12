"""What an image archive holds, as the archive reader returns it and the writer takes it.

The boundary between the archive formats (``archive_read``/``archive_write``) and the image
service: every digest named here is a blob committed in the content store, so the service
only has to record names and unpack layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.oci.digest import Digest
from dockyard.oci.image import Manifest

__all__ = ["ArchiveImage"]


@dataclass(frozen=True, slots=True)
class ArchiveImage:
    """One image of an archive.

    ``names`` are normalized references (``str(Reference)``, e.g.
    ``docker.io/library/busybox:latest``) to tag; empty for an untagged image.
    """

    config_digest: Digest
    manifest: Manifest
    manifest_digest: Digest
    diff_ids: tuple[Digest, ...]
    names: tuple[str, ...]
