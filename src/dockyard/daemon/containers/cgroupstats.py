"""Container statistics from cgroup and /proc file contents: pure parsing, no I/O.

Where a container's cgroup is (the spec's cgroupsPath is ``<parent or /dockyard>/<id>``,
relative to each hierarchy's root)::

    cgroup v1 (legacy or hybrid: /sys/fs/cgroup/memory exists)
      /sys/fs/cgroup/cpuacct/dockyard/<id>/  cpuacct.usage, cpuacct.usage_percpu, cpuacct.stat
      /sys/fs/cgroup/cpu/dockyard/<id>/      cpu.stat (throttling)
      /sys/fs/cgroup/memory/dockyard/<id>/   memory.usage_in_bytes, memory.max_usage_in_bytes,
                                             memory.limit_in_bytes, memory.failcnt, memory.stat
      /sys/fs/cgroup/pids/dockyard/<id>/     pids.current, pids.max, cgroup.procs
      /sys/fs/cgroup/blkio/dockyard/<id>/    blkio.[throttle.]io_service{_bytes,d}_recursive
    cgroup v2 (unified: /sys/fs/cgroup/cgroup.controllers exists)
      /sys/fs/cgroup/dockyard/<id>/          cpu.stat, memory.current, memory.max,
                                             memory.stat, pids.current, pids.max, io.stat,
                                             cgroup.procs

The parsers take a mapping of file name (e.g. ``"memory.stat"``) to its text, as read by
:mod:`.stats`; a missing file is simply absent and reads as zero, as in dockerd. Units follow
dockerd: CPU times in nanoseconds (``cpuacct.stat`` and /proc/stat ticks converted with
``USER_HZ``), memory in bytes with the limit capped at the machine's memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from dockyard.apitypes.stats import (
    BlkioEntry,
    BlkioStats,
    CpuStats,
    CpuUsage,
    MemoryStats,
    NetworkStats,
    PidsStats,
    Throttling,
)

__all__ = [
    "V1_FILES",
    "V2_FILES",
    "CgroupStats",
    "cgroup_dirs",
    "cgroup_relpath",
    "cpu_stats",
    "is_unified",
    "parse_meminfo_total",
    "parse_net_dev",
    "parse_pids",
    "parse_proc_stat",
    "parse_v1",
    "parse_v2",
]

NS = 1_000_000_000

# controller directory (v1) -> files read there
V1_FILES: dict[str, tuple[str, ...]] = {
    "cpuacct": ("cpuacct.usage", "cpuacct.usage_percpu", "cpuacct.stat"),
    "cpu": ("cpu.stat",),
    "memory": (
        "memory.usage_in_bytes",
        "memory.max_usage_in_bytes",
        "memory.limit_in_bytes",
        "memory.failcnt",
        "memory.stat",
    ),
    "pids": ("pids.current", "pids.max"),
    "blkio": (
        "blkio.io_service_bytes_recursive",
        "blkio.io_serviced_recursive",
        "blkio.throttle.io_service_bytes_recursive",
        "blkio.throttle.io_serviced_recursive",
    ),
}
V2_FILES = ("cpu.stat", "memory.current", "memory.max", "memory.stat", "pids.current",
            "pids.max", "io.stat")  # fmt: skip

# The memory.stat keys dockerd passes on (moby daemon_unix.go statsV1 / statsV2).
_V1_MEMORY_KEYS = (
    "cache rss rss_huge mapped_file dirty writeback pgpgin pgpgout pgfault pgmajfault "
    "inactive_anon active_anon inactive_file active_file unevictable"
).split()
_V1_MEMORY_EXTRA = ("hierarchical_memory_limit", "hierarchical_memsw_limit")
_V2_MEMORY_KEYS = (
    "anon file kernel_stack slab sock shmem file_mapped file_dirty file_writeback anon_thp "
    "inactive_anon active_anon inactive_file active_file unevictable slab_reclaimable "
    "slab_unreclaimable pgfault pgmajfault workingset_refault workingset_activate "
    "workingset_nodereclaim pgrefill pgscan pgsteal pgactivate pgdeactivate pglazyfree "
    "pglazyfreed thp_fault_alloc thp_collapse_alloc"
).split()


@dataclass(frozen=True, slots=True)
class CgroupStats:
    """What one read of a container's cgroup gives (the host-wide parts come separately)."""

    cpu: CpuUsage
    throttling: Throttling
    memory: MemoryStats
    pids: PidsStats
    blkio: BlkioStats


def cgroup_relpath(cgroup_parent: str, cid: str) -> str:
    """The container's cgroup below each hierarchy root: ``dockyard/<id>`` by default."""
    return f"{(cgroup_parent or '/dockyard').strip('/')}/{cid}".lstrip("/")


def is_unified(controllers_file_exists: bool, memory_dir_exists: bool) -> bool:
    """A pure cgroup v2 host: the root has cgroup.controllers and no v1 memory hierarchy."""
    return controllers_file_exists and not memory_dir_exists


def cgroup_dirs(unified: bool, relpath: str, root: str = "/sys/fs/cgroup") -> dict[str, str]:
    """Directory per controller (v1), or ``{"": dir}`` on a unified (v2) host."""
    base = PurePosixPath(root)
    if unified:
        return {"": str(base / relpath)}
    return {controller: str(base / controller / relpath) for controller in V1_FILES}


def _int(text: str | None) -> int:
    """A number from a one-value file; "max" and junk read as 0 (unlimited / unknown)."""
    if not text:
        return 0
    try:
        return int(text.split()[0])
    except (ValueError, IndexError):
        return 0


def _flat_keyed(text: str | None) -> dict[str, int]:
    """``key value`` lines (memory.stat, cpu.stat, cpuacct.stat)."""
    out: dict[str, int] = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = int(parts[1])
            except ValueError:
                continue
    return out


def _blkio_v1(text: str | None) -> tuple[BlkioEntry, ...]:
    """``8:0 Read 4096`` lines; the ``Total n`` summary line is not an entry."""
    out: list[BlkioEntry] = []
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) != 3 or ":" not in parts[0]:
            continue
        major, _, minor = parts[0].partition(":")
        try:
            out.append(BlkioEntry(int(major), int(minor), parts[1], int(parts[2])))
        except ValueError:
            continue
    return tuple(out)


def _limit(value: int, machine_memory: int) -> int:
    """dockerd shows the machine's memory when the cgroup's limit is higher (unlimited)."""
    if machine_memory and (value == 0 or value > machine_memory):
        return machine_memory
    return value


def parse_v1(
    files: Mapping[str, str], *, clock_ticks: int = 100, machine_memory: int = 0
) -> CgroupStats:
    percpu = tuple(int(v) for v in files.get("cpuacct.usage_percpu", "").split() if v.isdigit())
    ticks = _flat_keyed(files.get("cpuacct.stat"))
    cpu = CpuUsage(
        total=_int(files.get("cpuacct.usage")),
        percpu=percpu or None,
        kernel=ticks.get("system", 0) * NS // clock_ticks,
        user=ticks.get("user", 0) * NS // clock_ticks,
    )
    throttled = _flat_keyed(files.get("cpu.stat"))
    throttling = Throttling(
        periods=throttled.get("nr_periods", 0),
        throttled_periods=throttled.get("nr_throttled", 0),
        throttled_time=throttled.get("throttled_time", 0),
    )
    raw = _flat_keyed(files.get("memory.stat"))
    keys = [*_V1_MEMORY_KEYS, *_V1_MEMORY_EXTRA, *(f"total_{k}" for k in _V1_MEMORY_KEYS)]
    memory = MemoryStats(
        usage=_int(files.get("memory.usage_in_bytes")),
        max_usage=_int(files.get("memory.max_usage_in_bytes")),
        stats=tuple(sorted((k, raw.get(k, 0)) for k in keys)) if "memory.stat" in files else (),
        failcnt=_int(files.get("memory.failcnt")),
        limit=_limit(_int(files.get("memory.limit_in_bytes")), machine_memory),
    )
    pids = PidsStats(current=_int(files.get("pids.current")), limit=_int(files.get("pids.max")))
    service_bytes = _blkio_v1(files.get("blkio.io_service_bytes_recursive"))
    serviced = _blkio_v1(files.get("blkio.io_serviced_recursive"))
    if not serviced:  # no CFQ accounting: the throttle files count every I/O
        service_bytes = _blkio_v1(files.get("blkio.throttle.io_service_bytes_recursive"))
        serviced = _blkio_v1(files.get("blkio.throttle.io_serviced_recursive"))
    blkio = BlkioStats(io_service_bytes=service_bytes, io_serviced=serviced, others_read=True)
    return CgroupStats(cpu, throttling, memory, pids, blkio)


def _io_stat(text: str | None) -> tuple[BlkioEntry, ...]:
    """``8:0 rbytes=1 wbytes=2 rios=3 ...`` as dockerd shows it: read and write bytes."""
    out: list[BlkioEntry] = []
    for line in (text or "").splitlines():
        parts = line.split()
        if not parts or ":" not in parts[0]:
            continue
        major, _, minor = parts[0].partition(":")
        values = dict(p.partition("=")[::2] for p in parts[1:])
        try:
            out.append(BlkioEntry(int(major), int(minor), "read", int(values.get("rbytes", 0))))
            out.append(BlkioEntry(int(major), int(minor), "write", int(values.get("wbytes", 0))))
        except ValueError:
            continue
    return tuple(out)


def parse_v2(files: Mapping[str, str], *, machine_memory: int = 0) -> CgroupStats:
    cpu_stat = _flat_keyed(files.get("cpu.stat"))
    cpu = CpuUsage(
        total=cpu_stat.get("usage_usec", 0) * 1000,
        kernel=cpu_stat.get("system_usec", 0) * 1000,
        user=cpu_stat.get("user_usec", 0) * 1000,
    )
    throttling = Throttling(
        periods=cpu_stat.get("nr_periods", 0),
        throttled_periods=cpu_stat.get("nr_throttled", 0),
        throttled_time=cpu_stat.get("throttled_usec", 0) * 1000,
    )
    raw = _flat_keyed(files.get("memory.stat"))
    memory = MemoryStats(
        usage=_int(files.get("memory.current")),
        stats=tuple(sorted((k, raw.get(k, 0)) for k in _V2_MEMORY_KEYS))
        if "memory.stat" in files
        else (),
        limit=_limit(_int(files.get("memory.max")), machine_memory),
    )
    pids = PidsStats(current=_int(files.get("pids.current")), limit=_int(files.get("pids.max")))
    io = _io_stat(files.get("io.stat")) if "io.stat" in files else None
    return CgroupStats(cpu, throttling, memory, pids, BlkioStats(io_service_bytes=io or None))


def parse_proc_stat(text: str, clock_ticks: int = 100) -> tuple[int, int]:
    """``(system_cpu_usage ns, online cpus)`` from /proc/stat, as dockerd computes them.

    The system usage is the first seven fields of the ``cpu`` line (user, nice, system,
    idle, iowait, irq, softirq) in ns; online CPUs are the ``cpuN`` lines.
    """
    usage = cpus = 0
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "cpu" and len(parts) >= 8:
            usage = sum(int(v) for v in parts[1:8]) * NS // clock_ticks
        elif parts[0].startswith("cpu") and parts[0][3:].isdigit():
            cpus += 1
    return usage, cpus


def parse_meminfo_total(text: str) -> int:
    """MemTotal of /proc/meminfo in bytes (dockerd's "machine memory")."""
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            return int(parts[1]) * (1024 if len(parts) > 2 and parts[2] == "kB" else 1)
    return 0


def parse_net_dev(text: str) -> tuple[tuple[str, NetworkStats], ...]:
    """Interfaces of /proc/<pid>/net/dev but the loopback (dockerd shows the endpoints)."""
    out: list[tuple[str, NetworkStats]] = []
    for line in text.splitlines()[2:]:
        name, sep, rest = line.partition(":")
        name = name.strip()
        values = rest.split()
        if not sep or name == "lo" or len(values) < 12:
            continue
        v = [int(x) for x in values[:12]]
        out.append(
            (name, NetworkStats(
                rx_bytes=v[0], rx_packets=v[1], rx_errors=v[2], rx_dropped=v[3],
                tx_bytes=v[8], tx_packets=v[9], tx_errors=v[10], tx_dropped=v[11],
            ))
        )  # fmt: skip
    return tuple(sorted(out, key=lambda item: item[0]))


def parse_pids(text: str) -> tuple[int, ...]:
    """cgroup.procs (or tasks): one pid a line."""
    return tuple(int(line) for line in text.split() if line.isdigit())


def cpu_stats(cg: CgroupStats, system_usage: int, online_cpus: int) -> CpuStats:
    """The ``cpu_stats`` object: cgroup usage joined with the host's counters."""
    return CpuStats(
        usage=cg.cpu,
        system_cpu_usage=system_usage,
        online_cpus=online_cpus or len(cg.cpu.percpu or ()),
        throttling=cg.throttling,
    )
