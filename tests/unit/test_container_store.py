"""Container and exec records in sqlite: naming, lookup, atomic updates, cascade."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.apitypes.container_config import ContainerConfig
from dockyard.apitypes.host_config import HostConfig, PortBinding, RestartPolicy
from dockyard.daemon.containers.state import Action, State, Status, require
from dockyard.daemon.containers.store import Container, ContainerStore, ExecProcess, ExecRecord
from dockyard.errors import Conflict, DockyardError, InvalidParameter, NotFound
from dockyard.metadata.db import Database

ID_A = "a1" + "0" * 62
ID_B = "a2" + "0" * 62
ID_C = "b3" + "0" * 62


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "dockyard.db")
    yield database
    database.close()


@pytest.fixture
def store(db: Database) -> ContainerStore:
    return ContainerStore(db)


def record(cid: str = ID_A, name: str = "web") -> Container:
    return Container(
        id=cid,
        name=name,
        image_id="sha256:" + "1" * 64,
        image="busybox",
        config=ContainerConfig(cmd=("sh",), image="busybox", labels={}),
        host_config=HostConfig(
            port_bindings={"80/tcp": (PortBinding("", "8080"),)},
            restart_policy=RestartPolicy("on-failure", 3),
        ),
    )


def test_created_container_reads_back_equal(store: ContainerStore) -> None:
    created = store.create(record())
    assert store.get(ID_A) == created


def test_container_survives_reopening_the_database(tmp_path: Path) -> None:
    first = Database(tmp_path / "d.db")
    created = ContainerStore(first).create(record())
    first.close()
    again = Database(tmp_path / "d.db")
    assert ContainerStore(again).get("web") == created
    again.close()


def test_taken_name_is_conflict_naming_the_holder(store: ContainerStore) -> None:
    store.create(record())
    with pytest.raises(Conflict) as err:
        store.create(record(ID_B))
    assert str(err.value) == (
        f'Conflict. The container name "/web" is already in use by container "{ID_A}". '
        "You have to remove (or rename) that container to be able to reuse that name."
    )


def test_empty_name_gets_a_random_name(store: ContainerStore) -> None:
    created = store.create(record(name=""))
    assert "_" in created.name and store.get(created.name).id == ID_A


def test_random_name_clash_is_retried(db: Database) -> None:
    names = iter(["taken_name", "taken_name", "free_name"])
    store = ContainerStore(db, name_source=lambda: next(names))
    store.create(record(ID_B, name="taken_name"))
    assert store.create(record(name="")).name == "free_name"


@pytest.mark.parametrize("ref", [ID_A, "web", "/web", "a1", ID_A[:12]])
def test_lookup_by_id_name_or_prefix(store: ContainerStore, ref: str) -> None:
    store.create(record())
    assert store.get(ref).id == ID_A


def test_name_wins_over_an_id_prefix(store: ContainerStore) -> None:
    store.create(record())
    store.create(record(ID_C, name="a1"))
    assert store.get("a1").id == ID_C


def test_unknown_container_is_not_found(store: ContainerStore) -> None:
    with pytest.raises(NotFound, match=r"^No such container: nope$"):
        store.get("nope")


def test_ambiguous_prefix_is_invalid_parameter(store: ContainerStore) -> None:
    store.create(record())
    store.create(record(ID_B, name="db"))
    with pytest.raises(InvalidParameter, match=r"^multiple IDs found with provided prefix: a$"):
        store.get("a")


def test_list_is_newest_first(store: ContainerStore) -> None:
    store.create(dataclasses.replace(record(), created=1.0))
    store.create(dataclasses.replace(record(ID_B, "db"), created=2.0))
    assert [c.name for c in store.list()] == ["db", "web"]


def test_set_state_persists(store: ContainerStore) -> None:
    store.create(record())
    store.set_state(ID_A, State(status=Status.RUNNING, pid=42))
    assert store.get(ID_A).state == State(status=Status.RUNNING, pid=42)


def test_refused_update_writes_nothing(store: ContainerStore) -> None:
    store.create(record())

    def pause(c: Container) -> Container:
        require(c.state.status, Action.PAUSE, c.id)
        return dataclasses.replace(c, state=State(status=Status.PAUSED))

    with pytest.raises(Conflict, match="is not running"):
        store.update(ID_A, pause)
    assert store.get(ID_A).state.status is Status.CREATED


def test_update_cannot_change_the_name(store: ContainerStore) -> None:
    store.create(record())
    with pytest.raises(DockyardError, match="only through rename"):
        store.update(ID_A, lambda c: dataclasses.replace(c, name="other"))


def test_rename_frees_the_old_name(store: ContainerStore) -> None:
    store.create(record())
    store.rename(ID_A, "api")
    assert store.get("api").id == ID_A
    with pytest.raises(NotFound):
        store.get("web")


def test_rename_onto_a_taken_name_is_conflict(store: ContainerStore) -> None:
    store.create(record())
    store.create(record(ID_B, "db"))
    with pytest.raises(Conflict, match=r"^Error when allocating new name: Conflict. The container"):
        store.rename(ID_A, "db")


def test_rename_to_the_same_name_is_invalid(store: ContainerStore) -> None:
    store.create(record())
    with pytest.raises(InvalidParameter, match="same name as its current name"):
        store.rename(ID_A, "web")


def test_delete_frees_the_name(store: ContainerStore) -> None:
    store.create(record())
    store.delete(ID_A)
    assert store.create(record(ID_B)).name == "web"


def test_delete_unknown_container_is_not_found(store: ContainerStore) -> None:
    with pytest.raises(NotFound):
        store.delete(ID_A)


def exec_record(eid: str = "e" * 64) -> ExecRecord:
    process = ExecProcess(cmd=("sh", "-c", "true"), env=("A=1",), tty=True, console_size=(24, 80))
    return ExecRecord(id=eid, container_id=ID_A, process=process)


def test_exec_record_reads_back_equal(store: ContainerStore) -> None:
    store.create(record())
    added = store.add_exec(exec_record())
    assert store.get_exec(added.id) == added
    assert store.list_execs(ID_A) == [added]


def test_exec_for_unknown_container_is_not_found(store: ContainerStore) -> None:
    with pytest.raises(NotFound, match="No such container"):
        store.add_exec(exec_record())


def test_unknown_exec_is_not_found(store: ContainerStore) -> None:
    with pytest.raises(NotFound, match=r"^No such exec instance: x$"):
        store.get_exec("x")


def test_exec_exit_is_recorded(store: ContainerStore) -> None:
    store.create(record())
    store.add_exec(dataclasses.replace(exec_record(), running=True, pid=9))
    done = store.update_exec("e" * 64, lambda e: dataclasses.replace(e, running=False, exit_code=3))
    assert store.get_exec("e" * 64) == done and done.exit_code == 3


def test_deleting_a_container_deletes_its_execs(store: ContainerStore) -> None:
    store.create(record())
    store.add_exec(exec_record())
    store.delete(ID_A)
    with pytest.raises(NotFound):
        store.get_exec("e" * 64)
