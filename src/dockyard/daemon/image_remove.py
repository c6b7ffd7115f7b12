"""``docker rmi`` and ``docker image prune``: Docker's untag/delete rules and garbage.

Delete follows moby's ``ImageDelete``:

* by NAME: untag it; when other tags remain that is all (``[{"Untagged"}]``), else the
  image is deleted too (unless that conflicts, then it stays, dangling);
* by ID: an image with tags in more than one repository is a soft conflict (``must be
  forced``); force untags everything and deletes;
* an image a running container uses, or that has child images, is a hard conflict
  (``cannot be forced``).

Deleting collects garbage at once: the blobs no other image references leave the content
store, and the unpacked layers (snapshots) no other image uses are removed, children first.
Everything runs under the service's mutation lock.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.apitypes.filters import Filters, validate_keys
from dockyard.apitypes.images import DeleteItem, PruneReport
from dockyard.content.base import ContentStore
from dockyard.errors import Conflict, NotFound
from dockyard.image.configs import ConfigCache
from dockyard.image.filters import dangling_filter, labels_match, parse_timestamp
from dockyard.image.store import ImageRecord, ImageStore
from dockyard.image.unpack import Unpacker
from dockyard.oci import reference
from dockyard.oci.digest import short_id
from dockyard.oci.reference import Reference

__all__ = ["DeleteConflict", "ImageRemover"]

Emit = Callable[[str, str, dict[str, str]], None]
PRUNE_FILTERS = ("dangling", "until", "label", "label!")


class DeleteConflict(Conflict):
    """Docker's ``imageDeleteConflict``: ``hard`` cannot be forced; ``used`` by a container."""

    def __init__(self, image_id: str, message: str, *, hard: bool, used: bool = False) -> None:
        forced = "cannot be forced" if hard else "must be forced"
        super().__init__(f"conflict: unable to delete {short_id(image_id)} ({forced}) - {message}")
        self.hard = hard
        self.used = used


@dataclass(frozen=True, slots=True)
class _Mask:
    hard: bool = True
    active_reference: bool = False


def is_single_reference(refs: list[Reference]) -> bool:
    """moby's ``isSingleReference``: one tag, plus any digests of that same repository."""
    tags = [r for r in refs if not r.digest]
    digest_repos = {r.name for r in refs if r.digest}
    if len(refs) <= 1:
        return len(refs) == 1
    if len(tags) > 1:
        return False
    single = tags[0] if tags else refs[0]
    return len(digest_repos) == 1 and single.name in digest_repos


def is_id_prefix(image_id: str, text: str) -> bool:
    return image_id.startswith(text) or image_id.partition(":")[2].startswith(text)


class ImageRemover:
    def __init__(
        self,
        store: ImageStore,
        content: ContentStore,
        unpacker: Unpacker,
        configs: ConfigCache,
        emit: Emit,
        lock: threading.RLock,
        in_use: Callable[[str], tuple[str, bool] | None],
    ) -> None:
        self._store = store
        self._content = content
        self._unpacker = unpacker
        self._configs = configs
        self._emit = emit
        self._lock = lock
        self._in_use = in_use

    def delete(self, name: str, *, force: bool = False, prune: bool = True) -> list[DeleteItem]:
        with self._lock:
            record = self._store.resolve(name)
            items: list[DeleteItem] = []
            refs = self._store.tags(record.id)
            if not is_id_prefix(record.id, name):
                if not self._untag_name(record, name, refs, force, items):
                    return items
                self._delete(record, items, force=force, prune=prune, quiet=True)
                return items
            if is_single_reference(refs):
                self._check(record, _Mask(hard=True, active_reference=False), force)
                for ref in refs:
                    self._untag(record, ref, items)
            self._delete(record, items, force=force, prune=prune, quiet=False)
            return items

    def _untag_name(
        self,
        record: ImageRecord,
        name: str,
        refs: list[Reference],
        force: bool,
        out: list[DeleteItem],
    ) -> bool:
        """Remove the reference ``name``; True when no reference is left (delete it too)."""
        parsed = reference.parse(name)
        ref = parsed if parsed.digest else parsed.with_default_tag()
        if not force and is_single_reference(refs):
            user = self._in_use(record.id)
            if user:
                cid = user[0]
                raise Conflict(
                    f'conflict: unable to remove repository reference "{name}" (must force) -'
                    f" container {cid[:12]} is using its referenced image {short_id(record.id)}"
                )
        self._untag(record, ref, out)
        remaining = self._store.tags(record.id)
        if not ref.digest and not any(not r.digest and r.name == ref.name for r in remaining):
            # The last tag of a repository takes that repository's digests with it.
            for other in remaining:
                if other.digest and other.name == ref.name:
                    self._untag(record, other, out)
            remaining = self._store.tags(record.id)
        return not remaining

    def _untag(self, record: ImageRecord, ref: Reference, out: list[DeleteItem]) -> None:
        self._store.untag(ref)
        out.append(DeleteItem(untagged=ref.familiar()))
        self._event("untag", record)

    def _check(self, record: ImageRecord, mask: _Mask, force: bool) -> None:
        if self._store.children(record.id):
            raise DeleteConflict(record.id, "image has dependent child images", hard=True)
        user = self._in_use(record.id)
        if user:
            # dockerd lets --force delete an image a *stopped* container uses; here its
            # container's writable layer sits on the image's snapshots, so removal waits
            # until that container is gone (hard either way).
            cid, running = user
            raise DeleteConflict(
                record.id,
                f"image is being used by {'running' if running else 'stopped'} "
                f"container {cid[:12]}",
                hard=True,
                used=True,
            )
        if not force and mask.active_reference and self._store.tags(record.id):
            raise DeleteConflict(
                record.id, "image is referenced in multiple repositories", hard=False
            )

    def _delete(
        self, record: ImageRecord, out: list[DeleteItem], *, force: bool, prune: bool, quiet: bool
    ) -> None:
        try:
            self._check(record, _Mask(active_reference=True), force)
        except DeleteConflict:
            if quiet:
                return  # the untag already did what was asked; the image stays
            raise
        for ref in self._store.tags(record.id):
            self._untag(record, ref, out)
        self.collect(record)
        out.append(DeleteItem(deleted=record.id))
        if prune and record.parent:
            parent = self._store.find(record.parent)
            if parent is not None and not self._store.tags(parent.id):
                self._delete(parent, out, force=False, prune=True, quiet=True)

    def collect(self, record: ImageRecord) -> int:
        """Forget the image and remove the blobs and layers only it kept; bytes freed."""
        attributes = {**self._labels(record), "name": record.id}  # before the config goes
        chain = self._store.chain(record.top_chain)
        orphans = self._store.delete(record.id)
        users = self._store.layer_users()
        unused = [layer for layer in chain if layer.chain_id not in users]
        reclaimed = sum(layer.size for layer in unused)
        self._unpacker.remove([layer.chain_id for layer in unused])
        for digest in orphans:
            with contextlib.suppress(NotFound):
                reclaimed += self._content.info(digest).size
                self._content.delete(digest)
        self._emit("delete", record.id, attributes)
        return reclaimed

    def _event(self, action: str, record: ImageRecord) -> None:
        self._emit(action, record.id, {**self._labels(record), "name": record.id})

    def _labels(self, record: ImageRecord) -> dict[str, str]:
        try:
            return self._configs.get(record.id).config.labels
        except NotFound:
            return {}

    def prune(self, filters: Filters, now: float) -> PruneReport:
        validate_keys(filters, PRUNE_FILTERS)
        dangling = dangling_filter(filters.get("dangling", []))
        dangling_only = dangling is not False
        until = [parse_timestamp(v, now) for v in filters.get("until", [])]
        items: list[DeleteItem] = []
        reclaimed = 0
        with self._lock:
            for record in self._store.images():
                if until and any(record.created >= u for u in until):
                    continue
                labels = self._labels(record)
                if "label" in filters and not labels_match(labels, filters["label"]):
                    continue
                if any(labels_match(labels, [spec]) for spec in filters.get("label!", [])):
                    continue
                refs = self._store.tags(record.id)
                if (refs and dangling_only) or self._store.children(record.id):
                    continue
                if self._in_use(record.id):
                    continue
                for ref in refs:
                    self._untag(record, ref, items)
                reclaimed += self.collect(record)
                items.append(DeleteItem(deleted=record.id))
        self._emit("prune", "", {"reclaimed": str(reclaimed)})
        return PruneReport(deleted=tuple(items), space_reclaimed=reclaimed)
