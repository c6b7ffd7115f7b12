"""Container and exec records in the metadata database (tables of migration 3).

The store is the only writer of those tables. Every change is one sqlite transaction, so a
record is never half written and two concurrent updates of one container serialize
(:meth:`ContainerStore.update` reads, applies a pure function and writes under one lock).
Lookups follow dockerd: a full id, then a name (with or without its leading "/"), then a
unique id prefix. Names are stored without the "/" that inspect shows.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dockyard.apitypes.container_config import ContainerConfig
from dockyard.apitypes.host_config import HostConfig
from dockyard.apitypes.networking_config import NetworkingConfig
from dockyard.daemon.containers.state import State
from dockyard.errors import Conflict, DockyardError, InvalidParameter, NotFound
from dockyard.metadata.db import Database
from dockyard.util.ids import random_name

__all__ = ["Container", "ContainerStore", "ExecProcess", "ExecRecord"]

log = logging.getLogger(__name__)

_NAME_ATTEMPTS = 10


@dataclass(frozen=True, slots=True)
class Container:
    """One container as persisted; ``name`` has no leading "/"."""

    id: str
    name: str
    image_id: str
    image: str
    config: ContainerConfig
    host_config: HostConfig
    networking: NetworkingConfig = field(default_factory=NetworkingConfig)
    state: State = field(default_factory=State)
    created: float = 0.0
    path: str = ""
    args: tuple[str, ...] = ()
    restart_count: int = 0
    has_been_started: bool = False
    manually_stopped: bool = False
    log_path: str = ""
    mount_label: str = ""
    platform: str = "linux"
    driver: str = ""
    snapshot_key: str = ""


@dataclass(frozen=True, slots=True)
class ExecProcess:
    """What ``POST /containers/{id}/exec`` asked to run."""

    cmd: tuple[str, ...]
    env: tuple[str, ...] = ()
    user: str = ""
    working_dir: str = ""
    tty: bool = False
    privileged: bool = False
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False
    detach_keys: str = ""
    console_size: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class ExecRecord:
    id: str
    container_id: str
    process: ExecProcess
    running: bool = False
    pid: int = 0
    exit_code: int | None = None
    created: float = 0.0


def _container_row(c: Container) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "image_id": c.image_id,
        "image": c.image,
        "created": c.created,
        "path": c.path,
        "args": json.dumps(list(c.args)),
        "config": json.dumps(c.config.to_wire()),
        "host_config": json.dumps(c.host_config.to_wire()),
        "networking": json.dumps(c.networking.to_wire()),
        "state": json.dumps(c.state.to_wire()),
        "restart_count": c.restart_count,
        "has_been_started": int(c.has_been_started),
        "manually_stopped": int(c.manually_stopped),
        "log_path": c.log_path,
        "mount_label": c.mount_label,
        "platform": c.platform,
        "driver": c.driver,
        "snapshot_key": c.snapshot_key,
    }


# Decoding Go-style JSON is most of what listing 500 containers costs; the columns are
# immutable text, and the decoded values are frozen, so identical text decodes once.
@functools.lru_cache(maxsize=8192)
def _config(text: str) -> ContainerConfig:
    return ContainerConfig.from_wire(json.loads(text))


@functools.lru_cache(maxsize=8192)
def _host_config(text: str) -> HostConfig:
    return HostConfig.from_wire(json.loads(text))


@functools.lru_cache(maxsize=8192)
def _networking(text: str) -> NetworkingConfig:
    return NetworkingConfig.from_wire(json.loads(text))


def _container(row: sqlite3.Row) -> Container:
    return Container(
        id=row["id"],
        name=row["name"],
        image_id=row["image_id"],
        image=row["image"],
        created=row["created"],
        path=row["path"],
        args=tuple(json.loads(row["args"])),
        config=_config(row["config"]),
        host_config=_host_config(row["host_config"]),
        networking=_networking(row["networking"]),
        state=State.from_wire(json.loads(row["state"])),
        restart_count=row["restart_count"],
        has_been_started=bool(row["has_been_started"]),
        manually_stopped=bool(row["manually_stopped"]),
        log_path=row["log_path"],
        mount_label=row["mount_label"],
        platform=row["platform"],
        driver=row["driver"],
        snapshot_key=row["snapshot_key"],
    )


def _name_conflict(name: str, holder: str) -> Conflict:
    return Conflict(
        f'Conflict. The container name "/{name}" is already in use by container "{holder}". '
        "You have to remove (or rename) that container to be able to reuse that name."
    )


def _process_json(p: ExecProcess) -> str:
    return json.dumps(dataclasses.asdict(p))


def _process(text: str) -> ExecProcess:
    doc = json.loads(text)
    size = doc["console_size"]
    return ExecProcess(
        cmd=tuple(doc["cmd"]),
        env=tuple(doc["env"]),
        user=doc["user"],
        working_dir=doc["working_dir"],
        tty=doc["tty"],
        privileged=doc["privileged"],
        attach_stdin=doc["attach_stdin"],
        attach_stdout=doc["attach_stdout"],
        attach_stderr=doc["attach_stderr"],
        detach_keys=doc["detach_keys"],
        console_size=(size[0], size[1]) if size else None,
    )


def _exec(row: sqlite3.Row) -> ExecRecord:
    return ExecRecord(
        id=row["id"],
        container_id=row["container_id"],
        process=_process(row["process"]),
        running=bool(row["running"]),
        pid=row["pid"],
        exit_code=row["exit_code"],
        created=row["created"],
    )


class ContainerStore:
    def __init__(self, db: Database, name_source: Callable[[], str] = random_name) -> None:
        self._db = db
        self._random_name = name_source

    # --- containers -----------------------------------------------------------------------

    def create(self, container: Container) -> Container:
        """Insert ``container``; an empty name gets a random ``adjective_surname``.

        Conflict (Docker's text) when the name is taken; ``created`` defaults to now.
        """
        if not container.created:
            container = dataclasses.replace(container, created=time.time())
        with self._db.transaction() as tx:
            if container.name:
                self._check_name_free(tx, container.name)
            else:
                container = dataclasses.replace(container, name=self._free_name(tx))
            row = _container_row(container)
            tx.execute(
                f"INSERT INTO containers ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
        log.debug("container %s created as /%s", container.id, container.name)
        return container

    def get(self, ref: str) -> Container:
        """By full id, name ("/x" or "x") or unique id prefix.

        NotFound ``No such container: <ref>``; InvalidParameter when a prefix matches more
        than one container.
        """
        return _container(self._resolve_row(ref))

    def list(self) -> list[Container]:
        """Every container, newest first (the order of ``docker ps``)."""
        rows = self._db.query("SELECT * FROM containers ORDER BY created DESC, rowid DESC")
        return [_container(r) for r in rows]

    def update(self, cid: str, change: Callable[[Container], Container]) -> Container:
        """Apply the pure ``change`` to the current record and write it back, atomically.

        ``change`` may raise (e.g. a state.require refusal): nothing is written then. The id
        and name are not changed here (see :meth:`rename`).
        """
        with self._db.transaction() as tx:
            row = tx.execute("SELECT * FROM containers WHERE id = ?", (cid,)).fetchone()
            if row is None:
                raise NotFound(f"No such container: {cid}")
            updated = change(_container(row))
            if (updated.id, updated.name) != (row["id"], row["name"]):
                raise DockyardError("container id and name change only through rename")
            values = _container_row(updated)
            del values["id"], values["name"]
            assignments = ", ".join(f"{k} = ?" for k in values)
            tx.execute(f"UPDATE containers SET {assignments} WHERE id = ?", [*values.values(), cid])
        return updated

    def set_state(self, cid: str, state: State) -> Container:
        return self.update(cid, lambda c: dataclasses.replace(c, state=state))

    def rename(self, cid: str, new_name: str) -> Container:
        """Give the container ``new_name`` (already validated, without "/")."""
        new_name = new_name.removeprefix("/")
        with self._db.transaction() as tx:
            row = tx.execute("SELECT * FROM containers WHERE id = ?", (cid,)).fetchone()
            if row is None:
                raise NotFound(f"No such container: {cid}")
            if row["name"] == new_name:
                raise InvalidParameter(
                    "Renaming a container with the same name as its current name"
                )
            try:
                self._check_name_free(tx, new_name)
            except Conflict as err:
                raise Conflict(f"Error when allocating new name: {err}") from err
            tx.execute("UPDATE containers SET name = ? WHERE id = ?", (new_name, cid))
        return dataclasses.replace(_container(row), name=new_name)

    def delete(self, cid: str) -> None:
        """Forget the container and its exec records; NotFound when it is not there."""
        with self._db.transaction() as tx:
            if tx.execute("DELETE FROM containers WHERE id = ?", (cid,)).rowcount == 0:
                raise NotFound(f"No such container: {cid}")

    def _resolve_row(self, ref: str) -> sqlite3.Row:
        if ref:
            row = self._db.query_one("SELECT * FROM containers WHERE id = ?", (ref,))
            if row is None:
                row = self._db.query_one(
                    "SELECT * FROM containers WHERE name = ?", (ref.removeprefix("/"),)
                )
            if row is not None:
                return row
            if all(ch in "0123456789abcdef" for ch in ref):
                rows = self._db.query(
                    "SELECT * FROM containers WHERE substr(id, 1, ?) = ? LIMIT 2",
                    (len(ref), ref),
                )
                if len(rows) > 1:
                    raise InvalidParameter(f"multiple IDs found with provided prefix: {ref}")
                if rows:
                    return rows[0]
        raise NotFound(f"No such container: {ref}")

    @staticmethod
    def _check_name_free(tx: sqlite3.Connection, name: str) -> None:
        holder = tx.execute("SELECT id FROM containers WHERE name = ?", (name,)).fetchone()
        if holder is not None:
            raise _name_conflict(name, holder["id"])

    def _free_name(self, tx: sqlite3.Connection) -> str:
        """A random name not in use; like dockerd, a digit is appended after a few clashes."""
        for attempt in range(_NAME_ATTEMPTS):
            name = self._random_name()
            if attempt >= _NAME_ATTEMPTS // 2:
                name = f"{name}{attempt}"
            taken = tx.execute("SELECT 1 FROM containers WHERE name = ?", (name,)).fetchone()
            if taken is None:
                return name
        raise Conflict("could not find a free random container name; pass --name")

    # --- exec records -----------------------------------------------------------------------

    def add_exec(self, record: ExecRecord) -> ExecRecord:
        if not record.created:
            record = dataclasses.replace(record, created=time.time())
        with self._db.transaction() as tx:
            if (
                tx.execute(
                    "SELECT 1 FROM containers WHERE id = ?", (record.container_id,)
                ).fetchone()
                is None
            ):
                raise NotFound(f"No such container: {record.container_id}")
            tx.execute(
                "INSERT INTO execs (id, container_id, process, running, pid, exit_code, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.container_id,
                    _process_json(record.process),
                    int(record.running),
                    record.pid,
                    record.exit_code,
                    record.created,
                ),
            )
        return record

    def get_exec(self, eid: str) -> ExecRecord:
        """NotFound ``No such exec instance: <id>``."""
        row = self._db.query_one("SELECT * FROM execs WHERE id = ?", (eid,))
        if row is None:
            raise NotFound(f"No such exec instance: {eid}")
        return _exec(row)

    def list_execs(self, cid: str) -> builtins.list[ExecRecord]:
        rows = self._db.query(
            "SELECT * FROM execs WHERE container_id = ? ORDER BY created, rowid", (cid,)
        )
        return [_exec(r) for r in rows]

    def update_exec(self, eid: str, change: Callable[[ExecRecord], ExecRecord]) -> ExecRecord:
        """Atomically apply ``change`` (running, pid, exit code) to one exec record."""
        with self._db.transaction() as tx:
            row = tx.execute("SELECT * FROM execs WHERE id = ?", (eid,)).fetchone()
            if row is None:
                raise NotFound(f"No such exec instance: {eid}")
            updated = change(_exec(row))
            tx.execute(
                "UPDATE execs SET running = ?, pid = ?, exit_code = ? WHERE id = ?",
                (int(updated.running), updated.pid, updated.exit_code, eid),
            )
        return updated

    def delete_exec(self, eid: str) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM execs WHERE id = ?", (eid,))
