"""The image service: the one facade the routes and the other services call.

Synchronous (the API calls it through ``asyncio.to_thread``). It owns the concurrency
model and does import, load, commit and tag itself; the other jobs live in their own
modules and are reached through it: recording images (``image_register``), ``save``
(``image_save``), ``rmi`` and prune (``image_remove``), and the read-only queries
(``image_queries``).

Concurrency model: one mutation lock covers unpacking and every change of images, tags and
layers, so garbage collection never races a registration; streaming a body into the
content store happens outside it (an import's layer) or under a separate load lock
(``open_archive``), so a slow upload does not block ``rmi``.

A load unpacks its layers from the validated archive's own spooled bytes while another
thread commits the blobs (the fsync of a big layer is as long as its unpacking): the images
are recorded only once both are done.

Failure leaves the store as it was: layers unpacked by the failed call are removed, rows
are written in one transaction at the end, and blobs that did not exist before the call
and no image references are deleted.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

from dockyard.apitypes.filters import Filters
from dockyard.apitypes.images import (
    DeleteItem,
    HistoryItem,
    ImageDetails,
    ImageSummary,
    PruneReport,
)
from dockyard.content.base import ContentStore
from dockyard.daemon.image_queries import LIST_FILTERS, ImageQueries, LayerDirs
from dockyard.daemon.image_register import ImageRegistrar
from dockyard.daemon.image_remove import ImageRemover
from dockyard.daemon.image_save import ImageSaver
from dockyard.errors import DockyardError
from dockyard.events.bus import EventBus
from dockyard.image.archive_read import open_archive
from dockyard.image.archive_types import ArchiveImage
from dockyard.image.archive_write import ArchiveLayout
from dockyard.image.configs import ConfigCache
from dockyard.image.importer import ImportOptions, import_rootfs, write_blob
from dockyard.image.store import ImageRecord, ImageStore, repo_tag_reference
from dockyard.image.unpack import Unpacker
from dockyard.oci import mediatypes, reference
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest
from dockyard.oci.image import ImageConfig, Manifest
from dockyard.snapshot.base import Snapshotter

__all__ = ["LIST_FILTERS", "ImageService"]

log = logging.getLogger(__name__)


class ImageService:
    """See the module doc. ``image_in_use(image_id)`` names a container using the image
    (its id, and whether it runs) or None;
    the container service sets it once it exists. ``layer_dirs(chain_id)`` lists a
    committed layer's directories top first (overlay), for inspect's GraphDriver."""

    def __init__(
        self,
        store: ImageStore,
        content: ContentStore,
        snapshotter: Snapshotter,
        events: EventBus,
        *,
        image_in_use: Callable[[str], tuple[str, bool] | None] = lambda _: None,
        layer_dirs: LayerDirs | None = None,
        graph_driver: str = "overlay2",
    ) -> None:
        self._store = store
        self._content = content
        self._events = events
        self._configs = ConfigCache(content)
        self._unpacker = Unpacker(store, content, snapshotter)
        self._lock = threading.RLock()
        self._load_lock = threading.Lock()
        self._queries = ImageQueries(
            store, self._configs, layer_dirs=layer_dirs, graph_driver=graph_driver
        )
        self._registrar = ImageRegistrar(store, content, self._unpacker, self._configs, self._lock)
        self._saver = ImageSaver(store, content, self._configs, self._event)
        self.image_in_use = image_in_use
        self._remover = ImageRemover(
            store,
            content,
            self._unpacker,
            self._configs,
            self._emit,
            self._lock,
            lambda image_id: self.image_in_use(image_id),
        )

    # -- events -------------------------------------------------------------------------

    def _emit(self, action: str, actor_id: str, attributes: dict[str, str]) -> None:
        self._events.emit("image", action, actor_id, **attributes)

    def _event(self, action: str, image_id: str, name: str) -> None:
        labels = self._labels(Digest(image_id))
        self._emit(action, image_id, {**labels, "name": name})

    def _labels(self, image_id: Digest) -> dict[str, str]:
        return self._queries.labels(image_id)

    # -- import and load (registration in image_register) --------------------------------

    def import_image(self, body: BinaryIO, options: ImportOptions) -> str:
        """``docker import``: returns the new image id."""
        imported = import_rootfs(self._content, body, options)
        try:
            self._registrar.register([imported.image], verify=False)
        except BaseException:
            self._registrar.drop_unreferenced(set(imported.new_blobs))
            raise
        image_id = imported.image.config_digest
        if options.reference is not None:
            self._event("tag", image_id, options.reference.familiar())
        self._event("import", image_id, image_id)
        return image_id

    def load(self, body: BinaryIO) -> list[str]:
        """``docker load``: the lines to report (``Loaded image: busybox:latest``...)."""
        with self._load_lock:
            before = {info.digest for info in self._content.walk()}
            with open_archive(body, self._content) as archive:
                images = archive.images
                # Leaving the pool waits for the commit, so the archive never drops its
                # ingests under a running commit.
                with ThreadPoolExecutor(1, thread_name_prefix="load-commit") as pool:
                    commit = pool.submit(archive.commit)

                    def open_blob(digest: Digest) -> BinaryIO | None:
                        reader = archive.open_blob(digest)
                        if reader is None:
                            commit.result()  # unreadable ingest: wait for the stored blob
                        return reader

                    try:
                        renamed = self._registrar.register(
                            images, verify=False, open_blob=open_blob, committed=commit.result
                        )
                    except BaseException:
                        with contextlib.suppress(BaseException):
                            commit.result()
                        self._registrar.drop_unreferenced(_all_blobs(images) - before)
                        raise
        lines = list(renamed)
        for image in images:
            for name in image.names:
                lines.append(f"Loaded image: {reference.parse(name).familiar()}")
            if not image.names:
                lines.append(f"Loaded image ID: {image.config_digest}")
            self._event("load", image.config_digest, image.config_digest)
        return lines

    # -- commit -------------------------------------------------------------------------

    def store_layer(self, produce: Callable[[BinaryIO], bool]) -> Descriptor | None:
        """Stream an uncompressed layer tar from ``produce(out)`` into the content store.

        ``produce`` returns False when the layer turned out empty: nothing is kept and
        None is returned (dockerd records an empty layer as history only). The blob digest
        is the diff_id, as for imports.
        """
        writer = self._content.writer(f"commit-{time.time_ns()}")
        try:
            out = _WriterFile(writer.write)
            if not produce(out):  # type: ignore[arg-type]
                writer.abort()
                return None
            digest = writer.commit()
        except BaseException:
            writer.abort()
            raise
        return Descriptor(media_type=mediatypes.OCI_LAYER, digest=digest, size=out.size)

    def add_child_image(
        self,
        parent_id: str,
        layer: Descriptor | None,
        config: ImageConfig,
        ref: reference.Reference | None = None,
    ) -> str:
        """Record ``config`` as a child of ``parent_id`` (``docker commit``); return its id.

        The manifest is the parent's layers plus ``layer`` (from :meth:`store_layer`);
        the new layer is unpacked into a snapshot keyed by its chain id, the image is
        recorded with its parent and tagged ``ref``. On failure blobs written here that no
        image references are deleted.
        """
        parent = self._store.get(Digest(parent_id)) if parent_id else None
        layers: tuple[Descriptor, ...] = ()
        if parent is not None:
            with self._content.open(parent.target.digest) as fh:
                layers = Manifest.from_bytes(fh.read()).layers
        if layer is not None:
            layers = (*layers, layer)
        new: set[Digest] = {layer.digest} if layer is not None else set()
        try:
            config_desc, is_new = write_blob(
                self._content, config.to_bytes(), mediatypes.OCI_CONFIG
            )
            if is_new:
                new.add(config_desc.digest)
            manifest = Manifest(config=config_desc, layers=layers)
            manifest_desc, is_new = write_blob(
                self._content, manifest.to_bytes(), mediatypes.OCI_MANIFEST
            )
            if is_new:
                new.add(manifest_desc.digest)
            image = ArchiveImage(
                config_digest=config_desc.digest,
                manifest=manifest,
                manifest_digest=manifest_desc.digest,
                diff_ids=config.diff_ids,
                names=(str(ref),) if ref is not None else (),
            )
            self._registrar.register([image], verify=False, parent=parent_id)
        except BaseException:
            self._registrar.drop_unreferenced(new)
            raise
        if ref is not None:
            self._event("tag", image.config_digest, ref.familiar())
        return image.config_digest

    # -- save (see image_save) ------------------------------------------------------------

    def save_plan(self, names: Sequence[str]) -> list[ArchiveImage]:
        """Resolve ``names`` (NotFound before anything is streamed) into archive images."""
        return self._saver.plan(names)

    def save_layout(self, images: Sequence[ArchiveImage]) -> ArchiveLayout:
        """The docker-archive of ``images`` laid out, its size known (NotFound for a blob
        removed since), before anything is streamed."""
        return self._saver.layout(images)

    def open_blob(self, digest: Digest) -> BinaryIO:
        """A committed blob's file, to stream a layout's blob parts (NotFound if gone)."""
        return self._content.open(digest)

    def saved(self, images: Sequence[ArchiveImage]) -> None:
        """Report ``images`` as saved (the ``save`` events), once the archive is sent."""
        self._saver.saved(images)

    def save(self, images: Sequence[ArchiveImage], out: BinaryIO) -> None:
        """Write the docker-archive of ``images`` (from :meth:`save_plan`) to ``out``."""
        self._saver.save(images, out)

    # -- tag, delete, prune -------------------------------------------------------------

    def tag(self, name: str, repo: str, tag: str) -> None:
        ref = repo_tag_reference(repo, tag)
        with self._lock:
            record = self._store.resolve(name)
            self._store.tag(ref, record.id)
        self._event("tag", record.id, ref.familiar())

    def delete(self, name: str, *, force: bool = False, prune: bool = True) -> list[DeleteItem]:
        return self._remover.delete(name, force=force, prune=prune)

    def prune(self, filters: Filters) -> PruneReport:
        return self._remover.prune(filters, time.time())

    # -- queries ------------------------------------------------------------------------

    def count(self) -> int:
        return self._store.count()

    def image_config(self, image_id: str) -> ImageConfig:
        """The parsed config of an image (cached; configs are immutable)."""
        return self._configs.get(Digest(image_id))

    def rootfs_parent(self, image_id: str) -> str:
        """The committed snapshot holding the image's top layer ("" for no layers)."""
        record = self._store.get(Digest(image_id))
        if not record.top_chain:
            return ""
        layer = self._store.layer(record.top_chain)
        if layer is None:
            raise DockyardError(f"image {image_id} is not unpacked: layer {record.top_chain}")
        return layer.snapshot_key

    def resolve(self, name: str) -> ImageRecord:
        return self._store.resolve(name)

    def list_images(
        self, *, all_images: bool = False, filters: Filters | None = None, shared_size: bool = False
    ) -> list[ImageSummary]:
        return self._queries.list_images(
            all_images=all_images, filters=filters, shared_size=shared_size
        )

    def inspect(self, name: str) -> ImageDetails:
        return self._queries.inspect(name)

    def history(self, name: str) -> list[HistoryItem]:
        """Newest first; the top entry carries the image id and tags, others ``<missing>``."""
        return self._queries.history(name)

    def disk_usage(self) -> tuple[int, list[ImageSummary]]:
        """``/system/df``: the bytes of all layers and every image with its shared size."""
        return self._queries.disk_usage()


class _WriterFile:
    """A write-only file object over a content writer's ``write``, counting bytes."""

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self._write = write
        self.size = 0

    def write(self, data: bytes) -> int:
        self._write(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def _all_blobs(images: Sequence[ArchiveImage]) -> set[Digest]:
    out: set[Digest] = set()
    for image in images:
        out.update((image.manifest_digest, image.config_digest))
        out.update(layer.digest for layer in image.manifest.layers)
    return out
