"""``docker stats`` math and fields, from one ``GET /containers/{id}/stats`` sample.

CPU % = (cpu delta / system delta) * online CPUs * 100, against ``precpu_stats`` (the
previous sample); memory excludes the page cache (``inactive_file`` on cgroup v2,
``total_inactive_file`` on v1); block I/O sums read/write service bytes; network sums
every interface. Same formulas and units as the docker CLI's stats helpers.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.output.gotemplate import Struct

__all__ = [
    "STATS_HEADERS",
    "bytes_size",
    "cpu_percent",
    "memory_usage",
    "stats_row",
]

STATS_HEADERS = {
    "Container": "CONTAINER",
    "ID": "CONTAINER ID",
    "Name": "NAME",
    "CPUPerc": "CPU %",
    "MemUsage": "MEM USAGE / LIMIT",
    "MemPerc": "MEM %",
    "NetIO": "NET I/O",
    "BlockIO": "BLOCK I/O",
    "PIDs": "PIDS",
}
DEFAULT = (
    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}"
    "\t{{.BlockIO}}\t{{.PIDs}}"
)
_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def bytes_size(size: float) -> str:
    """go-units ``BytesSize``: binary units, ``%.4g``."""
    i = 0
    while size >= 1024.0 and i < len(_BINARY) - 1:
        size /= 1024.0
        i += 1
    return f"{size:.4g}{_BINARY[i]}"


def cpu_percent(stats: dict[str, Any]) -> float:
    cpu = stats.get("cpu_stats") or {}
    pre = stats.get("precpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    cpu_delta = float(usage.get("total_usage") or 0) - float(
        (pre.get("cpu_usage") or {}).get("total_usage") or 0
    )
    system_delta = float(cpu.get("system_cpu_usage") or 0) - float(pre.get("system_cpu_usage") or 0)
    online = float(cpu.get("online_cpus") or 0) or float(len(usage.get("percpu_usage") or []))
    if system_delta > 0.0 and cpu_delta > 0.0:
        return (cpu_delta / system_delta) * online * 100.0
    return 0.0


def memory_usage(memory: dict[str, Any]) -> float:
    """Usage without the page cache."""
    usage = int(memory.get("usage") or 0)
    details = memory.get("stats") or {}
    if "total_inactive_file" in details and details["total_inactive_file"] < usage:
        return float(usage - details["total_inactive_file"])
    inactive = int(details.get("inactive_file") or 0)
    if inactive < usage:
        return float(usage - inactive)
    return float(usage)


def _blkio(stats: dict[str, Any]) -> tuple[float, float]:
    read = write = 0.0
    entries = (stats.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []
    for entry in entries:
        op = str(entry.get("op") or "")
        if op[:1] in ("r", "R"):
            read += float(entry.get("value") or 0)
        elif op[:1] in ("w", "W"):
            write += float(entry.get("value") or 0)
    return read, write


def _network(stats: dict[str, Any]) -> tuple[float, float]:
    rx = tx = 0.0
    for net in (stats.get("networks") or {}).values():
        rx += float(net.get("rx_bytes") or 0)
        tx += float(net.get("tx_bytes") or 0)
    return rx, tx


def stats_row(container: str, stats: dict[str, Any] | None, trunc: bool) -> Struct:
    """One table row; a missing sample prints docker's ``--`` placeholders."""
    from dockyard.cli.output.gotemplate import Struct
    from dockyard.cli.output.units import human_size

    if stats is None:
        fields = {
            "Container": container,
            "ID": container[:12] if trunc else container,
            "Name": "--",
            "CPUPerc": "--",
            "MemUsage": "-- / --",
            "MemPerc": "--",
            "NetIO": "--",
            "BlockIO": "--",
            "PIDs": "--",
        }
        return Struct("formatter.statsContext", fields)
    memory = stats.get("memory_stats") or {}
    used = memory_usage(memory)
    limit = float(memory.get("limit") or 0)
    mem_percent = used / limit * 100.0 if limit else 0.0
    rx, tx = _network(stats)
    read, write = _blkio(stats)
    cid = str(stats.get("id") or container)
    fields = {
        "Container": container,
        "ID": cid[:12] if trunc else cid,
        "Name": str(stats.get("name") or "").removeprefix("/") or "--",
        "CPUPerc": f"{cpu_percent(stats):.2f}%",
        "MemUsage": f"{bytes_size(used)} / {bytes_size(limit)}",
        "MemPerc": f"{mem_percent:.2f}%",
        "NetIO": f"{human_size(rx, 3)} / {human_size(tx, 3)}",
        "BlockIO": f"{human_size(read, 3)} / {human_size(write, 3)}",
        "PIDs": str(int((stats.get("pids_stats") or {}).get("current") or 0)),
    }
    return Struct("formatter.statsContext", fields)
