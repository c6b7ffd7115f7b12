"""The volume service's rules over the in-memory driver: in use, prune, df, events."""

from __future__ import annotations

import pytest

from dockyard.daemon.volumes.service import VolumeService
from dockyard.errors import Conflict
from dockyard.events.bus import EventBus
from dockyard.testing.memory_volumes import MemoryVolumeDriver


@pytest.fixture
def service() -> VolumeService:
    return VolumeService(MemoryVolumeDriver(), EventBus())


def test_volume_referenced_by_a_container_is_in_use(service: VolumeService) -> None:
    service.create("data")
    service.driver.mount("data", "c1")
    with pytest.raises(Conflict, match=r"remove data: volume is in use - \[c1\]"):
        service.remove("data")


def test_dangling_filter_lists_unreferenced_volumes(service: VolumeService) -> None:
    service.create("used")
    service.create("free")
    service.driver.mount("used", "c1")
    assert [v.name for v in service.list({"dangling": ["true"]})] == ["free"]


def test_prune_takes_only_anonymous_volumes_since_api_142(service: VolumeService) -> None:
    service.create("named")
    anon = service.create(None)
    report = service.prune({}, "1.45")
    assert report.deleted == (anon.name,)
    assert [v.name for v in service.driver.list()] == ["named"]


def test_prune_all_for_old_clients(service: VolumeService) -> None:
    service.create("named")
    assert service.prune({}, "1.41").deleted == ("named",)


def test_disk_usage_counts_refs(service: VolumeService) -> None:
    service.create("data")
    service.driver.mount("data", "c1")
    (entry,) = service.disk_usage()
    assert entry.usage.ref_count == 1
