"""``POST /containers/prune``: remove every container that is not running.

Filters (moby's ``ContainersPrune``): ``until`` (created before a timestamp or a duration
ago; one value), ``label`` (``key`` or ``key=value``: all must hold) and ``label!`` (the
container is kept when all of them hold). A container whose removal fails is skipped and
logged. ``SpaceReclaimed`` sums the removed writable layers; one ``prune`` event (no actor
id, attribute ``reclaimed``) is emitted at the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockyard.apitypes.filters import Filters
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.remove import remove
from dockyard.daemon.containers.state import Status
from dockyard.daemon.containers.store import Container
from dockyard.errors import DockyardError, InvalidParameter
from dockyard.image.filters import parse_timestamp

__all__ = ["PRUNE_FILTERS", "PruneReport", "labels_match", "prune", "prune_until"]

log = logging.getLogger(__name__)

PRUNE_FILTERS = ("until", "label", "label!")
_PRUNABLE = (Status.CREATED, Status.EXITED, Status.DEAD)


@dataclass(frozen=True, slots=True)
class PruneReport:
    deleted: tuple[str, ...]
    space_reclaimed: int


def _kv_all(specs: Sequence[str], labels: Mapping[str, str]) -> bool:
    for spec in specs:
        key, sep, value = spec.partition("=")
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


def labels_match(filters: Filters, labels: Mapping[str, str]) -> bool:
    """moby's ``matchLabels``: every ``label`` holds and not every ``label!`` holds."""
    if not _kv_all(filters.get("label", []), labels):
        return False
    return not ("label!" in filters and _kv_all(filters["label!"], labels))


def prune_until(filters: Filters, now: float) -> float | None:
    for key in filters:
        if key not in PRUNE_FILTERS:
            raise InvalidParameter(f"Invalid filter '{key}'")
    values = filters.get("until", [])
    if not values:
        return None
    if len(values) > 1:
        raise InvalidParameter("more than one until filter specified")
    try:
        return parse_timestamp(values[0], now)
    except InvalidParameter as err:
        raise InvalidParameter(
            f"failed to parse value as time or duration: {json.dumps(values[0])}"
        ) from err


def _layer_size(ctx: ContainerContext, c: Container) -> int:
    try:
        return ctx.snapshotter.usage(c.snapshot_key).size
    except DockyardError:
        return 0


async def prune(ctx: ContainerContext, filters: Filters) -> PruneReport:
    until = prune_until(filters, time.time())
    deleted: list[str] = []
    reclaimed = 0
    for c in ctx.store.list():
        if c.state.status not in _PRUNABLE:
            continue
        if until is not None and c.created > until:
            continue
        if not labels_match(filters, c.config.labels or {}):
            continue
        size = await asyncio.to_thread(_layer_size, ctx, c)
        try:
            await remove(ctx, c.id)
        except DockyardError as err:
            log.warning("failed to prune container %s: %s", c.id, err)
            continue
        reclaimed += max(size, 0)
        deleted.append(c.id)
    ctx.events.emit("container", "prune", "", reclaimed=str(reclaimed))
    return PruneReport(tuple(deleted), reclaimed)
