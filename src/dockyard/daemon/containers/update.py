"""``POST /containers/{id}/update``: change a container's cgroup limits and restart policy.

As dockerd does: the request is validated like a create (same messages), its non-zero
fields are merged into the stored HostConfig (refusing the combinations moby refuses, e.g.
a memory limit above the stored swap limit without a new swap limit, or CPU period/quota
against NanoCpus), the record is saved, and a running (or paused) container gets the
*requested* limits applied live by its runtime (``runc update``). When the runtime refuses
(a memory limit below what the container uses), the stored HostConfig is put back and the
error names the container and quotes the runtime. Every accepted request emits ``update``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from dockyard.apitypes.container_create import validate_resources, validate_restart_policy
from dockyard.apitypes.host_config import HostConfig, Resources, RestartPolicy
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.state import Status
from dockyard.daemon.containers.store import Container
from dockyard.errors import Conflict, DockyardError

__all__ = ["UpdateRequest", "merge_update", "runtime_resources", "update"]

_NANO = 1_000_000_000
_PERIOD = 100_000


@dataclass(frozen=True, slots=True)
class UpdateRequest:
    """The body: Resources keys plus ``RestartPolicy`` (an empty name keeps the current)."""

    resources: Resources = field(default_factory=Resources)
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)


def _cannot(cid: str, why: str) -> Conflict:
    return Conflict(f"Cannot update container {cid}: {why}")


def merge_update(cid: str, current: HostConfig, req: UpdateRequest) -> HostConfig:
    """``current`` with the request's non-zero fields (moby's ``Container.UpdateContainer``)."""
    new, cur = req.resources, current.resources
    conflicts = (
        (
            new.nano_cpus > 0 and cur.cpu_period > 0,
            "Nano CPUs cannot be updated as CPU Period has already been set",
        ),
        (
            new.nano_cpus > 0 and cur.cpu_quota > 0,
            "Nano CPUs cannot be updated as CPU Quota has already been set",
        ),
        (
            new.cpu_period > 0 and cur.nano_cpus > 0,
            "CPU Period cannot be updated as NanoCPUs has already been set",
        ),
        (
            new.cpu_quota > 0 and cur.nano_cpus > 0,
            "CPU Quota cannot be updated as NanoCPUs has already been set",
        ),
    )
    for refused, why in conflicts:
        if refused:
            raise _cannot(cid, f"Conflicting options: {why}")
    if new.memory and new.memory > cur.memory_swap and not new.memory_swap:
        raise _cannot(
            cid,
            "Memory limit should be smaller than already set memoryswap limit, "
            "update the memoryswap at the same time",
        )
    changes: dict[str, Any] = {}
    for name in (
        "blkio_weight", "cpu_shares", "nano_cpus", "cpu_period", "cpu_quota", "cpuset_cpus",
        "cpuset_mems", "memory", "memory_swap", "memory_reservation", "kernel_memory",
        "cpu_realtime_period", "cpu_realtime_runtime",
    ):  # fmt: skip
        value = getattr(new, name)
        if value:
            changes[name] = value
    if new.pids_limit is not None:
        changes["pids_limit"] = new.pids_limit if new.pids_limit > 0 else None
    policy = current.restart_policy
    if req.restart_policy.name:
        if current.auto_remove and not req.restart_policy.is_none:
            raise _cannot(
                cid,
                "Restart policy cannot be updated because AutoRemove is enabled for the container",
            )
        policy = req.restart_policy
    return dataclasses.replace(
        current, resources=dataclasses.replace(cur, **changes), restart_policy=policy
    )


def runtime_resources(r: Resources) -> dict[str, Any]:
    """The OCI ``linux.resources`` for ``runc update``: only what the request sets."""
    out: dict[str, Any] = {}
    memory = {
        key: value
        for key, value in (
            ("limit", r.memory),
            ("reservation", r.memory_reservation),
            ("swap", r.memory_swap),
            ("kernel", r.kernel_memory),
        )
        if value
    }
    if memory:
        out["memory"] = memory
    period, quota = r.cpu_period, r.cpu_quota
    if r.nano_cpus > 0:
        period, quota = _PERIOD, r.nano_cpus * _PERIOD // _NANO
    cpu = {
        key: value
        for key, value in (
            ("shares", r.cpu_shares),
            ("quota", quota),
            ("period", period),
            ("realtimeRuntime", r.cpu_realtime_runtime),
            ("realtimePeriod", r.cpu_realtime_period),
            ("cpus", r.cpuset_cpus),
            ("mems", r.cpuset_mems),
        )
        if value
    }
    if cpu:
        out["cpu"] = cpu
    if r.pids_limit is not None:
        out["pids"] = {"limit": r.pids_limit if r.pids_limit > 0 else -1}
    if r.blkio_weight:
        out["blockIO"] = {"weight": r.blkio_weight}
    return out


def _runtime_words(err: DockyardError, runtime: str, cid: str) -> str:
    return err.message.removeprefix(f"{runtime} update {cid}: ")


async def update(
    ctx: ContainerContext, ref: str, req: UpdateRequest, *, ncpu: int | None = None
) -> tuple[str, ...]:
    """Apply ``req``; the warnings dockerd would give (none it gives on Linux today)."""
    validate_resources(req.resources, ncpu=ncpu)
    if req.restart_policy.name:
        validate_restart_policy(req.restart_policy)
    c = ctx.store.get(ref)
    async with ctx.locks[c.id]:
        c = ctx.store.get(c.id)
        if c.state.status in (Status.REMOVING, Status.DEAD):
            raise _cannot(c.id, 'container is marked for removal and cannot be "update"')
        merged = merge_update(c.id, c.host_config, req)
        backup = c.host_config

        def store(hc: HostConfig) -> None:
            ctx.store.update(c.id, lambda cur: dataclasses.replace(cur, host_config=hc))

        store(merged)
        try:
            if c.state.status in (Status.RUNNING, Status.PAUSED):
                await _apply(ctx, c, runtime_resources(req.resources))
        except DockyardError:
            store(backup)
            raise
        finally:
            ctx.emit("update", c.id, image=c.image, name=c.name)
    return ()


async def _apply(ctx: ContainerContext, c: Container, resources: dict[str, Any]) -> None:
    if not resources:
        return
    choice = ctx.runtime(c.host_config.runtime)
    try:
        await asyncio.to_thread(choice.runtime.update, c.id, resources)
    except DockyardError as err:
        words = _runtime_words(err, choice.ref.name, c.id)
        raise DockyardError(f"Cannot update container {c.id}: {words}") from err
