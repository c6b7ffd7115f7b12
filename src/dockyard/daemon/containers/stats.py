"""``GET /containers/{id}/stats``: samples of a container's cgroup, once or every second.

Reading files is here; turning their text into numbers is :mod:`.cgroupstats` (pure). As in
dockerd, each sample's ``precpu_stats``/``preread`` are the previous sample's, so a client
can compute a CPU percentage from one message: a stream's first message has zeroed
``precpu``; ``stream=false`` waits for a second sample (about a second) unless
``one-shot=true``; a container that is not running gives zeroed stats (once, or every second
while streaming). A stream ends when the container is removed or the client leaves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections.abc import AsyncGenerator
from pathlib import Path

from dockyard.apitypes.stats import CpuStats, NetworkStats, Stats, zero_stats
from dockyard.daemon.containers import cgroupstats as cg
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.state import PROCESS
from dockyard.daemon.containers.store import Container
from dockyard.errors import NotFound

__all__ = ["CgroupReader", "stats_stream"]

log = logging.getLogger(__name__)

INTERVAL = 1.0


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


class CgroupReader:
    """Reads a container's cgroup and the host's counters (blocking: call in a thread)."""

    def __init__(self, root: Path = Path("/sys/fs/cgroup"), proc: Path = Path("/proc")) -> None:
        self.root = root
        self.proc = proc
        self.unified = cg.is_unified(
            (root / "cgroup.controllers").exists(), (root / "memory").is_dir()
        )
        self.clock_ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.machine_memory = cg.parse_meminfo_total(_read(proc / "meminfo") or "")

    def dirs(self, c: Container) -> dict[str, Path]:
        relpath = cg.cgroup_relpath(c.host_config.resources.cgroup_parent, c.id)
        return {
            k: Path(v) for k, v in cg.cgroup_dirs(self.unified, relpath, str(self.root)).items()
        }

    def pids(self, c: Container) -> tuple[int, ...]:
        """The container's processes, from its cgroup (v1: the pids, memory or cpu one)."""
        dirs = self.dirs(c)
        for key in ("", "pids", "memory", "cpu", "cpuacct"):
            if key in dirs:
                text = _read(dirs[key] / "cgroup.procs")
                if text is not None:
                    return cg.parse_pids(text)
        return (c.state.pid,) if c.state.pid else ()

    def files(self, c: Container) -> dict[str, str]:
        dirs = self.dirs(c)
        out: dict[str, str] = {}
        if self.unified:
            wanted = {name: dirs[""] for name in cg.V2_FILES}
        else:
            wanted = {name: dirs[ctl] for ctl, names in cg.V1_FILES.items() for name in names}
        for name, directory in wanted.items():
            text = _read(directory / name)
            if text is not None:
                out[name] = text
        return out

    def sample(self, c: Container) -> Stats:
        files = self.files(c)
        if self.unified:
            parsed = cg.parse_v2(files, machine_memory=self.machine_memory)
        else:
            parsed = cg.parse_v1(
                files, clock_ticks=self.clock_ticks, machine_memory=self.machine_memory
            )
        system, cpus = cg.parse_proc_stat(_read(self.proc / "stat") or "", self.clock_ticks)
        networks: tuple[tuple[str, NetworkStats], ...] = ()
        if c.state.pid and c.host_config.network_mode != "host":
            networks = cg.parse_net_dev(_read(self.proc / str(c.state.pid) / "net/dev") or "")
        return Stats(
            id=c.id,
            name=c.name,
            read=time.time(),
            pids=parsed.pids,
            blkio=parsed.blkio,
            cpu=cg.cpu_stats(parsed, system, cpus),
            memory=parsed.memory,
            networks=networks,
        )


async def _sample(ctx: ContainerContext, reader: CgroupReader, cid: str) -> Stats | None:
    try:
        c = ctx.store.get(cid)
    except NotFound:
        return None
    if c.state.status not in PROCESS:
        return zero_stats(c.id, c.name)
    return await asyncio.to_thread(reader.sample, c)


async def stats_stream(
    ctx: ContainerContext,
    reader: CgroupReader,
    ref: str,
    *,
    stream: bool,
    one_shot: bool = False,
    interval: float = INTERVAL,
) -> AsyncGenerator[Stats, None]:
    """Samples of ``ref`` (NotFound before the first when there is no such container)."""
    c = ctx.store.get(ref)
    if not stream and c.state.status not in PROCESS:
        yield zero_stats(c.id, c.name)
        return
    previous: Stats | None = None
    while True:
        current = await _sample(ctx, reader, c.id)
        if current is None:
            return
        if previous is not None:
            current = dataclasses.replace(current, precpu=previous.cpu, preread=previous.read)
        else:
            current = dataclasses.replace(current, precpu=CpuStats(), preread=0.0)
        if stream or one_shot or previous is not None:
            yield current
            if not stream:
                return
        previous = current
        await asyncio.sleep(interval)
