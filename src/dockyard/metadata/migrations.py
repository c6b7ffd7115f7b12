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

_V3_CONTAINERS = [
    # One row per container. name is unique and kept without Docker's leading "/"; image is
    # the reference as the client gave it, image_id what it resolved to. config,
    # host_config and networking are the wire JSON of the create request (daemon defaults
    # applied), state the JSON of State (status, pid, exit code, times, health).
    """CREATE TABLE containers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        image_id TEXT NOT NULL,
        image TEXT NOT NULL,
        created REAL NOT NULL,
        path TEXT NOT NULL DEFAULT '',
        args TEXT NOT NULL DEFAULT '[]',
        config TEXT NOT NULL,
        host_config TEXT NOT NULL,
        networking TEXT NOT NULL,
        state TEXT NOT NULL,
        restart_count INTEGER NOT NULL DEFAULT 0,
        has_been_started INTEGER NOT NULL DEFAULT 0,
        manually_stopped INTEGER NOT NULL DEFAULT 0,
        log_path TEXT NOT NULL DEFAULT '',
        mount_label TEXT NOT NULL DEFAULT '',
        platform TEXT NOT NULL DEFAULT 'linux',
        driver TEXT NOT NULL DEFAULT '',
        snapshot_key TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX containers_image ON containers(image_id)",
    # Exec instances; process is the JSON of the process to run, exit_code NULL until it ended.
    """CREATE TABLE execs (
        id TEXT PRIMARY KEY,
        container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
        process TEXT NOT NULL,
        running INTEGER NOT NULL DEFAULT 0,
        pid INTEGER NOT NULL DEFAULT 0,
        exit_code INTEGER,
        created REAL NOT NULL
    )""",
    "CREATE INDEX execs_container ON execs(container_id)",
]

_V4_NETWORKS = [
    # One row per network (the predefined bridge/host/none too). subnet/gateway/ip_range are
    # "" for drivers without addresses; bridge is the kernel link name; labels and options
    # are JSON objects; ipam is the JSON of the network's address pool (ipam.Subnet.to_dict:
    # every allocated address), updated in the same transaction as the endpoint taking one.
    """CREATE TABLE networks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        driver TEXT NOT NULL,
        subnet TEXT NOT NULL DEFAULT '',
        gateway TEXT NOT NULL DEFAULT '',
        ip_range TEXT NOT NULL DEFAULT '',
        bridge TEXT NOT NULL DEFAULT '',
        internal INTEGER NOT NULL DEFAULT 0,
        attachable INTEGER NOT NULL DEFAULT 0,
        labels TEXT NOT NULL DEFAULT '{}',
        options TEXT NOT NULL DEFAULT '{}',
        created REAL NOT NULL,
        ipam TEXT NOT NULL DEFAULT ''
    )""",
    # A container's attachment to a network, from create (or connect) to removal (or
    # disconnect). endpoint_id, ip and mac are set while the container is joined (running)
    # and "" otherwise; requested_ip is the user's --ip; aliases and links are JSON lists;
    # ports the JSON list of published [proto, host_ip, host_port, container_port] (kept so
    # that a restarted daemon re-holds the same host ports).
    """CREATE TABLE endpoints (
        container_id TEXT NOT NULL,
        network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
        endpoint_id TEXT NOT NULL DEFAULT '',
        ip TEXT NOT NULL DEFAULT '',
        mac TEXT NOT NULL DEFAULT '',
        requested_ip TEXT NOT NULL DEFAULT '',
        aliases TEXT NOT NULL DEFAULT '[]',
        links TEXT NOT NULL DEFAULT '[]',
        ports TEXT NOT NULL DEFAULT '[]',
        position INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (container_id, network_id)
    )""",
    "CREATE INDEX endpoints_network ON endpoints(network_id)",
]

_V5_CONTAINER_MOUNTS = [
    # A container's mounts as planned at create (binds, named and anonymous volumes, tmpfs,
    # --volumes-from resolved): mounts is a JSON list in spec order; each volume entry has
    # a "copied" flag set once the image's content was copied up into it.
    """CREATE TABLE container_mounts (
        container_id TEXT PRIMARY KEY,
        mounts TEXT NOT NULL DEFAULT '[]'
    )""",
]

MIGRATIONS: list[list[str]] = [
    _V1_IMAGES,
    _V2_IMAGE_STATE,
    _V3_CONTAINERS,
    _V4_NETWORKS,
    _V5_CONTAINER_MOUNTS,
]
