"""Recording images all or nothing: the step an import, a load and a commit share.

Runs under the service's mutation lock, so garbage collection never races it. Before
anything is recorded the blobs are checked to still exist (a concurrent delete could have
collected a shared one): the error then asks to retry. On failure the layers unpacked by
the call are removed and no row is written; :meth:`ImageRegistrar.drop_unreferenced`
deletes the blobs the caller wrote that no image references.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence

from dockyard.content.base import ContentStore
from dockyard.errors import DockyardError, NotFound
from dockyard.image.archive_types import ArchiveImage
from dockyard.image.configs import ConfigCache
from dockyard.image.store import ImageRecord, ImageStore, NewImage
from dockyard.image.unpack import BlobOpener, Unpacker, UnpackResult
from dockyard.oci import reference
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest
from dockyard.oci.image import ImageConfig
from dockyard.util.timefmt import parse_rfc3339

__all__ = ["ImageRegistrar"]


def _created(config: ImageConfig) -> float:
    try:
        return parse_rfc3339(config.created) if config.created else time.time()
    except ValueError:
        return time.time()


class ImageRegistrar:
    """``lock`` is the service's mutation lock (re-entrant: callers may hold it)."""

    def __init__(
        self,
        store: ImageStore,
        content: ContentStore,
        unpacker: Unpacker,
        configs: ConfigCache,
        lock: threading.RLock,
    ) -> None:
        self._store = store
        self._content = content
        self._unpacker = unpacker
        self._configs = configs
        self._lock = lock

    def _check_blobs(self, image: ArchiveImage) -> None:
        digests = [image.manifest_digest, image.config_digest]
        digests += [layer.digest for layer in image.manifest.layers]
        for digest in digests:
            try:
                self._content.info(digest)
            except NotFound as err:
                raise DockyardError(
                    f"blob {digest} was removed while the image was being stored; retry"
                ) from err

    def register(
        self,
        images: Sequence[ArchiveImage],
        *,
        verify: bool,
        parent: str = "",
        open_blob: BlobOpener | None = None,
        committed: Callable[[], object] | None = None,
    ) -> list[str]:
        """Unpack and record ``images`` all or nothing; return messages for moved tags.

        With ``committed``, the blobs are still being committed: layers are read through
        ``open_blob`` and ``committed()`` (which raises if the commit failed) is awaited
        before the blobs are checked and anything is recorded.
        """
        with self._lock:
            results: list[UnpackResult] = []
            try:
                for image in images:
                    if committed is None:
                        self._check_blobs(image)
                    results.append(
                        self._unpacker.unpack(
                            image.manifest.layers,
                            image.diff_ids,
                            verify=verify,
                            open_blob=open_blob,
                        )
                    )
                if committed is not None:
                    committed()
                    for image in images:
                        self._check_blobs(image)
                new: list[NewImage] = []
                for image, result in zip(images, results, strict=True):
                    config = self._configs.get(image.config_digest)
                    record = ImageRecord(
                        id=image.config_digest,
                        target=self._manifest_descriptor(image),
                        created=_created(config),
                        size=result.size,
                        parent=parent,
                        top_chain=result.top_chain,
                    )
                    blobs = (
                        image.manifest_digest,
                        image.config_digest,
                        *tuple(layer.digest for layer in image.manifest.layers),
                    )
                    tags = tuple(reference.parse(n) for n in image.names)
                    new.append(NewImage(record, blobs, tags))
                moved = self._store.add_all(new)
            except BaseException:
                for result in reversed(results):
                    self._unpacker.remove(reversed(result.created))
                raise
        return [
            f"The image {ref.familiar()} already exists, renaming the old one with ID {old}"
            " to empty string"
            for ref, old in moved
        ]

    def _manifest_descriptor(self, image: ArchiveImage) -> Descriptor:
        return Descriptor(
            media_type=image.manifest.media_type,
            digest=image.manifest_digest,
            size=self._content.info(image.manifest_digest).size,
        )

    def drop_unreferenced(self, digests: set[Digest]) -> None:
        with self._lock:
            for digest in digests:
                if self._store.blob_referenced(digest):
                    continue
                with contextlib.suppress(NotFound):
                    self._content.delete(digest)
