"""Numbered schema migrations; the index in MIGRATIONS + 1 is the schema version.

Never edit a migration that has shipped: append a new one. Each is a list of statements run
in one transaction together with the ``user_version`` bump.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

_V1_IMAGES = [
    # One row per image; id is the config digest. target_* is the manifest Dockyard keeps for
    # it (written on import/load/build so that save and push never need to invent one).
    """CREATE TABLE images (
        id TEXT PRIMARY KEY,
        target_media_type TEXT NOT NULL,
        target_digest TEXT NOT NULL,
        target_size INTEGER NOT NULL,
        created REAL NOT NULL,
        size INTEGER NOT NULL DEFAULT 0,
        parent TEXT NOT NULL DEFAULT ''
    )""",
    # Normalized references (docker.io/library/busybox:latest, name@sha256:...) -> image.
    """CREATE TABLE tags (
        name TEXT PRIMARY KEY,
        image_id TEXT NOT NULL REFERENCES images(id)
    )""",
    "CREATE INDEX tags_image ON tags(image_id)",
    # Unpacked layers, keyed by chain id; snapshot_key names the committed snapshot and
    # blob_* the layer as stored in the content store (compressed as it came).
    """CREATE TABLE layers (
        chain_id TEXT PRIMARY KEY,
        diff_id TEXT NOT NULL,
        parent TEXT NOT NULL DEFAULT '',
        snapshot_key TEXT NOT NULL,
        blob_digest TEXT NOT NULL,
        blob_media_type TEXT NOT NULL,
        blob_size INTEGER NOT NULL,
        size INTEGER NOT NULL
    )""",
    "CREATE INDEX layers_diff ON layers(diff_id)",
    # Which blobs each image keeps alive (manifest, config, layers): garbage collection
    # deletes a blob only when no image references it and no lease holds it.
    """CREATE TABLE image_blobs (
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        digest TEXT NOT NULL,
        PRIMARY KEY (image_id, digest)
    )""",
    "CREATE INDEX image_blobs_digest ON image_blobs(digest)",
]

_V2_IMAGE_STATE = [
    # Per-image state kept beside ``images`` (so its column list stays as shipped):
    # top_chain is the chain id of the image's top layer — the layers an image keeps alive
    # are that ``layers`` row and its parents, so garbage collection never reads configs;
    # last_tag_time is when a tag last moved onto the image (Docker's LastTagTime), 0 never.
    """CREATE TABLE image_state (
        image_id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        top_chain TEXT NOT NULL DEFAULT '',
        last_tag_time REAL NOT NULL DEFAULT 0
    )""",
]

MIGRATIONS: list[list[str]] = [_V1_IMAGES, _V2_IMAGE_STATE]
