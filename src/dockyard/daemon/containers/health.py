"""Health checks: run a running container's ``Healthcheck`` test and keep ``State.Health``.

moby's ``daemon/health.go``, step for step. The check is ``Config.Healthcheck`` (the image's,
merged with ``--health-*`` at create): ``CMD`` runs its arguments, ``CMD-SHELL`` runs its
string with the container's shell (``Config.Shell`` or ``/bin/sh -c``); ``NONE`` (or no
test) means no checks and no ``Health`` at all. While the container runs, every
``Interval`` (default 30s; ``StartInterval``, default 5s, while still starting inside the
``StartPeriod``) the test runs as an exec through the monitor with the container's
environment, user and working directory, stdout and stderr captured together up to 4096
bytes ("..." marks a cut). A run that exceeds ``Timeout`` (default 30s) is killed and counts
as exit code -1.

Results (the last five are kept in ``Log``): exit code 0 makes the container ``healthy``
and resets ``FailingStreak``; anything else increments the streak, except while it is still
``starting`` inside the start period, and ``Retries`` (default 3) failures in a row make it
``unhealthy``. A change of status emits ``health_status: <status>``; each run emits
``exec_create: <cmd>``, ``exec_start: <cmd>`` and ``exec_die`` as dockerd does. Start
resets the status to ``starting``; when the container stops the checks stop and the status
reads ``unhealthy`` (no event), as in dockerd. While paused, runs are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import time
from dataclasses import dataclass
from typing import Any

from dockyard.apitypes.container_config import ContainerConfig
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.state import ZERO_TIME, Health, HealthLogEntry, Status
from dockyard.daemon.containers.store import Container
from dockyard.errors import DockyardError, NotFound
from dockyard.runtime.monitor.client import AttachStream
from dockyard.runtime.monitor.protocol import AttachStreams
from dockyard.util.ids import random_id
from dockyard.util.timefmt import parse_rfc3339, rfc3339_nano

__all__ = [
    "HealthMonitor",
    "OutputBuffer",
    "Probe",
    "apply_result",
    "go_duration",
    "next_interval",
    "probe_for",
]

log = logging.getLogger(__name__)

NS = 1_000_000_000
DEFAULT_INTERVAL = 30 * NS
DEFAULT_START_INTERVAL = 5 * NS
DEFAULT_TIMEOUT = 30 * NS
DEFAULT_RETRIES = 3
MAX_OUTPUT = 4096
MAX_LOG = 5
STARTING, HEALTHY, UNHEALTHY = "starting", "healthy", "unhealthy"
_KILL_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class Probe:
    """A container's check, durations in nanoseconds with dockerd's defaults applied."""

    argv: tuple[str, ...]
    interval: int = DEFAULT_INTERVAL
    timeout: int = DEFAULT_TIMEOUT
    start_period: int = 0
    start_interval: int = DEFAULT_START_INTERVAL
    retries: int = DEFAULT_RETRIES

    @property
    def command_line(self) -> str:
        """What the exec events show: the entrypoint, a space, the arguments joined by
        spaces (so ``CMD true`` reads ``true `` with its trailing space, as in dockerd)."""
        return f"{self.argv[0]} {' '.join(self.argv[1:])}"


def probe_for(config: ContainerConfig) -> Probe | None:
    """The probe of a container, or None when it has no (or a disabled) healthcheck."""
    hc = config.healthcheck
    if hc is None or not hc.test:
        return None
    kind, args = hc.test[0], tuple(hc.test[1:])
    if kind == "CMD":
        argv = args
    elif kind == "CMD-SHELL":
        argv = (*(config.shell or ("/bin/sh", "-c")), *args)
    else:  # NONE, or a type dockerd warns about and ignores
        return None
    if not argv:
        return None
    return Probe(
        argv=argv,
        interval=hc.interval or DEFAULT_INTERVAL,
        timeout=hc.timeout or DEFAULT_TIMEOUT,
        start_period=hc.start_period,
        start_interval=hc.start_interval or DEFAULT_START_INTERVAL,
        retries=hc.retries if hc.retries > 0 else DEFAULT_RETRIES,
    )


def next_interval(probe: Probe, since_start: float, status: str) -> float:
    """Seconds until the next run: the start interval while starting in the start period."""
    if since_start * NS >= probe.start_period or status != STARTING:
        return probe.interval / NS
    return probe.start_interval / NS


def apply_result(
    health: Health, result: HealthLogEntry, probe: Probe, since_start: float
) -> Health:
    """``health`` after one run (moby's ``handleProbeResult``); ``since_start`` is the time
    from the container's start to the run's start, in seconds."""
    entries = (*health.log, result)[-MAX_LOG:]
    if result.exit_code == 0:
        return Health(status=HEALTHY, failing_streak=0, log=entries)
    streak, status = health.failing_streak, health.status
    in_start_period = status == STARTING and since_start * NS < probe.start_period
    if not in_start_period:
        streak += 1
        if streak >= probe.retries:
            status = UNHEALTHY
    return Health(status=status, failing_streak=streak, log=entries)


def go_duration(ns: int) -> str:
    """Go's ``time.Duration.String()`` (``30s``, ``1.5s``, ``100ms``, ``1m30s``)."""
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)

    def frac(value: int, unit: int) -> str:
        whole, rest = divmod(value, unit)
        if not rest:
            return str(whole)
        digits = len(str(unit)) - 1
        return f"{whole}.{rest:0{digits}d}".rstrip("0")

    if ns < 1000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{frac(ns, 1000)}µs"
    if ns < NS:
        return f"{sign}{frac(ns, 1_000_000)}ms"
    hours, rest = divmod(ns, 3600 * NS)
    minutes, rest = divmod(rest, 60 * NS)
    text = f"{frac(rest, NS)}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return sign + text


class OutputBuffer:
    """stdout and stderr together, the first 4096 bytes kept, "..." when more came."""

    def __init__(self, limit: int = MAX_OUTPUT) -> None:
        self._data = bytearray()
        self._limit = limit
        self.truncated = False

    def write(self, data: bytes) -> None:
        keep = max(0, min(self._limit - len(self._data), len(data)))
        self._data += data[:keep]
        if keep < len(data):
            self.truncated = True

    def text(self) -> str:
        out = self._data.decode(errors="replace")
        return out + "..." if self.truncated else out


def _exec_process(bundle_spec: dict[str, Any], argv: tuple[str, ...]) -> dict[str, Any]:
    """The container's own process (env, user, cwd, capabilities) running ``argv``."""
    process = dict(bundle_spec.get("process") or {})
    process["args"] = list(argv)
    process["terminal"] = False
    process.pop("consoleSize", None)
    return process


class HealthMonitor:
    """One asyncio task per running container that has a probe."""

    def __init__(self, ctx: ContainerContext) -> None:
        self.ctx = ctx
        self._tasks: dict[str, asyncio.Task[None]] = {}

    # -- hooks -----------------------------------------------------------------------------

    def started(self, cid: str) -> None:
        """After a start: status back to ``starting``, then check on schedule."""
        self._cancel(cid)
        try:
            c = self.ctx.store.get(cid)
        except NotFound:
            return
        probe = probe_for(c.config)
        if probe is None:
            return

        def reset(cur: Container) -> Container:
            old = cur.state.health or Health()
            health = dataclasses.replace(old, status=STARTING, failing_streak=0)
            return dataclasses.replace(cur, state=dataclasses.replace(cur.state, health=health))

        self.ctx.store.update(cid, reset)
        self._spawn(cid, probe)

    def exited(self, cid: str) -> None:
        """The container stopped: no more checks, and the status reads ``unhealthy``."""
        self._cancel(cid)

        def stopped(cur: Container) -> Container:
            if cur.state.health is None:
                return cur
            health = dataclasses.replace(cur.state.health, status=UNHEALTHY)
            return dataclasses.replace(cur, state=dataclasses.replace(cur.state, health=health))

        with contextlib.suppress(NotFound):
            self.ctx.store.update(cid, stopped)

    def resume(self) -> None:
        """After a daemon restart: check every running container again (status kept)."""
        for c in self.ctx.store.list():
            probe = probe_for(c.config)
            live = c.state.status in (Status.RUNNING, Status.PAUSED)
            if probe is not None and live and c.id not in self._tasks:
                self._spawn(c.id, probe)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- the loop --------------------------------------------------------------------------

    def _spawn(self, cid: str, probe: Probe) -> None:
        self._cancel(cid)
        task = asyncio.get_running_loop().create_task(self._loop(cid, probe))
        self._tasks[cid] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._tasks.get(cid) is done:
                del self._tasks[cid]

        task.add_done_callback(forget)

    def _cancel(self, cid: str) -> bool:
        task = self._tasks.pop(cid, None)
        if task is None:
            return False
        task.cancel()
        return True

    async def _loop(self, cid: str, probe: Probe) -> None:
        ctx = self.ctx
        while True:
            try:
                c = ctx.store.get(cid)
            except NotFound:
                return
            started = parse_rfc3339(c.state.started_at)
            status = c.state.health.status if c.state.health else STARTING
            await asyncio.sleep(next_interval(probe, time.time() - started, status))
            try:
                c = ctx.store.get(cid)
            except NotFound:
                return
            if c.state.status is Status.PAUSED:
                continue
            if c.state.status is not Status.RUNNING:
                return
            try:
                result = await self._run(c, probe)
                self._record(cid, probe, result, started)
            except DockyardError as err:  # the store refused: try again next time
                log.warning("health check of %s: %s", cid[:12], err)

    def _record(self, cid: str, probe: Probe, result: HealthLogEntry, started: float) -> None:
        ran_at = parse_rfc3339(result.start) if result.start != ZERO_TIME else time.time()
        before: list[str] = []

        def change(cur: Container) -> Container:
            old = cur.state.health or Health()
            before.append(old.status)
            health = apply_result(old, result, probe, ran_at - started)
            return dataclasses.replace(cur, state=dataclasses.replace(cur.state, health=health))

        try:
            c = self.ctx.store.update(cid, change)
        except NotFound:
            return
        status = c.state.health.status if c.state.health else ""
        if before and before[0] != status:
            self.ctx.emit(f"health_status: {status}", cid, image=c.image, name=c.name)

    async def _run(self, c: Container, probe: Probe) -> HealthLogEntry:
        """One run of the test; never raises (a failure to run is exit code -1)."""
        ctx = self.ctx
        exec_id = random_id()
        attrs = {"execID": exec_id, "image": c.image, "name": c.name}
        ctx.emit(f"exec_create: {probe.command_line}", c.id, **attrs)
        started = time.time()
        try:
            spec = await asyncio.to_thread(_read_spec, ctx.layout.bundle(c.id) / "config.json")
            stream = await ctx.monitor.exec_attached(
                c.id, exec_id, _exec_process(spec, probe.argv),
                AttachStreams(stdin=False, stdout=True, stderr=True),
            )  # fmt: skip
        except (DockyardError, OSError, ValueError) as err:
            now = rfc3339_nano(time.time())
            return HealthLogEntry(now, now, -1, str(err))
        ctx.emit(f"exec_start: {probe.command_line}", c.id, **attrs)
        output = OutputBuffer()

        async def collect() -> None:
            while (item := await stream.read()) is not None:
                output.write(item[1])

        try:
            await asyncio.wait_for(collect(), probe.timeout / NS)
        except TimeoutError:
            await self._kill(stream)
            code = stream.exit_code if stream.exit_code is not None else -1
            ctx.emit(
                "exec_die", c.id, execID=exec_id, exitCode=str(code), image=c.image, name=c.name
            )
            text = output.text()
            message = f"Health check exceeded timeout ({go_duration(probe.timeout)})"
            return HealthLogEntry(
                ZERO_TIME, rfc3339_nano(time.time()), -1, f"{message}: {text}" if text else message
            )
        finally:
            await stream.close()
        code = stream.exit_code if stream.exit_code is not None else -1
        ctx.emit("exec_die", c.id, execID=exec_id, exitCode=str(code), image=c.image, name=c.name)
        return HealthLogEntry(rfc3339_nano(started), rfc3339_nano(time.time()), code, output.text())

    @staticmethod
    async def _kill(stream: AttachStream) -> None:
        """SIGKILL the timed-out run and wait (a little) for it to end."""
        if stream.pid:
            with contextlib.suppress(OSError):
                os.kill(stream.pid, signal.SIGKILL)

        async def drain() -> None:
            while await stream.read() is not None:
                pass

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(drain(), _KILL_GRACE)


def _read_spec(path: Any) -> dict[str, Any]:
    with open(path) as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a JSON object")
    return doc
