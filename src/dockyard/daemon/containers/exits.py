"""What happens when a container's process ends: bookkeeping, teardown, and what's next.

The monitor reports every exit (also those that happened while the daemon was down: it
keeps the record until told to forget it). For each, this module records the exit code,
time and OOM kill, unmounts the rootfs and deletes the runtime's state, resolves waiters,
emits ``oom``/``die``, then applies AutoRemove or the restart policy. It takes no container
lock: ``stop`` holds that lock while it waits for exactly this to happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Coroutine
from typing import Any

from dockyard.daemon.containers import rootfs
from dockyard.daemon.containers.context import ContainerContext, Exit
from dockyard.daemon.containers.remove import remove
from dockyard.daemon.containers.restart_policy import Backoff, should_restart, should_start_at_boot
from dockyard.daemon.containers.start import start_locked, stop_hooks
from dockyard.daemon.containers.state import LIVE, Status, transition
from dockyard.daemon.containers.store import Container
from dockyard.errors import DockyardError, NotFound
from dockyard.runtime.monitor.client import Reconnected
from dockyard.runtime.monitor.protocol import ExitEvent
from dockyard.util.timefmt import parse_rfc3339, rfc3339_nano

__all__ = ["ExitHandler"]

log = logging.getLogger(__name__)
LOST_EXIT_CODE = 255


class ExitHandler:
    def __init__(self, ctx: ContainerContext) -> None:
        self.ctx = ctx
        self.backoff = Backoff()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Consume the monitor's notifications until cancelled."""
        async for event in self.ctx.monitor.events():
            try:
                if isinstance(event, Reconnected):
                    await self.reconcile()
                elif isinstance(event, ExitEvent):
                    await self.on_exit(event)
            except Exception:
                log.exception("handling monitor event %r failed", event)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def on_exit(self, event: ExitEvent) -> None:
        if event.exec_id is not None:
            await self._exec_exited(event)
            return
        code = event.status if event.status is not None else LOST_EXIT_CODE
        await self.container_exited(event.cid, code, event.oom, event.time)

    async def _exec_exited(self, event: ExitEvent) -> None:
        ctx = self.ctx
        code = event.status if event.status is not None else LOST_EXIT_CODE
        with contextlib.suppress(NotFound):
            ctx.store.update_exec(
                event.exec_id or "",
                lambda r: dataclasses.replace(r, running=False, exit_code=code, pid=0),
            )
        ctx.waiters.exited(f"exec:{event.exec_id}", Exit(code))
        with contextlib.suppress(DockyardError):
            await ctx.monitor.forget(event.cid, event.exec_id)

    async def container_exited(
        self, cid: str, code: int, oom: bool, when: float, error: str = ""
    ) -> None:
        ctx = self.ctx
        try:
            c = ctx.store.get(cid)
        except NotFound:
            with contextlib.suppress(DockyardError):
                await ctx.monitor.forget(cid)
            return
        await asyncio.to_thread(self._teardown, c)

        def exited(cur: Container) -> Container:
            state = cur.state
            if state.status in LIVE:
                state = transition(state, Status.EXITED)
            state = dataclasses.replace(
                state, pid=0, exit_code=code, oom_killed=oom, error=error,
                finished_at=rfc3339_nano(when),
            )  # fmt: skip
            return dataclasses.replace(cur, state=state)

        c = ctx.store.update(cid, exited)
        for hook in ctx.on_exited:
            hook(cid)
        with contextlib.suppress(DockyardError):
            await ctx.monitor.forget(cid)
        if oom:
            ctx.emit("oom", cid, image=c.image, name=c.name)
        ctx.emit("die", cid, image=c.image, name=c.name, exitCode=str(code))
        ctx.waiters.exited(cid, Exit(code, error))
        if c.state.status is Status.REMOVING:
            return
        if c.host_config.auto_remove:
            self._spawn(self._auto_remove(cid))
        elif should_restart(
            c.host_config.restart_policy, code, c.restart_count, c.manually_stopped
        ):
            ran_for = when - parse_rfc3339(c.state.started_at) if c.state.started_at else 0.0
            self._spawn(self._restart(cid, self.backoff.next_delay(cid, ran_for)))

    def _teardown(self, c: Container) -> None:
        with contextlib.suppress(DockyardError):
            runtime = self.ctx.runtime(c.host_config.runtime).runtime
            if runtime.exists(c.id):
                runtime.delete(c.id, force=True)
        stop_hooks(self.ctx, c)
        rootfs.unmount_rootfs(self.ctx.layout, c.id)

    async def _auto_remove(self, cid: str) -> None:
        try:
            await remove(self.ctx, cid, force=True, volumes=True)
        except NotFound:
            pass
        except DockyardError as err:
            log.warning("auto-removing %s failed: %s", cid[:12], err)

    async def _restart(self, cid: str, delay: float) -> None:
        ctx = self.ctx
        try:
            c = ctx.store.update(
                cid,
                lambda cur: dataclasses.replace(
                    cur, state=transition(cur.state, Status.RESTARTING)
                ),
            )
        except (NotFound, DockyardError):
            return
        await asyncio.sleep(delay)
        async with ctx.locks[cid]:
            try:
                c = ctx.store.get(cid)
            except NotFound:
                return
            if c.state.status is not Status.RESTARTING or c.manually_stopped:
                return
            c = ctx.store.update(
                cid,
                lambda cur: dataclasses.replace(
                    cur,
                    restart_count=cur.restart_count + 1,
                    state=transition(cur.state, Status.EXITED),
                ),
            )
            try:
                await start_locked(ctx, c, cid)
            except DockyardError as err:
                log.warning("restarting %s failed: %s", cid[:12], err)
                failed = ctx.store.get(cid)
                if should_restart(
                    failed.host_config.restart_policy,
                    failed.state.exit_code or 1,
                    failed.restart_count,
                    failed.manually_stopped,
                ):
                    self._spawn(self._restart(cid, self.backoff.next_delay(cid, 0.0)))

    async def reconcile(self) -> None:
        """Match the store with what the monitor holds (after a daemon or monitor restart).

        A container the store thinks is alive but the monitor reports exited gets its real
        exit; one the monitor no longer knows at all (its record was lost with a monitor
        crash, so its exit code is unknowable) is marked exited with code 255 and an Error
        saying so. Containers the restart policy brings back at boot are started.
        """
        ctx = self.ctx
        held = {info.cid: info for info in await ctx.monitor.state()}
        for c in ctx.store.list():
            info = held.get(c.id)
            if c.state.status in LIVE:
                if info is None or info.status == "unknown":
                    await self.container_exited(
                        c.id, LOST_EXIT_CODE, False, time.time(),
                        error="container state was lost: its monitor record is gone",
                    )  # fmt: skip
                elif info.status == "exited":
                    code = info.exit_code if info.exit_code is not None else LOST_EXIT_CODE
                    await self.container_exited(c.id, code, info.oom, info.exited_at or time.time())
                continue
            if c.state.status is Status.EXITED and should_start_at_boot(
                c.host_config.restart_policy, c.manually_stopped, c.state.exit_code
            ):
                self._spawn(self._restart(c.id, 0.0))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
