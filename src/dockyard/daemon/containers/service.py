"""The container service: the verbs as one object, for the API routes and for wiring.

It holds no logic of its own: each method delegates to the verb's module, so the route
table stays thin and each verb stays testable alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractAsyncContextManager
from typing import BinaryIO

from dockyard.apitypes.container_create import ContainerCreateRequest
from dockyard.apitypes.container_fs import Change, CommitOptions, PathStat, PutArchiveOptions
from dockyard.apitypes.containers import ContainerView
from dockyard.apitypes.filters import Filters
from dockyard.apitypes.host_config import Resources, RestartPolicy
from dockyard.apitypes.stats import Stats, TopResult
from dockyard.daemon.containers import archive as archive_mod
from dockyard.daemon.containers import commit as commit_mod
from dockyard.daemon.containers import create as create_mod
from dockyard.daemon.containers import export as export_mod
from dockyard.daemon.containers import fsdiff as fsdiff_mod
from dockyard.daemon.containers import pause as pause_mod
from dockyard.daemon.containers import prune as prune_mod
from dockyard.daemon.containers import query
from dockyard.daemon.containers import remove as remove_mod
from dockyard.daemon.containers import rename as rename_mod
from dockyard.daemon.containers import start as start_mod
from dockyard.daemon.containers import stop as stop_mod
from dockyard.daemon.containers import top as top_mod
from dockyard.daemon.containers import update as update_mod
from dockyard.daemon.containers.context import ContainerContext, Exit
from dockyard.daemon.containers.exits import ExitHandler
from dockyard.daemon.containers.health import HealthMonitor
from dockyard.daemon.containers.state import Status
from dockyard.daemon.containers.stats import CgroupReader, stats_stream
from dockyard.daemon.containers.wait import register_wait

__all__ = ["ContainerService"]


class ContainerService:
    def __init__(self, ctx: ContainerContext) -> None:
        self.ctx = ctx
        self.exits = ExitHandler(ctx)
        self._watcher: asyncio.Task[None] | None = None
        self.health = HealthMonitor(ctx)
        ctx.on_started.append(self.health.started)
        ctx.on_exited.append(self.health.exited)
        self.cgroups = CgroupReader()

    # -- lifecycle of the service ---------------------------------------------------------

    async def open(self) -> None:
        """Connect to the monitor, catch up on exits, apply restart policies, then watch."""
        await self.ctx.monitor.connect()
        await self.exits.reconcile()
        self.health.resume()
        self._watcher = asyncio.create_task(self.exits.run())

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        await self.exits.close()
        await self.health.close()
        await self.ctx.monitor.close()

    # -- verbs -----------------------------------------------------------------------------

    async def create(self, req: ContainerCreateRequest, name: str) -> create_mod.CreateResult:
        return await create_mod.create(self.ctx, req, name)

    async def start(self, ref: str) -> None:
        await start_mod.start(self.ctx, ref)

    async def stop(self, ref: str, timeout: int | None, signal: str | None) -> None:
        await stop_mod.stop(self.ctx, ref, timeout, signal)

    async def restart(self, ref: str, timeout: int | None) -> None:
        await stop_mod.restart(self.ctx, ref, timeout)

    async def kill(self, ref: str, signal: str | None) -> None:
        await stop_mod.kill(self.ctx, ref, signal)

    async def pause(self, ref: str) -> None:
        await pause_mod.pause(self.ctx, ref)

    async def unpause(self, ref: str) -> None:
        await pause_mod.unpause(self.ctx, ref)

    def wait(self, ref: str, condition: str) -> asyncio.Future[Exit]:
        return register_wait(self.ctx, ref, condition)

    async def remove(self, ref: str, force: bool, volumes: bool = False) -> None:
        await remove_mod.remove(self.ctx, ref, force=force, volumes=volumes)

    async def top(self, ref: str, ps_args: str) -> TopResult:
        return await top_mod.top(self.ctx, self.cgroups, ref, ps_args)

    def stats(self, ref: str, *, stream: bool, one_shot: bool) -> AsyncGenerator[Stats, None]:
        return stats_stream(self.ctx, self.cgroups, ref, stream=stream, one_shot=one_shot)

    async def update(
        self, ref: str, resources: Resources, restart_policy: RestartPolicy, ncpu: int | None
    ) -> tuple[str, ...]:
        req = update_mod.UpdateRequest(resources, restart_policy)
        return await update_mod.update(self.ctx, ref, req, ncpu=ncpu)

    async def rename(self, ref: str, new_name: str) -> None:
        await rename_mod.rename(self.ctx, ref, new_name)

    async def prune(self, filters: Filters) -> prune_mod.PruneReport:
        return await prune_mod.prune(self.ctx, filters)

    # -- filesystem (cp, export, diff, commit) ---------------------------------------------

    async def path_stat(self, ref: str, path: str) -> PathStat:
        return await archive_mod.path_stat(self.ctx, ref, path)

    def open_archive(
        self, ref: str, path: str
    ) -> AbstractAsyncContextManager[archive_mod.ArchiveStream]:
        return archive_mod.open_archive(self.ctx, ref, path)

    async def extract_archive(self, ref: str, body: BinaryIO, options: PutArchiveOptions) -> None:
        await archive_mod.extract_archive(self.ctx, ref, body, options)

    def open_export(self, ref: str) -> AbstractAsyncContextManager[Callable[[BinaryIO], None]]:
        return export_mod.open_export(self.ctx, ref)

    async def changes(self, ref: str) -> list[Change]:
        return await fsdiff_mod.container_changes(self.ctx, ref)

    async def commit(self, options: CommitOptions) -> str:
        return await commit_mod.commit(self.ctx, options)

    # -- queries ---------------------------------------------------------------------------

    def inspect(self, ref: str, size: bool = False) -> ContainerView:
        return query.view(self.ctx, self.ctx.store.get(ref), size=size)

    def list(self, *, all_: bool, limit: int, size: bool, filters: Filters) -> list[ContainerView]:
        return query.list_containers(self.ctx, all_=all_, limit=limit, size=size, filters=filters)

    def counts(self) -> tuple[int, int, int]:
        """Running, paused, stopped — for /info."""
        running = paused = stopped = 0
        for c in self.ctx.store.list():
            if c.state.status is Status.RUNNING or c.state.status is Status.RESTARTING:
                running += 1
            elif c.state.status is Status.PAUSED:
                paused += 1
            else:
                stopped += 1
        return running, paused, stopped

    def image_in_use(self, image_id: str) -> tuple[str, bool] | None:
        """A container created from ``image_id`` (a running one first), for ``rmi``."""
        users = [c for c in self.ctx.store.list() if c.image_id == image_id]
        users.sort(key=lambda c: c.state.status is not Status.RUNNING)
        if not users:
            return None
        return users[0].id, users[0].state.status is Status.RUNNING
