"""The volume service: ``/volumes`` verbs over the local driver, with Docker's in-use rule.

A volume is in use while any container, running or not, references it: the container
hooks hold a driver ref from container create to removal, so "in use" is simply "has
refs" (``volume rm`` answers Conflict ``remove x: volume is in use - [<ids>]``, ``ls
--filter dangling=true`` and prune skip it). Prune follows API 1.42+: only anonymous volumes
unless ``all=true``. Every method blocks (the routes call them in worker threads).
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from dockyard.apitypes.filters import Filters
from dockyard.apitypes.volumes import (
    PruneReport,
    VolumeUsage,
    parse_list_filters,
    parse_prune_filters,
)
from dockyard.errors import Conflict, DockyardError
from dockyard.events.bus import EventBus
from dockyard.volume.base import Volume, VolumeDriver

__all__ = ["VolumeService", "VolumeUsageEntry"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VolumeUsageEntry:
    volume: Volume
    usage: VolumeUsage


class VolumeService:
    def __init__(self, driver: VolumeDriver, events: EventBus) -> None:
        self.driver = driver
        self.events = events

    def create(
        self,
        name: str | None,
        labels: Mapping[str, str] | None = None,
        options: Mapping[str, str] | None = None,
    ) -> Volume:
        existed = bool(name) and any(v.name == name for v in self.driver.list())
        volume = self.driver.create(name, labels, options)
        if not existed:
            self.events.emit("volume", "create", volume.name, driver=volume.driver)
        return volume

    def get(self, name: str) -> Volume:
        return self.driver.get(name)

    def in_use(self, name: str) -> bool:
        return bool(self.driver.refs(name))

    def list(self, filters: Filters) -> builtins.list[Volume]:
        matcher = parse_list_filters(filters)
        return [v for v in self.driver.list() if matcher.matches(v, self.in_use(v.name))]

    def remove(self, name: str, force: bool = False) -> None:
        self.driver.remove(name, force=force)
        self.events.emit("volume", "destroy", name, driver=self.driver.name)

    def prune(self, filters: Filters, api_version: str) -> PruneReport:
        matcher = parse_prune_filters(filters, api_version)
        deleted: builtins.list[str] = []
        reclaimed = 0
        for v in self.driver.list():
            if not matcher.matches(v, self.in_use(v.name)):
                continue
            size = self.driver.usage(v.name)
            try:
                self.remove(v.name)
            except (Conflict, DockyardError) as err:
                log.debug("prune skips volume %s: %s", v.name, err)
                continue
            deleted.append(v.name)
            reclaimed += size
        return PruneReport(tuple(deleted), reclaimed)

    def disk_usage(self) -> builtins.list[VolumeUsageEntry]:
        """``/system/df``: size (-1 for volumes with driver options) and ref count."""
        out = []
        for v in self.driver.list():
            size = -1 if v.options else self.driver.usage(v.name)
            out.append(VolumeUsageEntry(v, VolumeUsage(size, len(self.driver.refs(v.name)))))
        return out
