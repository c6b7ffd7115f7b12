"""Read-only image queries: ``docker images``, ``image inspect``, ``history`` and ``system df``.

Nothing here takes the service's mutation lock: each answer is read from the store as it
is, and an image removed meanwhile shows as NotFound (or is left out of a listing).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from dockyard.apitypes.filters import Filters, validate_keys
from dockyard.apitypes.images import GraphDriver, HistoryItem, ImageDetails, ImageSummary
from dockyard.errors import InvalidParameter, NotFound
from dockyard.image.configs import ConfigCache
from dockyard.image.filters import dangling_filter, labels_match, parse_timestamp
from dockyard.image.filters import reference_matches as ref_matches
from dockyard.image.store import ImageRecord, ImageStore
from dockyard.oci.digest import Digest
from dockyard.util.timefmt import parse_rfc3339, rfc3339_nano

__all__ = ["LIST_FILTERS", "ImageQueries", "LayerDirs"]

LIST_FILTERS = ("before", "dangling", "label", "reference", "since", "until")
LayerDirs = Callable[[str], list[str]]


class ImageQueries:
    """``layer_dirs(chain_id)`` lists a committed layer's directories top first (overlay),
    for inspect's GraphDriver; without it GraphDriver carries no data."""

    def __init__(
        self,
        store: ImageStore,
        configs: ConfigCache,
        *,
        layer_dirs: LayerDirs | None = None,
        graph_driver: str = "overlay2",
    ) -> None:
        self._store = store
        self._configs = configs
        self._layer_dirs = layer_dirs
        self._graph_driver = graph_driver

    def labels(self, image_id: Digest) -> dict[str, str]:
        """The image config's labels; none for an image whose config is gone or unreadable."""
        try:
            return dict(self._configs.get(image_id).config.labels)
        except (NotFound, InvalidParameter):
            return {}

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
            labels = self.labels(record.id)
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
                    self.labels(record.id),
                    shared.get(record.id, 0),
                    containers=0,
                )
            )
        return layers_size, out
