"""The image service: import, load, save, tag, list, inspect, history, delete, prune.

Synchronous (the API calls it through ``asyncio.to_thread``). Concurrency model: one
mutation lock covers unpacking and every change of images, tags and layers, so garbage
collection never races a registration; streaming a body into the content store happens
outside it (an import's layer) or under a separate load lock (``open_archive``), so a slow
upload does not block ``rmi``. Before registering, the blobs are checked to still exist
(a concurrent delete could have collected a shared one): the error then asks to retry.

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
from dataclasses import dataclass
from typing import BinaryIO

from dockyard.apitypes.filters import Filters, validate_keys
from dockyard.apitypes.images import (
    DeleteItem,
    GraphDriver,
    HistoryItem,
    ImageDetails,
    ImageSummary,
    PruneReport,
)
from dockyard.content.base import ContentStore
from dockyard.daemon.image_remove import ImageRemover
from dockyard.errors import DockyardError, InvalidParameter, NotFound
from dockyard.events.bus import EventBus
from dockyard.image.archive_read import open_archive
from dockyard.image.archive_types import ArchiveImage
from dockyard.image.archive_write import ArchiveLayout, layout_archive, write_layout
from dockyard.image.configs import ConfigCache
from dockyard.image.filters import dangling_filter, labels_match, parse_timestamp
from dockyard.image.filters import reference_matches as ref_matches
from dockyard.image.importer import ImportOptions, import_rootfs, write_blob
from dockyard.image.store import ImageRecord, ImageStore, NewImage, repo_tag_reference
from dockyard.image.unpack import BlobOpener, Unpacker, UnpackResult
from dockyard.oci import mediatypes, reference
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest
from dockyard.oci.image import ImageConfig, Manifest
from dockyard.snapshot.base import Snapshotter
from dockyard.util.timefmt import parse_rfc3339, rfc3339_nano

__all__ = ["LIST_FILTERS", "ImageService"]

log = logging.getLogger(__name__)

LIST_FILTERS = ("before", "dangling", "label", "reference", "since", "until")
LayerDirs = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class _Registered:
    image: ArchiveImage
    record: ImageRecord


def _created(config: ImageConfig) -> float:
    try:
        return parse_rfc3339(config.created) if config.created else time.time()
    except ValueError:
        return time.time()


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
        self._layer_dirs = layer_dirs
        self._graph_driver = graph_driver
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
        try:
            return dict(self._configs.get(image_id).config.labels)
        except (NotFound, InvalidParameter):
            return {}

    # -- registration (import and load) -------------------------------------------------

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

    def _register(
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

    def _drop_unreferenced(self, digests: set[Digest]) -> None:
        with self._lock:
            for digest in digests:
                if self._store.blob_referenced(digest):
                    continue
                with contextlib.suppress(NotFound):
                    self._content.delete(digest)

    def import_image(self, body: BinaryIO, options: ImportOptions) -> str:
        """``docker import``: returns the new image id."""
        imported = import_rootfs(self._content, body, options)
        try:
            self._register([imported.image], verify=False)
        except BaseException:
            self._drop_unreferenced(set(imported.new_blobs))
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
                        renamed = self._register(
                            images, verify=False, open_blob=open_blob, committed=commit.result
                        )
                    except BaseException:
                        with contextlib.suppress(BaseException):
                            commit.result()
                        self._drop_unreferenced(_all_blobs(images) - before)
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
            self._register([image], verify=False, parent=parent_id)
        except BaseException:
            self._drop_unreferenced(new)
            raise
        if ref is not None:
            self._event("tag", image.config_digest, ref.familiar())
        return image.config_digest

    # -- save ---------------------------------------------------------------------------

    def save_plan(self, names: Sequence[str]) -> list[ArchiveImage]:
        """Resolve ``names`` (NotFound before anything is streamed) into archive images."""
        if not names:
            raise InvalidParameter("no image names given to export")
        order: list[Digest] = []
        wanted: dict[Digest, list[str]] = {}
        for name in names:
            for image_id, ref in self._save_targets(name):
                if image_id not in wanted:
                    order.append(image_id)
                    wanted[image_id] = []
                if ref and ref not in wanted[image_id]:
                    wanted[image_id].append(ref)
        out = []
        for image_id in order:
            record = self._store.get(image_id)
            config = self._configs.get(image_id)
            with self._content.open(record.target.digest) as fh:
                manifest = Manifest.from_bytes(fh.read())
            out.append(
                ArchiveImage(
                    config_digest=image_id,
                    manifest=manifest,
                    manifest_digest=record.target.digest,
                    diff_ids=config.diff_ids,
                    names=tuple(wanted[image_id]),
                )
            )
        return out

    def _save_targets(self, name: str) -> list[tuple[Digest, str]]:
        try:
            ref = reference.parse(name)
        except InvalidParameter:
            ref = None
        if ref is not None and not ref.tag and not ref.digest:
            in_repo = self._store.tags_in_repo(ref.name)
            if in_repo:
                return [(image_id, str(tag)) for tag, image_id in in_repo]
        record = self._store.resolve(name)
        if ref is not None and self._store.resolve_reference(ref) == record:
            named = ref if ref.digest else ref.with_default_tag()
            return [(record.id, str(named))]
        return [(record.id, "")]

    def save_layout(self, images: Sequence[ArchiveImage]) -> ArchiveLayout:
        """The docker-archive of ``images`` (from :meth:`save_plan`) laid out, its size
        known: NotFound for a blob removed since, before anything is streamed."""
        return layout_archive(images, self._content)

    def open_blob(self, digest: Digest) -> BinaryIO:
        """A committed blob's file, to stream a layout's blob parts (NotFound if gone)."""
        return self._content.open(digest)

    def saved(self, images: Sequence[ArchiveImage]) -> None:
        """Report ``images`` as saved (the ``save`` events), once the archive is sent."""
        for image in images:
            self._event("save", image.config_digest, image.config_digest)

    def save(self, images: Sequence[ArchiveImage], out: BinaryIO) -> None:
        """Write the docker-archive of ``images`` (from :meth:`save_plan`) to ``out``."""
        write_layout(self.save_layout(images), self._content, out)
        self.saved(images)

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
        filters = filters or {}
        validate_keys(filters, LIST_FILTERS)
        dangling = dangling_filter(filters.get("dangling", []))
        now = time.time()
        before = [self._store.resolve(v).created for v in filters.get("before", [])]
        since = [self._store.resolve(v).created for v in filters.get("since", [])]
        until = [parse_timestamp(v, now) for v in filters.get("until", [])]
        patterns = filters.get("reference", [])
        tags_by_image = self._store.all_tags()
        records = self._store.images()
        parents = {r.parent for r in records if r.parent}
        shared = self._shared_sizes(records) if shared_size else {}
        out: list[ImageSummary] = []
        for record in records:
            if any(record.created >= b for b in before) or any(record.created <= s for s in since):
                continue
            if any(record.created > u for u in until):
                continue
            labels = self._labels(record.id)
            if "label" in filters and not labels_match(labels, filters["label"]):
                continue
            refs = tags_by_image.get(record.id, [])
            if patterns:
                refs = [r for r in refs if any(ref_matches(p, r) for p in patterns)]
            tags = tuple(r.familiar() for r in refs if not r.digest)
            digests = tuple(r.familiar() for r in refs if r.digest)
            if not tags and not digests:
                if (not all_images and record.id in parents) or dangling is False or patterns:
                    continue
            elif dangling is True and tags:
                continue
            out.append(self._summary(record, tags, digests, labels, shared.get(record.id, -1)))
        return out

    def _summary(
        self,
        record: ImageRecord,
        tags: tuple[str, ...],
        digests: tuple[str, ...],
        labels: dict[str, str],
        shared_size: int,
        containers: int = -1,
    ) -> ImageSummary:
        return ImageSummary(
            id=record.id,
            parent_id=record.parent,
            repo_tags=tags,
            repo_digests=digests,
            created=int(record.created),
            size=record.size,
            labels=labels,
            shared_size=shared_size,
            containers=containers,
        )

    def _shared_sizes(self, records: Sequence[ImageRecord]) -> dict[str, int]:
        index = self._store.layer_index()
        users: dict[str, int] = {}
        chains = {r.id: self._store.chain(r.top_chain, index) for r in records}
        for chain in chains.values():
            for layer in chain:
                users[layer.chain_id] = users.get(layer.chain_id, 0) + 1
        return {
            image_id: sum(layer.size for layer in chain if users[layer.chain_id] > 1)
            for image_id, chain in chains.items()
        }

    def inspect(self, name: str) -> ImageDetails:
        record = self._store.resolve(name)
        config = self._configs.get(record.id)
        refs = self._store.tags(record.id)
        data: dict[str, str] | None = None
        if self._layer_dirs is not None and record.top_chain:
            dirs = self._layer_dirs(record.top_chain)
            if dirs:
                data = {"UpperDir": dirs[0], "WorkDir": dirs[0].rsplit("/", 1)[0] + "/work"}
                if len(dirs) > 1:
                    data["LowerDir"] = ":".join(dirs[1:])
        return ImageDetails(
            id=record.id,
            repo_tags=tuple(r.familiar() for r in refs if not r.digest),
            repo_digests=tuple(r.familiar() for r in refs if r.digest),
            parent=record.parent,
            comment=config.comment,
            created=config.created or rfc3339_nano(record.created),
            docker_version=config.docker_version,
            author=config.author,
            config=config.config,
            architecture=config.architecture,
            variant=config.variant,
            os=config.os,
            size=record.size,
            graph_driver=GraphDriver(name=self._graph_driver, data=data),
            layers=tuple(config.diff_ids),
            last_tag_time=rfc3339_nano(record.last_tag_time) if record.last_tag_time else "",
        )

    def history(self, name: str) -> list[HistoryItem]:
        """Newest first; the top entry carries the image id and tags, others ``<missing>``."""
        record = self._store.resolve(name)
        config = self._configs.get(record.id)
        sizes = [layer.size for layer in reversed(self._store.chain(record.top_chain))]
        items: list[HistoryItem] = []
        layer = 0
        for entry in config.history:
            size = 0
            if not entry.empty_layer:
                size = sizes[layer] if layer < len(sizes) else 0
                layer += 1
            created = 0
            if entry.created:
                try:
                    created = int(parse_rfc3339(entry.created))
                except ValueError:
                    created = 0
            items.append(
                HistoryItem(
                    id="<missing>",
                    created=created,
                    created_by=entry.created_by,
                    tags=None,
                    size=size,
                    comment=entry.comment,
                )
            )
        items.reverse()
        current: ImageRecord | None = record
        for i, item in enumerate(items):
            if current is None:
                break
            tags = tuple(r.familiar() for r in self._store.tags(current.id) if not r.digest)
            items[i] = HistoryItem(
                id=current.id,
                created=item.created,
                created_by=item.created_by,
                tags=tags or None,
                size=item.size,
                comment=item.comment,
            )
            current = self._store.find(current.parent) if current.parent else None
        return items

    def disk_usage(self) -> tuple[int, list[ImageSummary]]:
        """``/system/df``: the bytes of all layers and every image with its shared size."""
        records = self._store.images()
        layers_size = sum(layer.size for layer in self._store.layers())
        shared = self._shared_sizes(records)
        tags_by_image = self._store.all_tags()
        out = []
        for record in records:
            refs = tags_by_image.get(record.id, [])
            out.append(
                self._summary(
                    record,
                    tuple(r.familiar() for r in refs if not r.digest),
                    tuple(r.familiar() for r in refs if r.digest),
                    self._labels(record.id),
                    shared.get(record.id, 0),
                    containers=0,
                )
            )
        return layers_size, out


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
