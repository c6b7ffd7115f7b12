"""Building the volume service (called by daemon/wiring.py): the local driver at
``<data-root>/volumes``, the container hooks, and the ``/system/df`` section."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.apitypes.volumes import volume_to_wire
from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.volumes.hooks import VolumeHooks
from dockyard.daemon.volumes.service import VolumeService
from dockyard.events.bus import EventBus
from dockyard.metadata.db import Database
from dockyard.volume.local import LocalVolumeDriver

__all__ = ["VolumeParts", "build_volumes"]


@dataclass
class VolumeParts:
    service: VolumeService
    hooks: VolumeHooks

    def usage_section(self) -> dict[str, Any]:
        return {
            "Volumes": [volume_to_wire(e.volume, usage=e.usage) for e in self.service.disk_usage()]
        }


def build_volumes(
    config: DaemonConfig, db: Database, events: EventBus, ctx: ContainerContext
) -> VolumeParts:
    driver = LocalVolumeDriver(Path(config.data_root) / "volumes")
    service = VolumeService(driver, events)
    hooks = VolumeHooks(service, ctx.store, db)
    ctx.hooks.append(hooks)
    return VolumeParts(service, hooks)
