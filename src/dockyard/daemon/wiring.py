"""The composition root: the only module that names concrete implementations.

Everything the daemon runs is built here from a :class:`DaemonConfig` and joined together;
services receive their collaborators and never construct them.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from dockyard.api import server
from dockyard.api.routes import attach as attach_routes
from dockyard.api.routes import container_fs as container_fs_routes
from dockyard.api.routes import container_ops as container_ops_routes
from dockyard.api.routes import containers as container_routes
from dockyard.api.routes import exec as exec_routes
from dockyard.api.routes import images as image_routes
from dockyard.api.routes import logs as logs_routes
from dockyard.api.routes import networks as network_routes
from dockyard.api.routes import system as system_routes
from dockyard.api.routes import volumes as volume_routes
from dockyard.apitypes.images import summary_to_wire
from dockyard.content.local import LocalContentStore
from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.containers.context import ContainerContext, RuntimeChoice
from dockyard.daemon.containers.io_service import ContainerIOService
from dockyard.daemon.containers.layout import ContainerLayout
from dockyard.daemon.containers.service import ContainerService
from dockyard.daemon.containers.store import ContainerStore
from dockyard.daemon.images import ImageService
from dockyard.daemon.networks.wiring import NetworkParts, build_networks
from dockyard.daemon.storage_probe import overlay_supported
from dockyard.daemon.system import ContainerCounts, SystemService
from dockyard.daemon.volumes.wiring import VolumeParts, build_volumes
from dockyard.errors import InvalidParameter
from dockyard.events.bus import Event, EventBus
from dockyard.image.store import ImageStore
from dockyard.metadata.db import Database
from dockyard.runtime import capabilities
from dockyard.runtime.monitor.client import MonitorClient, ensure_running
from dockyard.runtime.monitor.protocol import RuntimeRef
from dockyard.runtime.runc import RuncRuntime
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
    containers: ContainerService | None = None

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


def _host_capabilities() -> tuple[str, ...]:
    """The capabilities this daemon can grant (its bounding set), for --privileged."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return capabilities.from_mask(int(line.split()[1], 16))
    return ()


def _init_binary() -> str | None:
    """tini for --init: the static build first, since it must run inside any image."""
    for candidate in ("/usr/bin/tini-static", "/usr/bin/tini"):
        if Path(candidate).exists():
            return candidate
    return None


def _runtimes(config: DaemonConfig, root: Path) -> dict[str, RuntimeChoice]:
    """runc (Debian's) plus every runtime daemon.json names, each with its own state root."""
    paths = {"runc": shutil.which("runc") or "runc"}
    for name, spec in config.runtimes.items():
        path = spec.get("path") if isinstance(spec, dict) else None
        if not isinstance(path, str) or not path:
            raise InvalidParameter(f"runtime {name!r} in daemon.json needs a 'path'")
        paths[name] = path
    choices = {}
    for name, binary in paths.items():
        state_root = root if name == "runc" else root.with_name(f"runtime-{name}")
        runtime = RuncRuntime(state_root, binary=binary, name=name)
        choices[name] = RuntimeChoice(runtime, RuntimeRef(name, binary, str(state_root)))
    if config.default_runtime not in choices:
        raise InvalidParameter(f"default runtime {config.default_runtime!r} is not configured")
    return choices


def _build_containers(
    config: DaemonConfig, db: Database, events: EventBus, images: ImageService,
    snapshotter: DirSnapshotter,
) -> ContainerService:  # fmt: skip
    layout = ContainerLayout(Path(config.data_root), Path(config.exec_root))
    exec_root = Path(config.exec_root)

    async def spawn_monitor() -> None:
        await ensure_running(exec_root, layout.runtime_root)

    ctx = ContainerContext(
        config=config,
        store=ContainerStore(db),
        images=images,
        snapshotter=snapshotter,
        events=events,
        monitor=MonitorClient(exec_root, spawn=spawn_monitor),
        layout=layout,
        runtimes=_runtimes(config, layout.runtime_root),
        host_capabilities=_host_capabilities(),
        init_binary=_init_binary(),
    )
    service = ContainerService(ctx)
    images.image_in_use = service.image_in_use
    return service


def _io_routes(io: ContainerIOService) -> list[server.RouteSetup]:
    """attach/resize, logs and exec: the container I/O routes."""
    return [attach_routes.setup(io), logs_routes.setup(io), exec_routes.setup(io)]


def build(config: DaemonConfig) -> Engine:
    data_root = Path(config.data_root)
    data_root.mkdir(parents=True, exist_ok=True, mode=0o711)
    Path(config.exec_root).mkdir(parents=True, exist_ok=True, mode=0o700)
    db = Database(data_root / "dockyard.db")
    events = EventBus()
    images, snapshotter = _build_images(data_root, db, events)
    containers = _build_containers(config, db, events, images, snapshotter)
    networks: NetworkParts = build_networks(config, db, events, containers.ctx)
    volumes: VolumeParts = build_volumes(config, db, events, containers.ctx)

    def container_counts() -> ContainerCounts:
        running, paused, stopped = containers.counts()
        return ContainerCounts(running=running, paused=paused, stopped=stopped)

    system = SystemService(
        config,
        engine_id=_engine_id(data_root),
        image_count=images.count,
        container_counts=container_counts,
        event_listeners=lambda: events.listeners,
        storage_driver="overlayfs",
        storage_status=lambda: [("driver-type", "io.containerd.snapshotter.v1")],
    )
    facade = _SystemFacade(system, events)
    facade.usage_sections.append(lambda: _image_usage(images))
    facade.usage_sections.append(volumes.usage_section)
    app = server.create_app(
        system_routes.setup(facade),
        image_routes.setup(images),
        container_routes.setup(containers),
        network_routes.setup(networks.facade),
        volume_routes.setup(volumes.service),
        container_ops_routes.setup(containers),
        container_fs_routes.setup(containers),
        *_io_routes(ContainerIOService(containers.ctx)),
    )

    async def open_containers(_: web.Application) -> None:
        await containers.open()

    async def close_containers(_: web.Application) -> None:
        await containers.close()

    app.on_startup.append(networks.open_kernel)
    app.on_startup.append(open_containers)
    app.on_startup.append(networks.restore)
    app.on_cleanup.append(close_containers)
    engine = Engine(
        config=config, db=db, events=events, system=system, app=app, images=images,
        containers=containers,
    )  # fmt: skip
    engine.closers.append(snapshotter.close)
    return engine
