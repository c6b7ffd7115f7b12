"""``docker save``: which images an export names, and the docker-archive that carries them.

Saving is planned in two steps so the API can fail before it streams anything:
:meth:`ImageSaver.plan` resolves the names (NotFound), :meth:`ImageSaver.layout` sizes the
archive from the blobs (NotFound for one removed since); then the parts are streamed and
:meth:`ImageSaver.saved` reports the ``save`` events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import BinaryIO

from dockyard.content.base import ContentStore
from dockyard.errors import InvalidParameter
from dockyard.image.archive_types import ArchiveImage
from dockyard.image.archive_write import ArchiveLayout, layout_archive, write_layout
from dockyard.image.configs import ConfigCache
from dockyard.image.store import ImageStore
from dockyard.oci import reference
from dockyard.oci.digest import Digest
from dockyard.oci.image import Manifest

__all__ = ["ImageSaver"]

Event = Callable[[str, str, str], None]


class ImageSaver:
    """``event(action, image_id, name)`` emits an image event (the service's)."""

    def __init__(
        self, store: ImageStore, content: ContentStore, configs: ConfigCache, event: Event
    ) -> None:
        self._store = store
        self._content = content
        self._configs = configs
        self._event = event

    def plan(self, names: Sequence[str]) -> list[ArchiveImage]:
        """Resolve ``names`` (NotFound before anything is streamed) into archive images."""
        if not names:
            raise InvalidParameter("no image names given to export")
        order: list[Digest] = []
        wanted: dict[Digest, list[str]] = {}
        for name in names:
            for image_id, ref in self._targets(name):
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

    def _targets(self, name: str) -> list[tuple[Digest, str]]:
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

    def layout(self, images: Sequence[ArchiveImage]) -> ArchiveLayout:
        """The docker-archive of ``images`` (from :meth:`plan`) laid out, its size
        known: NotFound for a blob removed since, before anything is streamed."""
        return layout_archive(images, self._content)

    def saved(self, images: Sequence[ArchiveImage]) -> None:
        """Report ``images`` as saved (the ``save`` events), once the archive is sent."""
        for image in images:
            self._event("save", image.config_digest, image.config_digest)

    def save(self, images: Sequence[ArchiveImage], out: BinaryIO) -> None:
        """Write the docker-archive of ``images`` (from :meth:`plan`) to ``out``."""
        write_layout(self.layout(images), self._content, out)
        self.saved(images)
