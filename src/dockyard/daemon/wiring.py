"""The composition root: the only module that names concrete implementations.

Everything the daemon runs is built here from a :class:`DaemonConfig` and joined together;
services receive their collaborators and never construct them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from dockyard.api import server
from dockyard.api.routes import images as image_routes
from dockyard.api.routes import system as system_routes
from dockyard.apitypes.images import summary_to_wire
from dockyard.content.local import LocalContentStore
from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.images import ImageService
from dockyard.daemon.storage_probe import overlay_supported
from dockyard.daemon.system import ContainerCounts, SystemService
from dockyard.events.bus import Event, EventBus
from dockyard.image.store import ImageStore
from dockyard.metadata.db import Database
from dockyard.snapshot.metastore import DirSnapshotter
from dockyard.snapshot.native import NativeSnapshotter
from dockyard.snapshot.overlay import OverlaySnapshotter
from dockyard.util.atomic import atomic_write
from dockyard.util.ids import random_id

__all__ = ["Engine", "build"]

log = logging.getLogger(__name__)


@dataclass
class Engine:
    """Every long-lived object of a running daemon, for main.py and for tests."""

    config: DaemonConfig
    db: Database
    events: EventBus
    system: SystemService
    app: web.Application
    closers: list[Callable[[], None]] = field(default_factory=list)
    images: ImageService | None = None

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()
        self.db.close()


class _SystemFacade:
    """Joins the system service, the event bus and each service's disk usage for the API."""

    def __init__(self, system: SystemService, events: EventBus) -> None:
        self._system = system
        self._events = events
        self.usage_sections: list[Callable[[], dict[str, Any]]] = []

    def version(self) -> Any:
        return self._system.version()

    def info(self) -> Any:
        return self._system.info()

    def disk_usage(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "LayersSize": 0,
            "Images": [],
            "Containers": [],
            "Volumes": [],
            "BuildCache": [],
        }
        for section in self.usage_sections:
            doc.update(section())
        return doc

    def subscribe(self, subscriber: Callable[[Event], None]) -> list[Event]:
        return self._events.subscribe(subscriber)

    def unsubscribe(self, subscriber: Callable[[Event], None]) -> None:
        self._events.unsubscribe(subscriber)


def _engine_id(data_root: Path) -> str:
    """A stable identity for this data root, made once (Docker's ``ID`` in /info)."""
    path = data_root / "engine-id"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        value = random_id()
        atomic_write(path, value.encode())
        return value


def _build_images(
    data_root: Path, db: Database, events: EventBus
) -> tuple[ImageService, DirSnapshotter]:
    """Content store, snapshotter (overlay when it works here, else native) and the service."""
    content = LocalContentStore(data_root / "content")
    snapshotter: DirSnapshotter
    if overlay_supported(data_root / "snapshots"):
        snapshotter = OverlaySnapshotter(data_root / "snapshots")
    else:
        snapshotter = NativeSnapshotter(data_root / "snapshots-native")
    snapshotter.cleanup()
    return ImageService(ImageStore(db), content, snapshotter, events), snapshotter


def _image_usage(images: ImageService) -> dict[str, Any]:
    layers_size, summaries = images.disk_usage()
    return {"LayersSize": layers_size, "Images": [summary_to_wire(s) for s in summaries]}


def build(config: DaemonConfig) -> Engine:
    data_root = Path(config.data_root)
    data_root.mkdir(parents=True, exist_ok=True, mode=0o711)
    Path(config.exec_root).mkdir(parents=True, exist_ok=True, mode=0o700)
    db = Database(data_root / "dockyard.db")
    events = EventBus()
    images, snapshotter = _build_images(data_root, db, events)
    system = SystemService(
        config,
        engine_id=_engine_id(data_root),
        image_count=images.count,
        container_counts=ContainerCounts,
        event_listeners=lambda: events.listeners,
        storage_driver="overlayfs",
        storage_status=lambda: [("driver-type", "io.containerd.snapshotter.v1")],
    )
    facade = _SystemFacade(system, events)
    facade.usage_sections.append(lambda: _image_usage(images))
    app = server.create_app(system_routes.setup(facade), image_routes.setup(images))
    engine = Engine(config=config, db=db, events=events, system=system, app=app, images=images)
    engine.closers.append(snapshotter.close)
    return engine
