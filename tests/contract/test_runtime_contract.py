"""Runtime contract (runtime/base.py), run against every OCI runtime Dockyard can drive.

Real containers on a busybox bundle under a private runc root and a ``dockyard-test-``
cgroup prefix; the sandbox finalizer force-deletes whatever a test leaves behind.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard.errors import Conflict, DockyardError, NotFound
from dockyard.runtime.base import ProcessIO, Runtime, RuntimeStatus
from dockyard.runtime.runc import RuncRuntime


def _load_helpers() -> Any:
    """tests/integration/runtime_helpers.py, by path (tests are not a package)."""
    name = "dockyard_runtime_test_helpers"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "integration" / "runtime_helpers.py"
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

LONG = ["sleep", "1000"]


def _runc(sandbox: Any) -> Runtime:
    return RuncRuntime(sandbox.runc_root, H.RUNC, "runc")


RUNTIMES: dict[str, Callable[[Any], Runtime]] = {"runc": _runc}


@pytest.fixture
def sandbox() -> Iterator[Any]:
    box = H.new_sandbox()
    try:
        yield box
    finally:
        box.cleanup()


@pytest.fixture(params=sorted(RUNTIMES))
def runtime(request: pytest.FixtureRequest, sandbox: Any) -> Runtime:
    return RUNTIMES[request.param](sandbox)


def create(runtime: Runtime, sandbox: Any, cid: str, args: list[str] = LONG, **io: int) -> int:
    bundle = sandbox.bundle(cid, args)
    return runtime.create(cid, bundle, ProcessIO(**io), sandbox.base / f"{cid}.pid")


def status(runtime: Runtime, cid: str) -> RuntimeStatus:
    return runtime.state(cid).status


def test_create_leaves_container_created_with_its_init_pid(runtime: Runtime, sandbox: Any) -> None:
    pid = create(runtime, sandbox, "c1")
    state = runtime.state("c1")
    assert (state.id, state.pid, state.status) == ("c1", pid, RuntimeStatus.CREATED)
    assert Path(state.bundle) == sandbox.base / "bundles" / "c1"


def test_start_runs_the_user_process(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    runtime.start("c1")
    assert status(runtime, "c1") is RuntimeStatus.RUNNING


def test_container_writes_to_the_given_stdout_fd(runtime: Runtime, sandbox: Any) -> None:
    r, w = os.pipe()
    try:
        create(runtime, sandbox, "c1", ["echo", "hello"], stdout=w)
        os.close(w)
        w = -1
        runtime.start("c1")
        with os.fdopen(r, "rb") as fh:
            r = -1
            assert fh.read() == b"hello\n"
    finally:
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)


def test_list_reports_every_container(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    create(runtime, sandbox, "c2")
    assert sorted(s.id for s in runtime.list()) == ["c1", "c2"]


def test_list_of_empty_root_is_empty(runtime: Runtime) -> None:
    assert runtime.list() == []


def test_pause_and_resume_freeze_and_thaw(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    runtime.start("c1")
    runtime.pause("c1")
    assert status(runtime, "c1") is RuntimeStatus.PAUSED
    runtime.resume("c1")
    assert status(runtime, "c1") is RuntimeStatus.RUNNING


def test_kill_stops_the_container(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    runtime.start("c1")
    runtime.kill("c1", signal.SIGKILL)
    H.wait_for(lambda: status(runtime, "c1") is RuntimeStatus.STOPPED)


def test_kill_all_signals_every_process(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    runtime.start("c1")
    runtime.kill("c1", signal.SIGKILL, all_processes=True)
    H.wait_for(lambda: status(runtime, "c1") is RuntimeStatus.STOPPED)


def test_exec_runs_a_process_in_the_container(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    runtime.start("c1")
    r, w = os.pipe()
    try:
        process = H.process_spec(["sh", "-c", "echo $$ from exec"])
        pid = runtime.exec("c1", process, ProcessIO(stdout=w), sandbox.base / "e1.pid")
        os.close(w)
        w = -1
        assert pid > 0
        with os.fdopen(r, "rb") as fh:
            r = -1
            # A pid namespace of its own: the exec'd shell is not pid 1 inside.
            words = fh.read().split()
        assert words[1:] == [b"from", b"exec"] and int(words[0]) > 1
    finally:
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)


def test_update_changes_cgroup_limits(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    runtime.update("c1", {"pids": {"limit": 42}})
    candidates = [
        Path("/sys/fs/cgroup/pids") / sandbox.prefix / "c1" / "pids.max",
        Path("/sys/fs/cgroup") / sandbox.prefix / "c1" / "pids.max",
    ]
    limit = next(p for p in candidates if p.exists())
    assert limit.read_text().strip() == "42"


def test_delete_removes_a_stopped_container(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1", ["true"])
    runtime.start("c1")
    H.wait_for(lambda: status(runtime, "c1") is RuntimeStatus.STOPPED)
    runtime.delete("c1")
    with pytest.raises(NotFound):
        runtime.state("c1")


def test_exists_follows_create_and_delete(runtime: Runtime, sandbox: Any) -> None:
    assert not runtime.exists("c1")
    create(runtime, sandbox, "c1", ["true"])
    assert runtime.exists("c1")
    runtime.delete("c1", force=True)
    assert not runtime.exists("c1")


def test_delete_of_running_container_is_conflict(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    runtime.start("c1")
    with pytest.raises(Conflict):
        runtime.delete("c1")


def test_forced_delete_removes_a_running_container(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    runtime.start("c1")
    runtime.delete("c1", force=True)
    assert runtime.list() == []


@pytest.mark.parametrize("verb", ["state", "start", "pause", "resume", "delete", "kill"])
def test_unknown_container_is_not_found(runtime: Runtime, verb: str) -> None:
    call: dict[str, Callable[[], object]] = {
        "state": lambda: runtime.state("nope"),
        "start": lambda: runtime.start("nope"),
        "pause": lambda: runtime.pause("nope"),
        "resume": lambda: runtime.resume("nope"),
        "delete": lambda: runtime.delete("nope"),
        "kill": lambda: runtime.kill("nope", signal.SIGTERM),
    }
    with pytest.raises(NotFound):
        call[verb]()


def test_create_with_a_taken_id_is_conflict(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    with pytest.raises(Conflict):
        create(runtime, sandbox, "c1")


def test_start_of_running_container_is_conflict(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    runtime.start("c1")
    with pytest.raises(Conflict):
        runtime.start("c1")


def test_resume_of_running_container_is_conflict(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1")
    runtime.start("c1")
    with pytest.raises(Conflict):
        runtime.resume("c1")


def test_kill_of_stopped_container_is_conflict(runtime: Runtime, sandbox: Any) -> None:
    create(runtime, sandbox, "c1", ["true"])
    runtime.start("c1")
    H.wait_for(lambda: status(runtime, "c1") is RuntimeStatus.STOPPED)
    with pytest.raises(Conflict):
        runtime.kill("c1", signal.SIGKILL)


def test_runtime_failure_carries_the_runtime_message(runtime: Runtime, sandbox: Any) -> None:
    with pytest.raises(DockyardError, match="no-such-binary"):
        create(runtime, sandbox, "c1", ["/no-such-binary"])
