"""``GET /containers/{id}/top``: the host's ``ps`` output, kept to the container's processes.

As dockerd does: run ``ps <ps_args> -q<pid,pid,...>`` (default args ``-ef``), retried
without ``-q`` when ps refuses the combination (``f`` and friends), then keep the rows whose
PID column is one of the container's pids (read from its cgroup), plus the thread rows
(PID ``-``) that follow a kept row. The last column is the command line and keeps its spaces.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Collection, Sequence

from dockyard.apitypes.stats import TopResult
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.state import Action, require
from dockyard.daemon.containers.stats import CgroupReader
from dockyard.errors import DockyardError, InvalidParameter

__all__ = ["parse_ps_output", "ps_argv", "top", "validate_ps_args"]

PS_TIMEOUT = 30.0
_PID_ASSIGN = re.compile(r"\s+([^\s]*)=\s*(PID[^\s]*)")


def validate_ps_args(ps_args: str) -> None:
    """Refuse renaming the PID column to something else (the filter needs it)."""
    for key, value in _PID_ASSIGN.findall(ps_args):
        if key != "pid":
            raise InvalidParameter(f'specifying "{key}={value}" is not allowed')


def ps_argv(ps_args: str, pids: Sequence[int]) -> list[str]:
    args = [a for a in ps_args.split(" ") if a] if ps_args else ["-ef"]
    return ["ps", *args, "-q" + ",".join(str(p) for p in pids)]


def _fields(line: str) -> list[str]:
    """ASCII-whitespace fields (as moby's fieldsASCII: no Unicode spaces split a command)."""
    return [f for f in re.split(r"[ \t\n\r\v\f]+", line) if f]


def parse_ps_output(output: str, pids: Collection[int]) -> TopResult:
    lines = output.split("\n")
    titles = _fields(lines[0]) if lines else []
    if "PID" not in titles:
        raise DockyardError("Couldn't find PID field in ps output")
    pid_index = titles.index("PID")
    wanted = set(pids)
    rows: list[tuple[str, ...]] = []
    keep_threads = False
    for line in lines[1:]:
        if not line:
            continue
        fields = _fields(line)
        if len(fields) <= pid_index:
            continue
        if fields[pid_index] == "-":
            if keep_threads:
                rows.append(_row(fields, len(titles)))
            continue
        try:
            pid = int(fields[pid_index])
        except ValueError as err:
            raise DockyardError(f"Unexpected pid '{fields[pid_index]}': {err}") from err
        keep_threads = pid in wanted
        if keep_threads:
            rows.append(_row(fields, len(titles)))
    return TopResult(titles=tuple(titles), processes=tuple(rows))


def _row(fields: list[str], columns: int) -> tuple[str, ...]:
    return (*fields[: columns - 1], " ".join(fields[columns - 1 :]))


def _run_ps(ps_args: str, pids: Sequence[int]) -> str:
    argv = ps_argv(ps_args, pids)
    for attempt in (argv, argv[:-1]):
        try:
            proc = subprocess.run(attempt, capture_output=True, timeout=PS_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise DockyardError(f"ps: {err}") from err
        if proc.returncode == 0:
            return proc.stdout.decode(errors="replace")
    first = proc.stderr.decode(errors="replace").split("\n", 1)[0]
    raise DockyardError(f"ps: {first or f'exit status {proc.returncode}'}")


async def top(ctx: ContainerContext, reader: CgroupReader, ref: str, ps_args: str) -> TopResult:
    validate_ps_args(ps_args)
    c = ctx.store.get(ref)
    require(c.state.status, Action.TOP, c.id, ref)
    pids = await asyncio.to_thread(reader.pids, c)
    output = await asyncio.to_thread(_run_ps, ps_args or "-ef", pids)
    result = parse_ps_output(output, pids)
    ctx.emit("top", c.id, image=c.image, name=c.name)
    return result
