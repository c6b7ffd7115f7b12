"""The image metadata store: images, their tags, the blobs they keep and the unpacked layers.

Rows live in the daemon's sqlite (tables ``images``, ``tags``, ``image_blobs``, ``layers``
from :mod:`dockyard.metadata.migrations`); blobs live in the content store and layers in
the snapshotter. This module only records and answers; it never touches blobs or
snapshots, so every method is one short transaction.

Tags are normalized references (``str(Reference)``): ``docker.io/library/busybox:latest``
or ``docker.io/library/busybox@sha256:...``. :meth:`ImageStore.resolve` is Docker's lookup
of what a user typed (id, id prefix, name, name:tag, name@digest).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dockyard.errors import InvalidParameter, NotFound
from dockyard.metadata.db import Database
from dockyard.oci import reference
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest, is_digest
from dockyard.oci.reference import Reference

__all__ = [
    "ImageRecord",
    "ImageStore",
    "LayerRecord",
    "NewImage",
    "no_such_image",
    "repo_tag_reference",
]

_HEX_PREFIX = re.compile(r"^[a-f0-9]{1,64}$")
_SELECT = (
    "SELECT images.*, image_state.top_chain, image_state.last_tag_time FROM images"
    " LEFT JOIN image_state ON image_state.image_id = images.id"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}")


def no_such_image(name: str) -> NotFound:
    return NotFound(f"No such image: {name}")


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """One image; ``id`` is its config digest and ``target`` the manifest kept for it."""

    id: Digest
    target: Descriptor
    created: float
    size: int
    parent: str = ""
    top_chain: str = ""
    last_tag_time: float = 0.0


@dataclass(frozen=True, slots=True)
class LayerRecord:
    """An unpacked layer: the committed snapshot ``snapshot_key`` holds chain ``chain_id``."""

    chain_id: Digest
    diff_id: Digest
    parent: str
    snapshot_key: str
    blob: Descriptor
    size: int


@dataclass(frozen=True, slots=True)
class NewImage:
    """An image to record: its row, the blobs it keeps alive, the tags to point at it."""

    record: ImageRecord
    blobs: tuple[Digest, ...]
    tags: tuple[Reference, ...] = ()


def repo_tag_reference(repo: str, tag: str) -> Reference:
    """Docker's ``repo``/``tag`` query pair as one tagged reference (tag defaults to latest)."""
    if not repo:
        raise InvalidParameter("repository name must not be empty")
    ref = reference.parse(repo)
    if ref.digest:
        raise InvalidParameter("cannot import digest reference")
    if tag:
        if not _TAG.fullmatch(tag):
            raise InvalidParameter(f"invalid tag format: {tag!r}")
        ref = ref.with_tag(tag)
    ref = ref.with_default_tag()
    if ref.familiar_name == "sha256":
        raise InvalidParameter("refusing to create an ambiguous tag using digest algorithm as name")
    return ref


def _image(row: sqlite3.Row) -> ImageRecord:
    return ImageRecord(
        id=Digest(row["id"]),
        target=Descriptor(
            media_type=row["target_media_type"],
            digest=Digest(row["target_digest"]),
            size=row["target_size"],
        ),
        created=row["created"],
        size=row["size"],
        parent=row["parent"],
        top_chain=row["top_chain"] or "",
        last_tag_time=row["last_tag_time"] or 0.0,
    )


def _layer(row: sqlite3.Row) -> LayerRecord:
    return LayerRecord(
        chain_id=Digest(row["chain_id"]),
        diff_id=Digest(row["diff_id"]),
        parent=row["parent"],
        snapshot_key=row["snapshot_key"],
        blob=Descriptor(
            media_type=row["blob_media_type"],
            digest=Digest(row["blob_digest"]),
            size=row["blob_size"],
        ),
        size=row["size"],
    )


def _tag_key(ref: Reference) -> str:
    """The row key of a reference: a digest wins over a tag, as Docker stores them."""
    if ref.digest:
        return f"{ref.name}@{ref.digest}"
    return str(ref.with_default_tag())


class ImageStore:
    """Thread-safe (through :class:`Database`); see the module doc for what it holds."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- images -------------------------------------------------------------------------

    def find(self, image_id: str) -> ImageRecord | None:
        row = self._db.query_one(_SELECT + " WHERE images.id = ?", (image_id,))
        return None if row is None else _image(row)

    def get(self, image_id: str) -> ImageRecord:
        record = self.find(image_id)
        if record is None:
            raise no_such_image(image_id)
        return record

    def images(self) -> list[ImageRecord]:
        return [_image(r) for r in self._db.query(_SELECT + " ORDER BY images.created DESC")]

    def count(self) -> int:
        row = self._db.query_one("SELECT COUNT(*) FROM images")
        return int(row[0]) if row is not None else 0

    def children(self, image_id: str) -> list[Digest]:
        rows = self._db.query("SELECT id FROM images WHERE parent = ?", (image_id,))
        return [Digest(r["id"]) for r in rows]

    def add(
        self, record: ImageRecord, blobs: Iterable[Digest], tags: Sequence[Reference] = ()
    ) -> list[tuple[Reference, Digest]]:
        """Record one image; see :meth:`add_all`."""
        return self.add_all([NewImage(record, tuple(blobs), tuple(tags))])

    def add_all(self, images: Sequence[NewImage]) -> list[tuple[Reference, Digest]]:
        """Record images (replacing rows of the same id) and move their tags, atomically.

        Returns the tags that moved away from another image, with that image's id: Docker
        tells the user the old image is now untagged.
        """
        moved: list[tuple[Reference, Digest]] = []
        now = time.time()
        with self._db.transaction() as tx:
            for new in images:
                record = new.record
                tx.execute(
                    "INSERT INTO images (id, target_media_type, target_digest, target_size,"
                    " created, size, parent) VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE"
                    " SET target_media_type=excluded.target_media_type,"
                    " target_digest=excluded.target_digest, target_size=excluded.target_size,"
                    " size=excluded.size",
                    (
                        record.id,
                        record.target.media_type,
                        record.target.digest,
                        record.target.size,
                        record.created,
                        record.size,
                        record.parent,
                    ),
                )
                tx.execute(
                    "INSERT INTO image_state (image_id, top_chain, last_tag_time) VALUES (?,?,?)"
                    " ON CONFLICT(image_id) DO UPDATE SET top_chain=excluded.top_chain",
                    (record.id, record.top_chain, record.last_tag_time),
                )
                tx.executemany(
                    "INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?, ?)",
                    [(record.id, d) for d in new.blobs],
                )
                for ref in new.tags:
                    old = self._set_tag(tx, ref, record.id, now)
                    if old is not None:
                        moved.append((ref, old))
        return moved

    def delete(self, image_id: str) -> list[Digest]:
        """Drop the image, its tags and blob references; return blobs nothing else keeps."""
        with self._db.transaction() as tx:
            own = [
                r[0]
                for r in tx.execute(
                    "SELECT digest FROM image_blobs WHERE image_id = ?", (image_id,)
                ).fetchall()
            ]
            tx.execute("DELETE FROM tags WHERE image_id = ?", (image_id,))
            tx.execute("DELETE FROM image_blobs WHERE image_id = ?", (image_id,))
            tx.execute("DELETE FROM image_state WHERE image_id = ?", (image_id,))
            tx.execute("DELETE FROM images WHERE id = ?", (image_id,))
            still = {
                r[0]
                for d in own
                for r in tx.execute(
                    "SELECT digest FROM image_blobs WHERE digest = ? LIMIT 1", (d,)
                ).fetchall()
            }
        return [Digest(d) for d in own if d not in still]

    def blob_referenced(self, digest: str) -> bool:
        row = self._db.query_one("SELECT 1 FROM image_blobs WHERE digest = ? LIMIT 1", (digest,))
        return row is not None

    # -- tags ---------------------------------------------------------------------------

    def tags(self, image_id: str) -> list[Reference]:
        rows = self._db.query("SELECT name FROM tags WHERE image_id = ? ORDER BY name", (image_id,))
        return [reference.parse(r["name"]) for r in rows]

    def all_tags(self) -> dict[str, list[Reference]]:
        out: dict[str, list[Reference]] = {}
        for r in self._db.query("SELECT name, image_id FROM tags ORDER BY name"):
            out.setdefault(r["image_id"], []).append(reference.parse(r["name"]))
        return out

    def tag(self, ref: Reference, image_id: str) -> Digest | None:
        """Point ``ref`` at the image; return the image it was taken from, if another."""
        with self._db.transaction() as tx:
            return self._set_tag(tx, ref, image_id, time.time())

    def untag(self, ref: Reference) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM tags WHERE name = ?", (_tag_key(ref),))

    def tags_in_repo(self, name: str) -> list[tuple[Reference, Digest]]:
        """Every tag (not digest) of the repository ``name`` (``docker.io/library/x``)."""
        rows = self._db.query(
            "SELECT name, image_id FROM tags WHERE name LIKE ? ESCAPE '\\' ORDER BY name",
            (_like_escape(name) + ":%",),
        )
        out = []
        for r in rows:
            ref = reference.parse(r["name"])
            if ref.name == name and ref.tag and not ref.digest:
                out.append((ref, Digest(r["image_id"])))
        return out

    @staticmethod
    def _set_tag(
        tx: sqlite3.Connection, ref: Reference, image_id: str, now: float
    ) -> Digest | None:
        key = _tag_key(ref)
        row = tx.execute("SELECT image_id FROM tags WHERE name = ?", (key,)).fetchone()
        old = None if row is None or row[0] == image_id else Digest(row[0])
        tx.execute(
            "INSERT INTO tags (name, image_id) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id",
            (key, image_id),
        )
        tx.execute(
            "INSERT INTO image_state (image_id, last_tag_time) VALUES (?, ?)"
            " ON CONFLICT(image_id) DO UPDATE SET last_tag_time=excluded.last_tag_time",
            (image_id, now),
        )
        return old

    # -- lookup -------------------------------------------------------------------------

    def resolve(self, name: str) -> ImageRecord:
        """Docker's lookup of ``name``: full id, name[:tag][@digest], then a unique id prefix.

        NotFound ``No such image: <name>``; InvalidParameter when ``name`` is neither a valid
        reference nor an id prefix (the reason is the reference parser's).
        """
        if not name:
            raise no_such_image(name)
        if is_digest(name):
            return self.get_named(name, name)
        if re.fullmatch(r"[a-f0-9]{64}", name):
            return self.get_named("sha256:" + name, name)
        parse_error: InvalidParameter | None = None
        try:
            ref: Reference | None = reference.parse(name)
        except InvalidParameter as err:
            ref, parse_error = None, err
        if ref is not None:
            found = self._by_reference(ref)
            if found is not None:
                return found
        prefix = name.removeprefix("sha256:")
        if _HEX_PREFIX.match(prefix):
            rows = self._db.query(
                _SELECT + " WHERE images.id LIKE ? LIMIT 2", ("sha256:" + prefix + "%",)
            )
            if len(rows) == 1:
                return _image(rows[0])
            if len(rows) > 1:
                raise InvalidParameter(f"multiple IDs found with provided prefix: {name}")
        if parse_error is not None:
            raise parse_error
        raise no_such_image(name)

    def get_named(self, image_id: str, name: str) -> ImageRecord:
        record = self.find(image_id)
        if record is None:
            raise no_such_image(name)
        return record

    def resolve_reference(self, ref: Reference) -> ImageRecord | None:
        """The image a parsed reference names, or None."""
        return self._by_reference(ref)

    def _by_reference(self, ref: Reference) -> ImageRecord | None:
        row = self._db.query_one(
            _SELECT + " JOIN tags ON images.id = tags.image_id WHERE tags.name = ?",
            (_tag_key(ref),),
        )
        if row is not None:
            return _image(row)
        if not ref.digest:
            return None
        # name@digest also finds an image kept under that manifest and tagged in that repo.
        for r in self._db.query(
            _SELECT + " WHERE images.target_digest = ? OR images.id = ?", (ref.digest, ref.digest)
        ):
            record = _image(r)
            if any(t.name == ref.name for t in self.tags(record.id)):
                return record
        return None

    # -- layers -------------------------------------------------------------------------

    def layer(self, chain_id: str) -> LayerRecord | None:
        row = self._db.query_one("SELECT * FROM layers WHERE chain_id = ?", (chain_id,))
        return None if row is None else _layer(row)

    def layers(self) -> list[LayerRecord]:
        return [_layer(r) for r in self._db.query("SELECT * FROM layers")]

    def layer_index(self) -> dict[str, LayerRecord]:
        return {str(layer.chain_id): layer for layer in self.layers()}

    def add_layer(self, layer: LayerRecord) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO layers (chain_id, diff_id, parent, snapshot_key,"
                " blob_digest, blob_media_type, blob_size, size) VALUES (?,?,?,?,?,?,?,?)",
                (
                    layer.chain_id,
                    layer.diff_id,
                    layer.parent,
                    layer.snapshot_key,
                    layer.blob.digest,
                    layer.blob.media_type,
                    layer.blob.size,
                    layer.size,
                ),
            )

    def remove_layer(self, chain_id: str) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM layers WHERE chain_id = ?", (chain_id,))

    def chain(
        self, top_chain: str, layers: dict[str, LayerRecord] | None = None
    ) -> list[LayerRecord]:
        """The layers of a chain, top first (stops at a missing row)."""
        index = layers if layers is not None else self.layer_index()
        out: list[LayerRecord] = []
        current = top_chain
        while current and current in index:
            out.append(index[current])
            current = index[current].parent
        return out

    def layer_users(self) -> dict[str, int]:
        """How many images use each chain id (directly or as a parent)."""
        index = self.layer_index()
        users: dict[str, int] = {}
        for image in self.images():
            for layer in self.chain(image.top_chain, index):
                users[layer.chain_id] = users.get(layer.chain_id, 0) + 1
        return users


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
