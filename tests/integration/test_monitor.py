"""The per-host monitor with real runc containers: logs, exits, attach, and restarts of the
daemon (a client going away) and of the monitor itself.

Each test gets its own exec root, runc root and cgroup prefix; the finalizer kills the monitor
it started, force-deletes every container and removes the cgroups, even after a failure.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard.errors import Conflict, NotFound
from dockyard.runtime.monitor.client import (
    AttachStream,
    MonitorClient,
    Reconnected,
    ensure_running,
)
from dockyard.runtime.monitor.protocol import AttachStreams, ExitEvent, RuntimeRef
from dockyard.runtime.runc import RuncRuntime


def _load_helpers() -> Any:
    """runtime_helpers.py next to this file, by path (tests are not a package)."""
    name = "dockyard_runtime_test_helpers"
    if name not in sys.modules:
        path = Path(__file__).resolve().parent / "runtime_helpers.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


H = _load_helpers()

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(H.missing_requirement() is not None, reason=str(H.missing_requirement())),
]

TICK = ["sh", "-c", "while true; do echo tick; sleep 0.1; done"]
TIMEOUT = 15.0


@pytest.fixture
def sandbox() -> Iterator[Any]:
    box = H.new_sandbox()
    try:
        yield box
    finally:
        box.cleanup()


@pytest.fixture
async def client(sandbox: Any) -> AsyncIterator[MonitorClient]:
    await ensure_running(sandbox.exec_root, sandbox.runc_root)
    c = MonitorClient(sandbox.exec_root)
    await c.connect()
    try:
        yield c
    finally:
        await c.close()


def ref(sandbox: Any) -> RuntimeRef:
    return RuntimeRef("runc", H.RUNC, str(sandbox.runc_root))


def runc(sandbox: Any) -> RuncRuntime:
    return RuncRuntime(sandbox.runc_root, H.RUNC)


async def run(client: MonitorClient, sandbox: Any, cid: str, args: list[str], **kw: Any) -> Path:
    """Create and start ``cid``; its json-file log path."""
    log = sandbox.base / f"{cid}-json.log"
    bundle = sandbox.bundle(cid, args, terminal=kw.get("tty", False))
    await client.create(
        cid, bundle, ref(sandbox), log_path=log, cgroup_path=sandbox.cgroup(cid), **kw
    )
    await client.start(cid)
    return log


async def next_exit(client: MonitorClient, cid: str, exec_id: str | None = None) -> ExitEvent:
    async def wait() -> ExitEvent:
        async for event in client.events():
            if isinstance(event, ExitEvent) and (event.cid, event.exec_id) == (cid, exec_id):
                return event
        raise AssertionError("events ended")

    return await asyncio.wait_for(wait(), TIMEOUT)


async def read_all(stream: AttachStream) -> list[tuple[int, bytes]]:
    frames = []
    while (f := await asyncio.wait_for(stream.read(), TIMEOUT)) is not None:
        frames.append(f)
    return frames


async def read_until(stream: AttachStream, needle: bytes) -> bytes:
    seen = b""
    while needle not in seen:
        f = await asyncio.wait_for(stream.read(), TIMEOUT)
        assert f is not None, f"stream ended before {needle!r}; got {seen!r}"
        seen += f[1]
    return seen


def log_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def wait_until(condition: Any, timeout: float = TIMEOUT) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# -- logs and exits ------------------------------------------------------------------------


async def test_output_is_logged_per_stream_in_json_file_format(
    client: MonitorClient, sandbox: Any
) -> None:
    log = await run(client, sandbox, "c1", ["sh", "-c", "echo hello; echo err >&2; exit 3"])
    await next_exit(client, "c1")
    lines = log_lines(log)
    assert sorted((e["stream"], e["log"]) for e in lines) == [
        ("stderr", "err\n"),
        ("stdout", "hello\n"),
    ]
    assert all(e["time"].endswith("Z") and len(e["time"]) == 30 for e in lines)


async def test_exit_code_is_pushed_to_the_connected_client(
    client: MonitorClient, sandbox: Any
) -> None:
    await run(client, sandbox, "c1", ["sh", "-c", "exit 3"])
    event = await next_exit(client, "c1")
    assert (event.status, event.oom) == (3, False)


async def test_kill_9_is_status_137(client: MonitorClient, sandbox: Any) -> None:
    await run(client, sandbox, "c1", ["sleep", "1000"])
    runc(sandbox).kill("c1", signal.SIGKILL)
    assert (await next_exit(client, "c1")).status == 137


async def test_state_reports_exit_code_until_forgotten(client: MonitorClient, sandbox: Any) -> None:
    await run(client, sandbox, "c1", ["sh", "-c", "exit 5"])
    await next_exit(client, "c1")
    (info,) = await client.state()
    assert (info.cid, info.status, info.exit_code) == ("c1", "exited", 5)
    await client.forget("c1")
    assert await client.state() == ()


async def test_forget_of_running_container_is_conflict(client: MonitorClient, sandbox: Any) -> None:
    await run(client, sandbox, "c1", ["sleep", "1000"])
    with pytest.raises(Conflict):
        await client.forget("c1")


async def test_create_of_held_container_is_conflict(client: MonitorClient, sandbox: Any) -> None:
    await run(client, sandbox, "c1", ["sleep", "1000"])
    with pytest.raises(Conflict):
        await client.create("c1", sandbox.base / "bundles" / "c1", ref(sandbox))


async def test_attach_to_unknown_container_is_not_found(client: MonitorClient) -> None:
    with pytest.raises(NotFound):
        await client.attach("nope")


async def test_oom_kill_is_reported(client: MonitorClient, sandbox: Any) -> None:
    bundle = sandbox.bundle(
        "c1",
        ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1"],
        resources={"memory": {"limit": 16 * 1024 * 1024, "swap": 16 * 1024 * 1024}},
    )
    await client.create("c1", bundle, ref(sandbox), cgroup_path=sandbox.cgroup("c1"))
    await client.start("c1")
    event = await next_exit(client, "c1")
    assert (event.status, event.oom) == (137, True)


async def test_log_rotates_at_max_size(client: MonitorClient, sandbox: Any) -> None:
    log = sandbox.base / "c1-json.log"
    bundle = sandbox.bundle(
        "c1", ["sh", "-c", "i=0; while [ $i -lt 60 ]; do echo line$i; i=$((i+1)); done"]
    )
    await client.create("c1", bundle, ref(sandbox), log_path=log, log_max_size=400, log_max_file=3)
    await client.start("c1")
    await next_exit(client, "c1")
    files = sorted(p.name for p in sandbox.base.glob("c1-json.log*"))
    assert files == ["c1-json.log", "c1-json.log.1", "c1-json.log.2"]
    assert all(p.stat().st_size < 400 + 100 for p in sandbox.base.glob("c1-json.log*"))
    assert log_lines(log)[-1]["log"] == "line59\n"


# -- attach, stdin, tty, exec --------------------------------------------------------------


async def test_tty_attach_sees_the_size_set_by_resize(client: MonitorClient, sandbox: Any) -> None:
    bundle = sandbox.bundle("c1", ["stty", "size"], terminal=True)
    await client.create("c1", bundle, ref(sandbox), tty=True)
    stream = await client.attach("c1")
    await client.resize("c1", 30, 100)
    await client.start("c1")
    frames = await read_all(stream)
    assert b"".join(data for _, data in frames) == b"30 100\r\n"
    assert {s for s, _ in frames} == {1} and stream.exit_code == 0


async def test_stdin_reaches_the_container_and_its_close_ends_it(
    client: MonitorClient, sandbox: Any
) -> None:
    bundle = sandbox.bundle("c1", ["cat"])
    await client.create("c1", bundle, ref(sandbox), open_stdin=True)
    stream = await client.attach("c1", streams=AttachStreams(stdin=True))
    await client.start("c1")
    await stream.write(b"ping\n")
    assert await read_until(stream, b"ping\n") == b"ping\n"
    await stream.close_stdin()
    assert await read_all(stream) == [] and stream.exit_code == 0


async def test_tty_stdin_reaches_the_container(client: MonitorClient, sandbox: Any) -> None:
    bundle = sandbox.bundle("c1", ["sh", "-c", "read x; echo got-$x"], terminal=True)
    await client.create("c1", bundle, ref(sandbox), tty=True, open_stdin=True)
    stream = await client.attach("c1", streams=AttachStreams(stdin=True))
    await client.start("c1")
    await stream.write(b"abc\n")
    assert b"got-abc" in await read_until(stream, b"got-abc")
    await read_all(stream)
    assert stream.exit_code == 0


async def test_attach_to_exited_container_is_conflict(client: MonitorClient, sandbox: Any) -> None:
    await run(client, sandbox, "c1", ["true"])
    await next_exit(client, "c1")
    with pytest.raises(Conflict):
        await client.attach("c1")


async def test_close_stdin_request_ends_input(client: MonitorClient, sandbox: Any) -> None:
    bundle = sandbox.bundle("c1", ["cat"])
    await client.create("c1", bundle, ref(sandbox), open_stdin=True)
    await client.start("c1")
    await client.close_stdin("c1")
    assert (await next_exit(client, "c1")).status == 0


async def test_exec_output_goes_to_its_stream_not_the_log(
    client: MonitorClient, sandbox: Any
) -> None:
    log = await run(client, sandbox, "c1", ["sleep", "1000"])
    process = H.process_spec(["sh", "-c", "echo out; echo err >&2; exit 4"])
    stream = await client.exec_attached("c1", "e1", process, AttachStreams())
    frames = await read_all(stream)
    assert sorted(frames) == [(1, b"out\n"), (2, b"err\n")]
    assert stream.exit_code == 4 and stream.pid
    assert (await next_exit(client, "c1", "e1")).status == 4
    assert log.read_text() == ""


async def test_exec_in_a_tty(client: MonitorClient, sandbox: Any) -> None:
    await run(client, sandbox, "c1", ["sleep", "1000"])
    process = H.process_spec(["sh", "-c", "tty"])
    stream = await client.exec_attached("c1", "e1", process, AttachStreams(), tty=True)
    output = b"".join(d for _, d in await read_all(stream))
    assert output.startswith(b"/dev/pts/")


# -- restarts ------------------------------------------------------------------------------


async def test_container_keeps_logging_while_no_client_is_connected(
    client: MonitorClient, sandbox: Any
) -> None:
    log = await run(client, sandbox, "c1", TICK)
    await wait_until(lambda: log.exists() and len(log_lines(log)) >= 2)
    await client.close()
    seen = len(log_lines(log))
    await wait_until(lambda: len(log_lines(log)) >= seen + 3)

    again = MonitorClient(sandbox.exec_root)
    await again.connect()
    try:
        (info,) = await again.state()
        assert (info.cid, info.status) == ("c1", "running")
        stream = await again.attach("c1")
        assert b"tick\n" in await read_until(stream, b"tick\n")
        runc(sandbox).kill("c1", signal.SIGKILL)
        assert (await next_exit(again, "c1")).status == 137
        await read_all(stream)
        assert stream.exit_code == 137
    finally:
        await again.close()


async def test_exit_while_no_client_is_connected_is_kept(
    client: MonitorClient, sandbox: Any
) -> None:
    await run(client, sandbox, "c1", ["sleep", "1000"])
    await client.close()
    runc(sandbox).kill("c1", signal.SIGKILL)
    H.wait_for(lambda: runc(sandbox).state("c1").status.value == "stopped")

    again = MonitorClient(sandbox.exec_root)
    await again.connect()
    try:
        infos: tuple[Any, ...] = ()

        async def exited() -> None:
            nonlocal infos
            while not infos or infos[0].status != "exited":
                infos = await again.state()

        await asyncio.wait_for(exited(), TIMEOUT)
        assert infos[0].exit_code == 137
    finally:
        await again.close()


async def test_monitor_runs_in_a_session_of_its_own(client: MonitorClient, sandbox: Any) -> None:
    pid = sandbox.monitor_pid()
    assert pid is not None
    assert os.getsid(pid) != os.getsid(0)
    assert os.getpgid(pid) != os.getpgid(0)
    ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert ppid != os.getpid()


async def test_second_start_of_the_monitor_reuses_the_running_one(
    client: MonitorClient, sandbox: Any
) -> None:
    pid = sandbox.monitor_pid()
    await ensure_running(sandbox.exec_root, sandbox.runc_root)
    assert sandbox.monitor_pid() == pid


async def test_killed_monitor_leaves_containers_running_and_its_successor_reports_them_orphaned(
    client: MonitorClient, sandbox: Any
) -> None:
    await run(client, sandbox, "c1", ["sleep", "1000"])
    await run(client, sandbox, "c2", ["sh", "-c", "exit 7"])
    await next_exit(client, "c2")
    state_file = sandbox.exec_root / "monitor" / "state.json"
    await wait_until(lambda: '"exit_code":7' in state_file.read_text())
    sandbox.kill_monitor()
    assert runc(sandbox).state("c1").status.value == "running"

    await ensure_running(sandbox.exec_root, sandbox.runc_root)
    await asyncio.wait_for(_next_reconnect(client), TIMEOUT)
    infos = {i.cid: i for i in await client.state()}
    assert (infos["c1"].status, infos["c1"].exit_code) == ("orphaned", None)
    assert (infos["c2"].status, infos["c2"].exit_code) == ("exited", 7)
    with pytest.raises(Conflict):
        await client.attach("c1")

    runc(sandbox).kill("c1", signal.SIGKILL)
    event = await next_exit(client, "c1")
    assert event.status is None
    infos = {i.cid: i for i in await client.state()}
    assert infos["c1"].status == "unknown"


async def _next_reconnect(client: MonitorClient) -> None:
    async for event in client.events():
        if isinstance(event, Reconnected):
            return
