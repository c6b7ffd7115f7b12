"""``POST /commit``: a new image from a container's changes (dockerd's commit, 20.10).

* Config: the container's Config (or the request body's, whose empty fields the
  container's fill), then the ``changes`` (Dockerfile lines, as for ``import``).
* Layer: the overlay upper dir as an OCI layer tar (:func:`~dockyard.archive.diff.write_diff`),
  stored uncompressed (blob digest = diff_id). The mount points the container service
  makes in the upper dir (/etc/hostname, /etc/hosts, /etc/resolv.conf, which dockerd
  keeps in a separate init layer) are left out, and so is ``etc/`` when nothing else under
  it changed. A diff with nothing left is an empty layer: history only, no new layer.
* History: the parent's plus one entry, ``created_by`` = the container's ``Cmd`` joined by
  spaces (dockerd ignores the entrypoint there), with author and comment.
* The container is paused while its upper dir is read when ``pause`` (the default) and it
  runs; ``pause``/``unpause`` events are emitted as dockerd does, then ``commit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import tarfile
import threading
from pathlib import Path
from typing import BinaryIO

from dockyard.apitypes.container_config import ContainerConfig as WireConfig
from dockyard.apitypes.container_fs import CommitOptions
from dockyard.archive.diff import write_diff
from dockyard.daemon.containers import pause as pause_mod
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.fsdiff import layer_dirs
from dockyard.daemon.containers.state import Status
from dockyard.daemon.containers.store import Container
from dockyard.errors import Conflict, DockyardError
from dockyard.image.changes import apply_changes
from dockyard.image.store import repo_tag_reference
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.image import ContainerConfig, HistoryEntry, ImageConfig
from dockyard.oci.reference import Reference
from dockyard.util.timefmt import utcnow_rfc3339

__all__ = ["EXCLUDED", "commit", "filter_layer", "image_defaults"]

EXCLUDED = frozenset({"etc/hostname", "etc/hosts", "etc/resolv.conf"})
_DEFERRED = "etc"
_CHUNK = 1 << 20


def image_defaults(config: WireConfig) -> ContainerConfig:
    """The runtime defaults an image keeps, from a container's Config."""
    return ContainerConfig(
        user=config.user,
        exposed_ports={p: {} for p in config.exposed_ports or ()},
        env=list(config.env or ()),
        entrypoint=list(config.entrypoint) if config.entrypoint is not None else None,
        cmd=list(config.cmd) if config.cmd is not None else None,
        volumes={v: {} for v in config.volumes or ()},
        working_dir=config.working_dir,
        labels=dict(config.labels or {}),
        stop_signal=config.stop_signal,
        healthcheck=config.healthcheck.to_wire() if config.healthcheck is not None else None,
        on_build=list(config.on_build) if config.on_build else None,
        shell=list(config.shell) if config.shell is not None else None,
        args_escaped=config.args_escaped,
    )


def _merged(user: WireConfig | None, container: WireConfig) -> WireConfig:
    """dockerd's ``merge``: a request body's empty fields come from the container."""
    if user is None:
        return container
    fill = {}
    for f in dataclasses.fields(WireConfig):
        if not getattr(user, f.name) and getattr(container, f.name):
            fill[f.name] = getattr(container, f.name)
    return dataclasses.replace(user, **fill)


def filter_layer(source: BinaryIO, out: BinaryIO) -> bool:
    """Copy the layer tar ``source`` to ``out`` without the container's mount points;
    return whether any member was written (False: the layer is empty)."""
    wrote = False
    pending: tarfile.TarInfo | None = None
    with (
        tarfile.open(fileobj=source, mode="r|", bufsize=_CHUNK) as src,
        tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as dst,
    ):
        for m in src:
            name = m.name.rstrip("/")
            if name in EXCLUDED:
                continue
            if name == _DEFERRED and m.isdir():
                pending = m
                continue
            if pending is not None:
                if name.startswith(_DEFERRED + "/"):
                    dst.addfile(pending)
                pending = None
            dst.addfile(m, src.extractfile(m) if m.isreg() else None)
            wrote = True
    return wrote


def _write_layer(upper: Path, out: BinaryIO) -> bool:
    """``write_diff`` in a thread through a pipe into :func:`filter_layer`."""
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with open(write_fd, "wb", buffering=0) as pipe:
                write_diff(upper, pipe)
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(err)

    thread = threading.Thread(target=produce, name="commit-diff", daemon=True)
    thread.start()
    try:
        with open(read_fd, "rb", buffering=_CHUNK) as pipe:
            wrote = filter_layer(pipe, out)
            while pipe.read(_CHUNK):  # let the writer finish its padding
                pass
    finally:
        thread.join()
    if failure:
        raise failure[0]
    return wrote


def _child_config(
    parent: ImageConfig, c: Container, opts: CommitOptions, layer: Descriptor | None
) -> ImageConfig:
    config = apply_changes(image_defaults(_merged(opts.config, c.config)), opts.changes)
    created = utcnow_rfc3339()
    entry = HistoryEntry(
        created=created,
        created_by=" ".join(c.config.cmd or ()),
        author=opts.author,
        comment=opts.comment,
        empty_layer=layer is None,
    )
    return ImageConfig(
        architecture=parent.architecture,
        os=parent.os or "linux",
        variant=parent.variant,
        diff_ids=(*parent.diff_ids, *((layer.digest,) if layer is not None else ())),
        config=config,
        created=created,
        author=opts.author,
        comment=opts.comment,
        history=(*parent.history, entry),
    )


def _commit_sync(
    ctx: ContainerContext, c: Container, opts: CommitOptions, ref: Reference | None
) -> str:
    dirs = layer_dirs(ctx.snapshotter, c.snapshot_key)
    layer = ctx.images.store_layer(lambda out: _write_layer(dirs.upper, out))
    parent = ctx.images.image_config(c.image_id)
    config = _child_config(parent, c, opts, layer)
    return ctx.images.add_child_image(c.image_id, layer, config, ref)


async def commit(ctx: ContainerContext, opts: CommitOptions) -> str:
    """Make the image; return its id (``sha256:...``)."""
    c = ctx.store.get(opts.container)
    if c.state.status is Status.DEAD:
        raise Conflict(f"You cannot commit container {c.id} which is Dead")
    if c.state.status is Status.REMOVING:
        raise Conflict(f"You cannot commit container {c.id} which is being removed")
    ref = repo_tag_reference(opts.repo, opts.tag) if opts.repo else None
    apply_changes(ContainerConfig(), opts.changes)  # refuse bad changes before pausing
    paused = False
    if opts.pause and c.state.status is Status.RUNNING:
        await pause_mod.pause(ctx, c.id)
        paused = True
    try:
        image_id = await asyncio.to_thread(_commit_sync, ctx, c, opts, ref)
    finally:
        if paused:
            with contextlib.suppress(DockyardError):
                await pause_mod.unpause(ctx, c.id)
    ctx.emit(
        "commit", c.id, comment=opts.comment, imageID=image_id,
        imageRef=ref.familiar() if ref is not None else "", image=c.image, name=c.name,
    )  # fmt: skip
    return image_id
