"""top, stats, update, rename, prune and health checks through the API on a real dockyardd."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from dockyard.testing.daemon_process import Daemon, wait_for
from dockyard.testing.engine_api import EngineApi

pytestmark = pytest.mark.root

MS = 1_000_000


@pytest.fixture(scope="module")
def image(daemon: Daemon, busybox_tar: Path) -> str:
    status, body, _ = daemon.request(
        "POST", "/v1.45/images/create?fromSrc=-&repo=ops/busybox&tag=1", busybox_tar.read_bytes()
    )
    assert status == 200, body
    return "ops/busybox:1"


class Api(EngineApi):
    """Every container here runs the module's image with no network unless told otherwise."""

    def __init__(self, daemon: Daemon, image: str) -> None:
        super().__init__(daemon)
        self.image = image

    def create(self, cmd: list[str], name: str = "", **config: Any) -> str:  # type: ignore[override]
        config = {"HostConfig": {"NetworkMode": "none"}, **config}
        return super().create(self.image, cmd, name, **config)

    def run(self, cmd: list[str], name: str = "", **config: Any) -> str:  # type: ignore[override]
        cid = self.create(cmd, name, **config)
        self.start(cid)
        return cid

    def events(self, since: float, **filters: list[str]) -> list[dict[str, Any]]:
        query = f"since={since}&until={time.time() + 0.01}&filters={quote(json.dumps(filters))}"
        status, raw, _ = self.raw("GET", f"/events?{query}")
        assert status == 200, raw
        return [json.loads(line) for line in raw.decode().splitlines() if line.strip()]


@pytest.fixture
def api(daemon: Daemon, image: str) -> Iterator[Api]:
    a = Api(daemon, image)
    try:
        yield a
    finally:
        a.cleanup()


def _cgroup_file(cid: str, controller: str, name: str) -> Path:
    unified = Path("/sys/fs/cgroup/cgroup.controllers").exists()
    if unified and not Path("/sys/fs/cgroup/memory").is_dir():
        return Path("/sys/fs/cgroup/dockyard") / cid / name
    return Path("/sys/fs/cgroup") / controller / "dockyard" / cid / name


# -- top -------------------------------------------------------------------------------------


def test_top_lists_the_containers_processes_with_ps_ef_titles(api: Api) -> None:
    cid = api.run(["sleep", "300"])
    status, body = api.call("GET", f"/containers/{cid}/top")
    assert status == 200, body
    assert body["Titles"] == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert [p[-1] for p in body["Processes"]] == ["sleep 300"]
    assert body["Processes"][0][1] == str(api.inspect(cid)["State"]["Pid"])


def test_top_passes_ps_args(api: Api) -> None:
    cid = api.run(["sleep", "300"])
    status, body = api.call("GET", f"/containers/{cid}/top?ps_args=aux")
    assert status == 200, body
    assert body["Titles"][0] == "USER" and "COMMAND" in body["Titles"]


def test_top_of_a_stopped_container_is_conflict(api: Api) -> None:
    cid = api.create(["true"])
    status, body = api.call("GET", f"/containers/{cid}/top")
    assert (status, body["message"]) == (409, f"Container {cid} is not running")


# -- stats -----------------------------------------------------------------------------------


def test_one_shot_stats_read_the_cgroup_without_precpu(api: Api) -> None:
    cid = api.run(["sleep", "300"], name="ops-stats")
    status, body = api.call("GET", f"/containers/{cid}/stats?stream=false&one-shot=true")
    assert status == 200, body
    assert (body["id"], body["name"]) == (cid, "/ops-stats")
    assert body["pids_stats"]["current"] >= 1
    assert body["memory_stats"]["usage"] > 0 and body["memory_stats"]["limit"] > 0
    assert body["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert body["cpu_stats"]["system_cpu_usage"] > 0
    assert body["preread"] == "0001-01-01T00:00:00Z"
    assert "networks" not in body  # --network none


def test_stats_without_one_shot_carry_the_previous_sample(api: Api) -> None:
    cid = api.run(["sleep", "300"])
    status, body = api.call("GET", f"/containers/{cid}/stats?stream=false")
    assert status == 200, body
    assert body["preread"] != "0001-01-01T00:00:00Z"
    assert body["preread"] < body["read"]
    assert body["precpu_stats"]["system_cpu_usage"] <= body["cpu_stats"]["system_cpu_usage"]


def test_stats_of_a_stopped_container_are_zero(api: Api) -> None:
    cid = api.create(["true"])
    status, body = api.call("GET", f"/containers/{cid}/stats?stream=false")
    assert status == 200, body
    assert body["read"] == "0001-01-01T00:00:00Z"
    assert body["memory_stats"] == {} and body["pids_stats"] == {}


def test_stats_of_an_unknown_container_is_not_found(api: Api) -> None:
    status, body = api.call("GET", "/containers/nope-ops/stats?stream=false")
    assert (status, body["message"]) == (404, "No such container: nope-ops")


def test_streamed_stats_chain_precpu_from_the_previous_message(daemon: Daemon, api: Api) -> None:
    cid = api.run(["sleep", "300"])
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(str(daemon.socket))
    conn = http.client.HTTPConnection("localhost")
    conn.sock = sock
    try:
        conn.request("GET", f"/v1.45/containers/{cid}/stats")
        resp = conn.getresponse()
        first, second = json.loads(resp.readline()), json.loads(resp.readline())
    finally:
        conn.close()
    assert first["preread"] == "0001-01-01T00:00:00Z"
    assert second["preread"] == first["read"]
    assert second["precpu_stats"] == first["cpu_stats"]


# -- update ----------------------------------------------------------------------------------


def test_update_applies_limits_to_a_running_container(api: Api) -> None:
    cid = api.run(["sleep", "300"])
    body = {"Memory": 64 << 20, "MemorySwap": 128 << 20, "PidsLimit": 40, "CpuShares": 512}
    status, out = api.call("POST", f"/containers/{cid}/update", body)
    assert (status, out) == (200, {"Warnings": None})
    assert int(_cgroup_file(cid, "memory", "memory.limit_in_bytes").read_text()) == 64 << 20
    assert _cgroup_file(cid, "pids", "pids.max").read_text().strip() == "40"
    hc = api.inspect(cid)["HostConfig"]
    assert (hc["Memory"], hc["MemorySwap"], hc["PidsLimit"], hc["CpuShares"]) == (
        64 << 20, 128 << 20, 40, 512,
    )  # fmt: skip


def test_update_below_current_usage_fails_and_keeps_the_record(api: Api) -> None:
    cid = api.run(["sh", "-c", "dd if=/dev/zero bs=1M count=24 | cat > /dev/shm/x; sleep 300"])
    shm = _cgroup_file(cid, "memory", "memory.usage_in_bytes")
    wait_for(lambda: shm.exists() and int(shm.read_text()) > 20 << 20)
    status, out = api.call(
        "POST", f"/containers/{cid}/update", {"Memory": 8 << 20, "MemorySwap": -1}
    )
    assert status == 500
    assert out["message"].startswith(f"Cannot update container {cid}: ")
    assert "memory" in out["message"]
    assert api.inspect(cid)["HostConfig"]["Memory"] == 0


def test_update_of_a_stopped_container_is_stored(api: Api) -> None:
    cid = api.create(["true"])
    body = {"CpuShares": 256, "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}}
    assert api.call("POST", f"/containers/{cid}/update", body)[0] == 200
    hc = api.inspect(cid)["HostConfig"]
    assert hc["CpuShares"] == 256
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}


def test_update_is_validated_like_create(api: Api) -> None:
    cid = api.create(["true"])
    status, out = api.call("POST", f"/containers/{cid}/update", {"Memory": 1000})
    assert (status, out["message"]) == (400, "Minimum memory limit allowed is 6MB")
    status, out = api.call("POST", f"/containers/{cid}/update", {"Memory": "x"})
    assert status == 400
    assert out["message"] == (
        "json: cannot unmarshal string into Go struct field UpdateConfig.Memory of type int64"
    )


def test_update_memory_without_swap_above_the_stored_swap_conflicts(api: Api) -> None:
    cid = api.create(["true"])
    status, out = api.call("POST", f"/containers/{cid}/update", {"Memory": 50 << 20})
    assert status == 409
    assert out["message"] == (
        f"Cannot update container {cid}: Memory limit should be smaller than already set "
        "memoryswap limit, update the memoryswap at the same time"
    )


# -- rename ----------------------------------------------------------------------------------


def test_rename_changes_the_name_and_emits_the_old_one(api: Api) -> None:
    since = time.time() - 1
    cid = api.create(["true"], name="ops-old")
    assert api.call("POST", f"/containers/{cid}/rename?name=ops-new")[0] == 204
    assert api.inspect(cid)["Name"] == "/ops-new"
    [event] = api.events(since, event=["rename"], container=[cid])
    assert event["Actor"]["Attributes"]["oldName"] == "/ops-old"
    assert event["Actor"]["Attributes"]["name"] == "ops-new"


def test_rename_to_a_taken_name_is_conflict(api: Api) -> None:
    cid = api.create(["true"], name="ops-a")
    other = api.create(["true"], name="ops-b")
    status, out = api.call("POST", f"/containers/{cid}/rename?name=ops-b")
    assert status == 409
    assert out["message"] == (
        f'Error when allocating new name: Conflict. The container name "/ops-b" is already in '
        f'use by container "{other}". You have to remove (or rename) that container to be able '
        "to reuse that name."
    )


def test_rename_to_an_invalid_name_is_refused(api: Api) -> None:
    cid = api.create(["true"])
    status, out = api.call("POST", f"/containers/{cid}/rename?name=a")
    assert (status, out["message"]) == (
        400,
        "Error when allocating new name: Invalid container name (/a), "
        "only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
    )


# -- prune -----------------------------------------------------------------------------------


def test_prune_removes_matching_stopped_containers_only(api: Api) -> None:
    since = time.time() - 1
    labels = {"Labels": {"ops-prune": "1"}}
    stopped = api.create(["true"], **labels)
    running = api.run(["sleep", "300"], **labels)
    unlabelled = api.create(["true"])
    filters = quote(json.dumps({"label": ["ops-prune=1"]}))
    status, out = api.call("POST", f"/containers/prune?filters={filters}")
    assert status == 200, out
    assert out["ContainersDeleted"] == [stopped]
    assert isinstance(out["SpaceReclaimed"], int)
    assert api.call("GET", f"/containers/{stopped}/json")[0] == 404
    assert api.call("GET", f"/containers/{running}/json")[0] == 200
    assert api.call("GET", f"/containers/{unlabelled}/json")[0] == 200
    [event] = api.events(since, event=["prune"], type=["container"])
    assert event["Actor"]["Attributes"] == {"reclaimed": str(out["SpaceReclaimed"])}


def test_prune_with_nothing_to_remove_answers_null(api: Api) -> None:
    filters = quote(json.dumps({"label": ["ops-nothing-has-this"]}))
    assert api.call("POST", f"/containers/prune?filters={filters}") == (
        200,
        {"ContainersDeleted": None, "SpaceReclaimed": 0},
    )


# -- health ----------------------------------------------------------------------------------


def _health(api: Api, cid: str) -> dict[str, Any]:
    return dict(api.inspect(cid)["State"].get("Health") or {})


def test_passing_healthcheck_makes_the_container_healthy(api: Api) -> None:
    check = {"Test": ["CMD-SHELL", "echo ok"], "Interval": 100 * MS}
    cid = api.run(["sleep", "300"], Healthcheck=check)
    assert _health(api, cid)["Status"] == "starting"
    wait_for(lambda: _health(api, cid)["Status"] == "healthy", timeout=5)
    entry = _health(api, cid)["Log"][0]
    assert (entry["ExitCode"], entry["Output"]) == (0, "ok\n")


def test_failing_healthcheck_turns_unhealthy_after_the_retries(api: Api) -> None:
    since = time.time() - 1
    check = {"Test": ["CMD", "false"], "Interval": 100 * MS, "Retries": 2}
    cid = api.run(["sleep", "300"], Healthcheck=check)
    wait_for(lambda: _health(api, cid)["Status"] == "unhealthy", timeout=5)
    assert _health(api, cid)["FailingStreak"] >= 2
    actions = [e["Action"] for e in api.events(since, container=[cid])]
    assert "health_status: unhealthy" in actions
    assert "exec_create: false " in actions
    assert "exec_die" in actions


def test_healthcheck_timeout_is_exit_code_minus_one(api: Api) -> None:
    check = {"Test": ["CMD", "sleep", "5"], "Interval": 100 * MS, "Timeout": 200 * MS}
    cid = api.run(["sleep", "300"], Healthcheck=check)
    wait_for(lambda: bool(_health(api, cid).get("Log")), timeout=5)
    entry = _health(api, cid)["Log"][0]
    assert (entry["ExitCode"], entry["Output"]) == (-1, "Health check exceeded timeout (200ms)")


def test_stopped_container_reads_unhealthy(api: Api) -> None:
    check = {"Test": ["CMD", "true"], "Interval": 100 * MS}
    cid = api.run(["sleep", "300"], Healthcheck=check)
    wait_for(lambda: _health(api, cid)["Status"] == "healthy", timeout=5)
    assert api.call("POST", f"/containers/{cid}/stop?t=0")[0] == 204
    assert _health(api, cid)["Status"] == "unhealthy"


def test_disabled_healthcheck_has_no_health(api: Api) -> None:
    cid = api.run(["sleep", "300"], Healthcheck={"Test": ["NONE"]})
    assert "Health" not in api.inspect(cid)["State"]
