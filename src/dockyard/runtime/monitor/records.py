"""What the monitor remembers about a container across its own restart: ``state.json``.

Written atomically (temp + fsync + rename) to ``<exec-root>/monitor/state.json`` whenever a
container is created, started, exits or is forgotten::

    {"version": 1, "containers": [{"cid": ..., "pid": ..., "pid_start": ..., "status": ...,
      "exit_code": ..., "exited_at": ..., "oom": ..., "bundle": ..., "runtime": {...},
      "tty": ..., "log_path": ..., "log_max_size": ..., "log_max_file": ...,
      "cgroup_path": ...}]}

Exec processes are not persisted: they are short-lived, and a restarted monitor could not
hold their stdio or see their exit anyway.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dockyard.runtime.monitor.protocol import RuntimeRef
from dockyard.util.atomic import atomic_write

__all__ = ["ContainerRecord", "load_records", "pid_start_time", "save_records"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ContainerRecord:
    cid: str
    pid: int
    pid_start: int  # /proc/<pid>/stat starttime: tells a reused pid from ours
    status: str  # created | running | exited | orphaned | unknown
    bundle: str
    runtime: RuntimeRef
    tty: bool = False
    log_path: str | None = None
    log_max_size: int | None = None
    log_max_file: int = 1
    cgroup_path: str | None = None
    exit_code: int | None = None
    exited_at: float | None = None
    oom: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ContainerRecord:
        rt = raw["runtime"]
        return cls(**{**raw, "runtime": RuntimeRef(rt["name"], rt["binary"], rt["root"])})


def pid_start_time(pid: int) -> int:
    """The process's start time in clock ticks since boot (0 when it does not exist)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return 0
    # The comm field may hold spaces and parentheses: split after its closing ")".
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[19])


def save_records(path: Path, records: list[ContainerRecord]) -> None:
    data = {"version": 1, "containers": [r.to_json() for r in records]}
    atomic_write(path, json.dumps(data, separators=(",", ":")).encode(), mode=0o600)


def load_records(path: Path) -> list[ContainerRecord]:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as err:
        log.error("monitor state %s unreadable, starting empty: %s", path, err)
        return []
    out = []
    for raw in data.get("containers", []):
        try:
            out.append(ContainerRecord.from_json(raw))
        except (KeyError, TypeError) as err:
            log.error("monitor state: skipping a bad record %r: %s", raw, err)
    return out
