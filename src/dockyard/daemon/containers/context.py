"""What every container verb works with: records, images, storage, the monitor, runtimes.

The verbs are functions over one :class:`ContainerContext`, built once by the daemon's
wiring. Each container has an asyncio lock so that verbs on the same container never
interleave (start while stop runs, two removes), while different containers proceed in
parallel.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.containers.hooks import ContainerHooks
from dockyard.daemon.containers.layout import ContainerLayout
from dockyard.daemon.containers.store import ContainerStore
from dockyard.daemon.images import ImageService
from dockyard.errors import InvalidParameter
from dockyard.events.bus import EventBus
from dockyard.runtime.base import Runtime
from dockyard.runtime.monitor.client import MonitorClient
from dockyard.runtime.monitor.protocol import RuntimeRef
from dockyard.snapshot.base import Snapshotter

__all__ = ["ContainerContext", "ExitWaiters", "RuntimeChoice"]


@dataclass(frozen=True, slots=True)
class RuntimeChoice:
    """A configured OCI runtime: the daemon's handle and what the monitor needs to run it."""

    runtime: Runtime
    ref: RuntimeRef


class UpperDirs(Protocol):
    def upper_dir(self, key: str) -> object: ...


@dataclass(frozen=True, slots=True)
class Exit:
    code: int
    error: str = ""


class ExitWaiters:
    """Futures for ``wait`` callers: resolved at the next exit or at removal of a container."""

    def __init__(self) -> None:
        self._exit: defaultdict[str, list[asyncio.Future[Exit]]] = defaultdict(list)
        self._removed: defaultdict[str, list[asyncio.Future[Exit]]] = defaultdict(list)

    def next_exit(self, cid: str) -> asyncio.Future[Exit]:
        future: asyncio.Future[Exit] = asyncio.get_running_loop().create_future()
        self._exit[cid].append(future)
        return future

    def removal(self, cid: str) -> asyncio.Future[Exit]:
        future: asyncio.Future[Exit] = asyncio.get_running_loop().create_future()
        self._removed[cid].append(future)
        return future

    def exited(self, cid: str, result: Exit) -> None:
        for future in self._exit.pop(cid, []):
            if not future.done():
                future.set_result(result)

    def removed(self, cid: str, result: Exit) -> None:
        self.exited(cid, result)
        for future in self._removed.pop(cid, []):
            if not future.done():
                future.set_result(result)


@dataclass
class ContainerContext:
    config: DaemonConfig
    store: ContainerStore
    images: ImageService
    snapshotter: Snapshotter
    events: EventBus
    monitor: MonitorClient
    layout: ContainerLayout
    runtimes: dict[str, RuntimeChoice]
    host_capabilities: tuple[str, ...]
    init_binary: str | None
    waiters: ExitWaiters = field(default_factory=ExitWaiters)
    locks: defaultdict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))
    # Hooks the network and volume services fill in (issue 5); defaults do nothing.
    on_removed: list[Callable[[str], None]] = field(default_factory=list)
    # The network and volume services' part of create/start/stop/rm/inspect (hooks.py).
    hooks: list[ContainerHooks] = field(default_factory=list)
    # Attaches waiting for a start (attach.py): each is awaited once by start.py right after
    # the monitor holds the new process and before it runs, so no output is missed.
    pending_attaches: defaultdict[str, list[Callable[[], Awaitable[None]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Called in the event loop with the container id once a start is recorded (start.py)
    # and once an exit is recorded (exits.py): the health checks start and stop here.
    on_started: list[Callable[[str], None]] = field(default_factory=list)
    on_exited: list[Callable[[str], None]] = field(default_factory=list)

    def runtime(self, name: str) -> RuntimeChoice:
        try:
            return self.runtimes[name or self.config.default_runtime]
        except KeyError as err:
            raise InvalidParameter(f"unknown or invalid runtime name: {name}") from err

    def emit(self, action: str, cid: str, **attributes: str) -> None:
        self.events.emit("container", action, cid, **attributes)
