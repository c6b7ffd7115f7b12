"""Wire shapes of ``GET /containers/{id}/stats`` and ``GET /containers/{id}/top``.

Key names, ``omitempty`` and ``null``-versus-``[]`` follow moby's ``types.StatsJSON`` as
dockerd 20.10 sends it (checked against a real one): the blkio lists are ``null`` when
nothing was read (a stopped container, and the lists cgroup v2 has no file for) and ``[]``
when a cgroup v1 file was read but empty; ``system_cpu_usage``, ``online_cpus`` and
``percpu_usage`` vanish when zero or unknown; ``networks`` vanishes without interfaces (a
``--network none`` container). A stopped container's stats are :func:`zero_stats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockyard.util.timefmt import rfc3339_nano

__all__ = [
    "BlkioEntry",
    "BlkioStats",
    "CpuStats",
    "CpuUsage",
    "MemoryStats",
    "NetworkStats",
    "PidsStats",
    "Stats",
    "Throttling",
    "TopResult",
    "stats_to_wire",
    "top_to_wire",
    "zero_stats",
]

ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True, slots=True)
class CpuUsage:
    """Nanoseconds of CPU time; ``percpu`` is None where the cgroup has no per-CPU file (v2)."""

    total: int = 0
    percpu: tuple[int, ...] | None = None
    kernel: int = 0
    user: int = 0

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"total_usage": self.total}
        if self.percpu:
            out["percpu_usage"] = list(self.percpu)
        out["usage_in_kernelmode"] = self.kernel
        out["usage_in_usermode"] = self.user
        return out


@dataclass(frozen=True, slots=True)
class Throttling:
    periods: int = 0
    throttled_periods: int = 0
    throttled_time: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {
            "periods": self.periods,
            "throttled_periods": self.throttled_periods,
            "throttled_time": self.throttled_time,
        }


@dataclass(frozen=True, slots=True)
class CpuStats:
    """``system_cpu_usage`` is the host's total CPU time in ns (all CPUs, from /proc/stat)."""

    usage: CpuUsage = field(default_factory=CpuUsage)
    system_cpu_usage: int = 0
    online_cpus: int = 0
    throttling: Throttling = field(default_factory=Throttling)

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cpu_usage": self.usage.to_wire()}
        if self.system_cpu_usage:
            out["system_cpu_usage"] = self.system_cpu_usage
        if self.online_cpus:
            out["online_cpus"] = self.online_cpus
        out["throttling_data"] = self.throttling.to_wire()
        return out


@dataclass(frozen=True, slots=True)
class MemoryStats:
    """Bytes; ``stats`` is the cgroup's memory.stat (the keys dockerd passes on)."""

    usage: int = 0
    max_usage: int = 0
    stats: tuple[tuple[str, int], ...] = ()
    failcnt: int = 0
    limit: int = 0

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.usage:
            out["usage"] = self.usage
        if self.max_usage:
            out["max_usage"] = self.max_usage
        if self.stats:
            out["stats"] = dict(self.stats)
        if self.failcnt:
            out["failcnt"] = self.failcnt
        if self.limit:
            out["limit"] = self.limit
        return out


@dataclass(frozen=True, slots=True)
class PidsStats:
    current: int = 0
    limit: int = 0  # 0: unlimited

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.current:
            out["current"] = self.current
        if self.limit:
            out["limit"] = self.limit
        return out


@dataclass(frozen=True, slots=True)
class BlkioEntry:
    major: int
    minor: int
    op: str
    value: int

    def to_wire(self) -> dict[str, Any]:
        return {"major": self.major, "minor": self.minor, "op": self.op, "value": self.value}


_BLKIO_KEYS = (
    "io_service_bytes_recursive",
    "io_serviced_recursive",
    "io_queue_recursive",
    "io_service_time_recursive",
    "io_wait_time_recursive",
    "io_merged_recursive",
    "io_time_recursive",
    "sectors_recursive",
)


@dataclass(frozen=True, slots=True)
class BlkioStats:
    """None: not read (``null`` on the wire); ``()``: read, nothing there (``[]``)."""

    io_service_bytes: tuple[BlkioEntry, ...] | None = None
    io_serviced: tuple[BlkioEntry, ...] | None = None
    others_read: bool = False  # cgroup v1: the six lists we have no data for are []

    def to_wire(self) -> dict[str, Any]:
        def entries(items: tuple[BlkioEntry, ...] | None) -> list[dict[str, Any]] | None:
            return None if items is None else [e.to_wire() for e in items]

        out: dict[str, Any] = dict.fromkeys(_BLKIO_KEYS, [] if self.others_read else None)
        out["io_service_bytes_recursive"] = entries(self.io_service_bytes)
        out["io_serviced_recursive"] = entries(self.io_serviced)
        return out


@dataclass(frozen=True, slots=True)
class NetworkStats:
    rx_bytes: int = 0
    rx_packets: int = 0
    rx_errors: int = 0
    rx_dropped: int = 0
    tx_bytes: int = 0
    tx_packets: int = 0
    tx_errors: int = 0
    tx_dropped: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {
            "rx_bytes": self.rx_bytes,
            "rx_packets": self.rx_packets,
            "rx_errors": self.rx_errors,
            "rx_dropped": self.rx_dropped,
            "tx_bytes": self.tx_bytes,
            "tx_packets": self.tx_packets,
            "tx_errors": self.tx_errors,
            "tx_dropped": self.tx_dropped,
        }


@dataclass(frozen=True, slots=True)
class Stats:
    """One sample; ``read``/``preread`` are Unix times, 0 for "never" (Go's zero time)."""

    id: str
    name: str  # without the leading "/"
    read: float = 0.0
    preread: float = 0.0
    pids: PidsStats = field(default_factory=PidsStats)
    blkio: BlkioStats = field(default_factory=BlkioStats)
    cpu: CpuStats = field(default_factory=CpuStats)
    precpu: CpuStats = field(default_factory=CpuStats)
    memory: MemoryStats = field(default_factory=MemoryStats)
    networks: tuple[tuple[str, NetworkStats], ...] = ()


def zero_stats(cid: str, name: str) -> Stats:
    """What dockerd sends for a container that is not running."""
    return Stats(id=cid, name=name)


def _time(ts: float) -> str:
    return rfc3339_nano(ts) if ts else ZERO_TIME


def stats_to_wire(s: Stats) -> dict[str, Any]:
    out: dict[str, Any] = {
        "read": _time(s.read),
        "preread": _time(s.preread),
        "pids_stats": s.pids.to_wire(),
        "blkio_stats": s.blkio.to_wire(),
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": s.cpu.to_wire(),
        "precpu_stats": s.precpu.to_wire(),
        "memory_stats": s.memory.to_wire(),
        "name": "/" + s.name,
        "id": s.id,
    }
    if s.networks:
        out["networks"] = {name: n.to_wire() for name, n in s.networks}
    return out


@dataclass(frozen=True, slots=True)
class TopResult:
    """``ps`` columns and the rows of the container's processes (the last column keeps its
    spaces: it is the command line)."""

    titles: tuple[str, ...]
    processes: tuple[tuple[str, ...], ...]


def top_to_wire(t: TopResult) -> dict[str, Any]:
    return {
        "Processes": [list(p) for p in t.processes] if t.processes else None,
        "Titles": list(t.titles),
    }
