"""``POST /containers/create``: a container record, its writable layer and its /etc files.

Nothing runs yet. What can fail is checked before anything is made (name, image, config),
and what is made is undone if a later step fails, so a refused create leaves no record,
snapshot or directory behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import time
from dataclasses import dataclass

from dockyard.apitypes.container_create import ContainerCreateRequest, validate_container_name
from dockyard.apitypes.container_merge import merge_image_config, require_command
from dockyard.apitypes.host_config import with_daemon_defaults
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.etcfiles import write_etc_files
from dockyard.daemon.containers.store import Container
from dockyard.daemon.system import cgroup_version
from dockyard.errors import InvalidParameter
from dockyard.util.ids import random_id

__all__ = ["CreateResult", "create"]


@dataclass(frozen=True, slots=True)
class CreateResult:
    id: str
    warnings: tuple[str, ...] = ()


def _command(entrypoint: tuple[str, ...] | None, cmd: tuple[str, ...] | None) -> list[str]:
    return [*(entrypoint or ()), *(cmd or ())]


def _new_record(ctx: ContainerContext, req: ContainerCreateRequest, name: str) -> Container:
    """The record to store: the image's defaults merged in, dockerd's defaults filled."""
    image_ref = req.config.image
    if not image_ref:
        raise InvalidParameter("Config cannot be empty in order to create a container")
    image = ctx.images.resolve(image_ref)
    defaults = ctx.images.image_config(image.id)
    cid = random_id()
    config = merge_image_config(req.config, defaults.config)
    require_command(config)
    config = dataclasses.replace(config, hostname=config.hostname or cid[:12])
    host_config = with_daemon_defaults(
        req.host_config,
        log_driver=ctx.config.log_driver,
        runtime=ctx.config.default_runtime,
        cgroupns_mode="private" if cgroup_version() == "2" else "host",
    )
    ctx.runtime(host_config.runtime)
    command = _command(config.entrypoint, config.cmd)
    return Container(
        id=cid,
        name=name,
        image_id=image.id,
        image=image_ref,
        config=config,
        host_config=host_config,
        networking=req.networking_config,
        created=time.time(),
        path=command[0],
        args=tuple(command[1:]),
        log_path=str(ctx.layout.log_path(cid)),
        driver="overlayfs",
        snapshot_key=ctx.layout.snapshot_key(cid),
    )


def _create_sync(ctx: ContainerContext, req: ContainerCreateRequest, name: str) -> Container:
    record = ctx.store.create(_new_record(ctx, req, name))
    cid = record.id
    data_dir = ctx.layout.data_dir(cid)
    try:
        ctx.snapshotter.prepare(record.snapshot_key, ctx.images.rootfs_parent(record.image_id))
        data_dir.mkdir(parents=True, mode=0o710)
        write_etc_files(ctx.layout, record)
        for hook in ctx.hooks:
            hook.created(record)
    except BaseException:
        _undo(ctx, record)
        raise
    return record


def _undo(ctx: ContainerContext, record: Container) -> None:
    for hook in ctx.hooks:
        with contextlib.suppress(Exception):  # the original error is the one to report
            hook.removed(record, True)
    shutil.rmtree(ctx.layout.data_dir(record.id), ignore_errors=True)
    # The error that brought us here is the one to report; cleanup failures are secondary.
    with contextlib.suppress(Exception):
        ctx.snapshotter.remove(record.snapshot_key)
    ctx.store.delete(record.id)


async def create(ctx: ContainerContext, req: ContainerCreateRequest, name: str) -> CreateResult:
    name = validate_container_name(name) if name else ""
    record = await asyncio.to_thread(_create_sync, ctx, req, name)
    ctx.emit("create", record.id, image=record.image, name=record.name)
    return CreateResult(id=record.id)
