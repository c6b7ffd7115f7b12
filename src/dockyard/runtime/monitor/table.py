"""The monitor's table of containers: records that survive a restart, plus the live processes.

A container is a persisted :class:`ContainerRecord` and, while this monitor holds its stdio,
a :class:`Proc` for its init and one per exec. A container loaded from ``state.json`` after a
monitor restart has no Proc: if its init still lives it is ``orphaned`` (watched through a
pidfd, its exit code invisible), and once it is gone it is ``unknown``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.errors import Conflict, NotFound
from dockyard.runtime.monitor.procs import Proc
from dockyard.runtime.monitor.protocol import ContainerInfo, ExecInfo
from dockyard.runtime.monitor.records import (
    ContainerRecord,
    load_records,
    pid_start_time,
    save_records,
)

__all__ = ["Container", "Table"]

log = logging.getLogger(__name__)

SAVE_DELAY = 0.05


@dataclass(slots=True, eq=False)
class Container:
    record: ContainerRecord
    proc: Proc | None = None
    execs: dict[str, Proc] = field(default_factory=dict)
    pidfd: int | None = None

    def info(self) -> ContainerInfo:
        r = self.record
        execs = tuple(
            ExecInfo(e.exec_id or "", e.pid, e.status, e.exit_code, e.exited_at)
            for e in self.execs.values()
        )
        return ContainerInfo(r.cid, r.pid, r.status, r.exit_code, r.exited_at, r.oom, execs)


class Table:
    """Containers by id, processes by pid, and the debounced ``state.json``."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        state_file: Path,
        on_orphan_exit: Callable[[Container], None],
    ) -> None:
        self._loop = loop
        self._state_file = state_file
        self._on_orphan_exit = on_orphan_exit
        self.containers: dict[str, Container] = {}
        self.by_pid: dict[int, Proc] = {}
        self._save_handle: asyncio.TimerHandle | None = None

    # -- lookup ----------------------------------------------------------------------------

    def container(self, cid: str) -> Container:
        try:
            return self.containers[cid]
        except KeyError:
            raise NotFound(f"No such container: {cid}") from None

    def proc(self, cid: str, exec_id: str | None) -> Proc:
        """The live process (init or exec) whose stdio this monitor holds."""
        c = self.container(cid)
        if exec_id:
            proc = c.execs.get(exec_id)
            if proc is None:
                raise NotFound(f"No such exec instance: {exec_id}")
            return proc
        if c.proc is None:
            raise Conflict(f"container {cid} is {c.record.status}: its stdio is not held")
        return c.proc

    # -- changes ---------------------------------------------------------------------------

    def add(self, container: Container) -> None:
        self.containers[container.record.cid] = container
        if container.proc is not None and not container.proc.reaped:
            self.by_pid[container.proc.pid] = container.proc
        self.dirty()

    def add_exec(self, container: Container, proc: Proc) -> None:
        container.execs[proc.exec_id or ""] = proc
        if not proc.reaped:
            self.by_pid[proc.pid] = proc

    def forget(self, cid: str, exec_id: str | None) -> None:
        c = self.container(cid)
        if exec_id:
            proc = c.execs.get(exec_id)
            if proc is None:
                raise NotFound(f"No such exec instance: {exec_id}")
            if not proc.finished:
                raise Conflict(f"exec {exec_id} is still running")
            del c.execs[exec_id]
            return
        if c.record.status not in ("exited", "unknown"):
            raise Conflict(f"container {cid} is {c.record.status}: cannot forget it")
        del self.containers[cid]
        self.dirty()

    def dirty(self) -> None:
        """Persist soon: a burst of changes (500 creates) costs one write, not 500."""
        if self._save_handle is None:
            self._save_handle = self._loop.call_later(SAVE_DELAY, self.save)

    def save(self) -> None:
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_handle = None
        try:
            save_records(self._state_file, [c.record for c in self.containers.values()])
        except OSError as err:
            log.error("cannot write %s: %s", self._state_file, err)

    # -- restart ---------------------------------------------------------------------------

    def load(self) -> None:
        """Take over what a previous monitor held, saying truthfully what is unknown."""
        for record in load_records(self._state_file):
            c = Container(record)
            self.containers[record.cid] = c
            if record.status in ("exited", "unknown"):
                continue
            if record.pid_start and pid_start_time(record.pid) == record.pid_start:
                record.status = "orphaned"
                self._watch(c)
            else:
                record.status = "unknown"
                record.exited_at = record.exited_at or time.time()
            log.info("container %s from the previous monitor: %s", record.cid, record.status)
        self.dirty()

    def _watch(self, c: Container) -> None:
        try:
            c.pidfd = os.pidfd_open(c.record.pid)
        except OSError:
            self._orphan_ended(c)
            return
        self._loop.add_reader(c.pidfd, self._orphan_ended, c)

    def _orphan_ended(self, c: Container) -> None:
        if c.pidfd is not None:
            self._loop.remove_reader(c.pidfd)
            os.close(c.pidfd)
            c.pidfd = None
        c.record.status = "unknown"
        c.record.exited_at = time.time()
        self.dirty()
        self._on_orphan_exit(c)

    def close(self) -> None:
        for c in self.containers.values():
            if c.pidfd is not None:
                self._loop.remove_reader(c.pidfd)
                with contextlib.suppress(OSError):
                    os.close(c.pidfd)
                c.pidfd = None
            for proc in [c.proc, *c.execs.values()]:
                if proc is not None:
                    proc.release(self._loop)
