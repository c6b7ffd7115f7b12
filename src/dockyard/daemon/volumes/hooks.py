"""Containers and volumes: the volume service's :class:`ContainerHooks`.

create: plan the mounts (plan.py), create missing named and anonymous volumes, take a
driver ref on each (held until removal: Docker's "in use" includes stopped containers),
create missing ``-v`` host directories, persist the plan (table ``container_mounts``).
start: copy the image's content into each volume still empty on its first mount (unless
``nocopy``), and hand the mounts to the spec (binds with ``rbind``, ``ro``/``rw`` and the
propagation; tmpfs with its options). rm: drop the refs; ``rm -v`` also removes the
container's anonymous volumes that nothing else references.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from dockyard.apitypes.containers import ContainerView, MountView
from dockyard.daemon.containers.hooks import StartExtras
from dockyard.daemon.containers.store import Container, ContainerStore
from dockyard.daemon.volumes.plan import (
    PlannedMount,
    from_json,
    plan_mounts,
    to_json,
    with_volumes_from,
)
from dockyard.daemon.volumes.service import VolumeService
from dockyard.errors import DockyardError, InvalidParameter
from dockyard.metadata.db import Database
from dockyard.runtime.spec import ExtraMount
from dockyard.util.securejoin import secure_join
from dockyard.volume.copyup import copy_up

__all__ = ["VolumeHooks"]

log = logging.getLogger(__name__)


class VolumeHooks:
    def __init__(self, service: VolumeService, containers: ContainerStore, db: Database) -> None:
        self.service = service
        self.containers = containers
        self.db = db

    # -- persistence ----------------------------------------------------------------------------

    def mounts(self, cid: str) -> list[PlannedMount]:
        row = self.db.query_one(
            "SELECT mounts FROM container_mounts WHERE container_id = ?", (cid,)
        )
        return from_json(json.loads(row["mounts"])) if row is not None else []

    def _save(self, cid: str, mounts: list[PlannedMount]) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO container_mounts (container_id, mounts) VALUES (?, ?)",
                (cid, json.dumps(to_json(mounts))),
            )

    # -- create -----------------------------------------------------------------------------

    def _volumes_from(self, c: Container) -> list[PlannedMount]:
        out: list[PlannedMount] = []
        for spec in c.host_config.volumes_from or ():
            ref, _, mode = spec.partition(":")
            other = self.containers.get(ref)
            out += with_volumes_from(self.mounts(other.id), mode)
        return out

    def created(self, c: Container) -> None:
        plan = plan_mounts(
            c.config.volumes or (),
            self._volumes_from(c),
            c.host_config.binds or (),
            c.host_config.mounts or (),
        )
        for m in plan:
            if m.type == "bind" and not m.create_source and not Path(m.source).exists():
                raise InvalidParameter(
                    f'invalid mount config for type "bind": bind source path does not exist: '
                    f"{m.source}"
                )
        done: list[PlannedMount] = []
        try:
            for m in plan:
                done.append(self._provision(c, m))
        except BaseException:
            self._release(c.id, done, remove_anonymous=True)
            raise
        self._save(c.id, done)

    def _provision(self, c: Container, m: PlannedMount) -> PlannedMount:
        if m.type == "bind":
            Path(m.source).mkdir(parents=True, exist_ok=True)
            return m
        if m.type != "volume":
            return m
        volume = self.service.create(
            None if m.anonymous else m.name, m.volume_labels, m.volume_options
        )
        self.service.driver.mount(volume.name, c.id)
        return dataclasses.replace(m, name=volume.name, source=str(volume.mountpoint))

    # -- start ------------------------------------------------------------------------------

    def prepare(self, c: Container, rootfs: Path) -> StartExtras:
        mounts = self.mounts(c.id)
        extra: list[ExtraMount] = []
        changed = False
        for i, m in enumerate(mounts):
            if m.type == "tmpfs":
                extra.append(ExtraMount("tmpfs", m.destination, "tmpfs", m.tmpfs_options))
                continue
            if m.type == "volume":
                source = self.service.driver.mount(m.name, c.id)
                if not m.copied and not m.nocopy:
                    copy_up(secure_join(rootfs, m.destination), source)
                    mounts[i] = dataclasses.replace(m, copied=True, source=str(source))
                    changed = True
            options = ["rbind", "rw" if m.rw else "ro", m.propagation or "rprivate"]
            extra.append(ExtraMount(mounts[i].source, m.destination, "bind", tuple(options)))
        if changed:
            self._save(c.id, mounts)
        return StartExtras(mounts=tuple(extra))

    def stopped(self, c: Container) -> None:
        return None

    # -- remove -----------------------------------------------------------------------------

    def _release(self, cid: str, mounts: list[PlannedMount], *, remove_anonymous: bool) -> None:
        for m in mounts:
            if m.type != "volume" or not m.name:
                continue
            with contextlib.suppress(DockyardError):
                self.service.driver.unmount(m.name, cid)
            if remove_anonymous and m.anonymous:
                try:
                    self.service.remove(m.name)
                except DockyardError as err:
                    log.debug("keeping anonymous volume %s: %s", m.name, err)

    def removed(self, c: Container, volumes: bool) -> None:
        self._release(c.id, self.mounts(c.id), remove_anonymous=volumes)
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM container_mounts WHERE container_id = ?", (c.id,))

    # -- inspect ----------------------------------------------------------------------------

    def view(self, items: Sequence[tuple[Container, ContainerView]]) -> list[ContainerView]:
        if len(items) == 1:
            planned = {items[0][0].id: self.mounts(items[0][0].id)}
        else:
            rows = self.db.query("SELECT container_id, mounts FROM container_mounts")
            planned = {r["container_id"]: from_json(json.loads(r["mounts"])) for r in rows}
        return [
            dataclasses.replace(view, mounts=tuple(_mount_view(m) for m in planned.get(c.id, [])))
            for c, view in items
        ]


def _mount_view(m: PlannedMount) -> MountView:
    if m.type == "volume":
        return MountView(
            "volume", m.source, m.destination, m.rw, name=m.name, driver="local", mode=m.mode
        )
    if m.type == "bind":
        return MountView(
            "bind", m.source, m.destination, m.rw, mode=m.mode, propagation=m.propagation
        )
    return MountView("tmpfs", "", m.destination, m.rw)
