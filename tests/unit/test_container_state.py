"""The container lifecycle: transition table and dockerd's refusal messages, one each."""

from __future__ import annotations

import pytest

from dockyard.daemon.containers.state import (
    TRANSITIONS,
    ZERO_TIME,
    Action,
    Health,
    HealthLogEntry,
    State,
    Status,
    can_transition,
    require,
    transition,
)
from dockyard.errors import Conflict, NotModified

CID = "81cd3376a3072009746e7c08602e64d4550bf1168c37fe9cf73001c2e42f735c"


def refused(status: Status, action: Action, ref: str = "web") -> Conflict:
    with pytest.raises(Conflict) as err:
        require(status, action, CID, ref)
    return err.value


def test_every_status_has_a_row_in_the_table() -> None:
    assert set(TRANSITIONS) == set(Status)


def test_created_container_can_start() -> None:
    assert can_transition(Status.CREATED, Status.RUNNING)


def test_created_container_cannot_be_paused() -> None:
    assert not can_transition(Status.CREATED, Status.PAUSED)


def test_dead_container_can_only_be_removed() -> None:
    assert TRANSITIONS[Status.DEAD] == frozenset({Status.REMOVING})


def test_transition_moves_along_an_edge() -> None:
    assert transition(State(), Status.RUNNING).status is Status.RUNNING


def test_transition_outside_the_table_is_conflict() -> None:
    with pytest.raises(Conflict, match="from exited to paused"):
        transition(State(status=Status.EXITED), Status.PAUSED)


@pytest.mark.parametrize("status", [Status.RUNNING, Status.RESTARTING])
def test_start_on_running_is_not_modified(status: Status) -> None:
    with pytest.raises(NotModified):
        require(status, Action.START, CID)


def test_start_on_paused_is_conflict() -> None:
    msg = "cannot start a paused container, try unpause instead"
    assert str(refused(Status.PAUSED, Action.START)) == msg


def test_start_on_dead_is_conflict() -> None:
    msg = "container is marked for removal and cannot be started"
    assert str(refused(Status.DEAD, Action.START)) == msg


@pytest.mark.parametrize("status", [Status.CREATED, Status.EXITED, Status.DEAD])
def test_stop_on_stopped_is_not_modified(status: Status) -> None:
    with pytest.raises(NotModified):
        require(status, Action.STOP, CID)


def test_stop_on_paused_is_allowed() -> None:
    require(Status.PAUSED, Action.STOP, CID)


def test_kill_on_stopped_container_is_conflict() -> None:
    msg = f"Cannot kill container: web: Container {CID} is not running"
    assert str(refused(Status.EXITED, Action.KILL)) == msg


def test_kill_on_paused_is_allowed() -> None:
    require(Status.PAUSED, Action.KILL, CID)


def test_pause_on_paused_is_conflict() -> None:
    assert str(refused(Status.PAUSED, Action.PAUSE)) == f"Container {CID} is already paused"


def test_pause_on_stopped_is_conflict() -> None:
    assert str(refused(Status.EXITED, Action.PAUSE)) == f"Container {CID} is not running"


def test_unpause_on_running_is_conflict() -> None:
    assert str(refused(Status.RUNNING, Action.UNPAUSE)) == f"Container {CID} is not paused"


def test_exec_on_stopped_is_conflict() -> None:
    assert str(refused(Status.CREATED, Action.EXEC)) == f"Container {CID} is not running"


def test_exec_on_paused_names_the_container_as_given() -> None:
    msg = "Container web is paused, unpause the container before exec"
    assert str(refused(Status.PAUSED, Action.EXEC)) == msg


def test_exec_on_restarting_is_conflict() -> None:
    msg = "Container web is restarting, wait until the container is running"
    assert str(refused(Status.RESTARTING, Action.EXEC)) == msg


def test_attach_on_paused_is_conflict() -> None:
    msg = "container web is paused, unpause the container before attach"
    assert str(refused(Status.PAUSED, Action.ATTACH)) == msg


def test_attach_on_stopped_is_allowed() -> None:
    require(Status.EXITED, Action.ATTACH, CID)


def test_remove_running_without_force_is_conflict() -> None:
    msg = (
        f"You cannot remove a running container {CID}. "
        "Stop the container before attempting removal or force remove"
    )
    assert str(refused(Status.RUNNING, Action.REMOVE)) == msg


def test_remove_paused_without_force_asks_to_unpause() -> None:
    msg = (
        f"You cannot remove a paused container {CID}. "
        "Unpause and then stop the container before attempting removal or force remove"
    )
    assert str(refused(Status.PAUSED, Action.REMOVE)) == msg


def test_remove_running_with_force_is_allowed() -> None:
    require(Status.RUNNING, Action.REMOVE_FORCE, CID)


def test_remove_twice_at_once_is_conflict() -> None:
    msg = "removal of container web is already in progress"
    assert str(refused(Status.REMOVING, Action.REMOVE_FORCE)) == msg


def test_top_on_stopped_is_conflict() -> None:
    assert str(refused(Status.EXITED, Action.TOP)) == f"Container {CID} is not running"


def test_never_started_state_wire_shape() -> None:
    assert State().to_wire() == {
        "Status": "created",
        "Running": False,
        "Paused": False,
        "Restarting": False,
        "OOMKilled": False,
        "Dead": False,
        "Pid": 0,
        "ExitCode": 0,
        "Error": "",
        "StartedAt": ZERO_TIME,
        "FinishedAt": ZERO_TIME,
    }


def test_paused_state_reads_running_and_paused() -> None:
    wire = State(status=Status.PAUSED, pid=7).to_wire()
    assert (wire["Running"], wire["Paused"], wire["Pid"]) == (True, True, 7)


def test_state_with_health_round_trips() -> None:
    entry = HealthLogEntry("2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", 0, "ok")
    state = State(status=Status.RUNNING, health=Health("healthy", 0, (entry,)))
    assert State.from_wire(state.to_wire()) == state
    assert state.to_wire()["Health"]["Log"][0]["Output"] == "ok"
