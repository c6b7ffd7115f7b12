"""VolumeDriver contract (volume/base.py), run against the local driver and the in-memory fake.

Nothing here mounts: volumes with driver options are only created and inspected (mounting
them needs root; see tests/integration/test_local_volume_options.py). "Restart" opens a new
local driver on the same root; the fake has no disk, so its restart is the same object.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from dockyard.errors import Conflict, InvalidParameter, NotFound
from dockyard.testing.memory_volumes import MemoryVolumeDriver
from dockyard.volume.base import ANONYMOUS_LABEL, VolumeDriver
from dockyard.volume.local import LocalVolumeDriver

Open = Callable[[], VolumeDriver]
TMPFS = {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}


@pytest.fixture(params=["local", "memory"])
def open_driver(request: pytest.FixtureRequest, tmp_path: Path) -> Open:
    """Opens the driver; calling it again is a daemon restart."""
    if request.param == "local":
        return lambda: LocalVolumeDriver(tmp_path / "volumes")
    fake = MemoryVolumeDriver()
    return lambda: fake


@pytest.fixture
def driver(open_driver: Open) -> VolumeDriver:
    return open_driver()


def test_create_reports_name_driver_scope_and_mountpoint(driver: VolumeDriver) -> None:
    v = driver.create("data", {"a": "1"}, None)
    assert (v.name, v.driver, v.scope) == ("data", "local", "local")
    assert v.mountpoint.name == "_data"
    assert v.mountpoint.parent.name == "data"
    assert v.labels == {"a": "1"}
    assert v.created_at > 0


def test_create_without_name_makes_anonymous_volume(driver: VolumeDriver) -> None:
    v = driver.create(None, {"x": "y"})
    assert re.fullmatch(r"[0-9a-f]{64}", v.name)
    assert v.labels == {"x": "y", ANONYMOUS_LABEL: ""}
    assert v.anonymous


def test_named_volume_is_not_anonymous(driver: VolumeDriver) -> None:
    assert not driver.create("named").anonymous


def test_create_existing_name_returns_stored_volume(driver: VolumeDriver) -> None:
    first = driver.create("data", {"a": "1"})
    again = driver.create("data", {"b": "2"})
    assert again == first


def test_create_existing_with_other_options_is_conflict(driver: VolumeDriver) -> None:
    driver.create("data", None, TMPFS)
    with pytest.raises(Conflict, match="data"):
        driver.create("data", None, {**TMPFS, "o": "size=2m"})


def test_create_existing_with_same_options_returns_it(driver: VolumeDriver) -> None:
    first = driver.create("data", None, TMPFS)
    assert driver.create("data", None, dict(TMPFS)) == first


def test_create_existing_without_options_matches_any_options(driver: VolumeDriver) -> None:
    first = driver.create("data", None, TMPFS)
    assert driver.create("data") == first


def test_labels_and_options_keep_null_apart_from_empty(driver: VolumeDriver) -> None:
    given_none = driver.create("implicit")
    given_empty = driver.create("explicit", {}, {})
    assert (given_none.labels, given_none.options) == (None, None)
    assert (given_empty.labels, given_empty.options) == ({}, {})


def test_create_invalid_name_is_invalid_parameter(driver: VolumeDriver) -> None:
    with pytest.raises(InvalidParameter, match="includes invalid characters"):
        driver.create("a/b")
    assert driver.list() == []


def test_create_unknown_option_is_invalid_parameter(driver: VolumeDriver) -> None:
    with pytest.raises(InvalidParameter, match='invalid option: "foo"'):
        driver.create("data", None, {"foo": "bar"})
    assert driver.list() == []


def test_get_unknown_is_not_found_in_dockers_words(driver: VolumeDriver) -> None:
    with pytest.raises(NotFound, match=r"^get nope: no such volume$"):
        driver.get("nope")


def test_get_returns_created_volume(driver: VolumeDriver) -> None:
    v = driver.create("data", {"k": "v"}, TMPFS)
    assert driver.get("data") == v


def test_list_is_sorted_by_name(driver: VolumeDriver) -> None:
    for name in ("zz", "aa", "mm"):
        driver.create(name)
    assert [v.name for v in driver.list()] == ["aa", "mm", "zz"]


def test_remove_deletes_volume(driver: VolumeDriver) -> None:
    driver.create("data")
    driver.remove("data")
    with pytest.raises(NotFound):
        driver.get("data")


def test_remove_unknown_is_not_found(driver: VolumeDriver) -> None:
    with pytest.raises(NotFound, match="get nope: no such volume"):
        driver.remove("nope")


def test_force_remove_unknown_is_a_no_op(driver: VolumeDriver) -> None:
    driver.remove("nope", force=True)


def test_remove_while_mounted_is_conflict_naming_refs(driver: VolumeDriver) -> None:
    driver.create("data")
    driver.mount("data", "c2")
    driver.mount("data", "c1")
    with pytest.raises(Conflict, match=re.escape("remove data: volume is in use - [c1, c2]")):
        driver.remove("data")


def test_force_does_not_remove_a_volume_in_use(driver: VolumeDriver) -> None:
    driver.create("data")
    driver.mount("data", "c1")
    with pytest.raises(Conflict):
        driver.remove("data", force=True)


def test_mount_returns_the_mountpoint(driver: VolumeDriver) -> None:
    v = driver.create("data")
    assert driver.mount("data", "c1") == v.mountpoint


def test_mount_unknown_volume_is_not_found(driver: VolumeDriver) -> None:
    with pytest.raises(NotFound):
        driver.mount("nope", "c1")


def test_mount_counts_each_ref_once(driver: VolumeDriver) -> None:
    driver.create("data")
    driver.mount("data", "c1")
    driver.mount("data", "c1")
    driver.unmount("data", "c1")
    assert driver.refs("data") == frozenset()


def test_refs_track_each_container(driver: VolumeDriver) -> None:
    driver.create("data")
    driver.mount("data", "c1")
    driver.mount("data", "c2")
    driver.unmount("data", "c1")
    assert driver.refs("data") == {"c2"}


def test_unmount_of_a_ref_not_held_is_a_no_op(driver: VolumeDriver) -> None:
    driver.create("data")
    driver.mount("data", "c1")
    driver.unmount("data", "other")
    assert driver.refs("data") == {"c1"}


def test_remove_after_last_unmount_succeeds(driver: VolumeDriver) -> None:
    driver.create("data")
    driver.mount("data", "c1")
    driver.unmount("data", "c1")
    driver.remove("data")
    assert driver.list() == []


def test_volumes_survive_restart(open_driver: Open) -> None:
    v = open_driver().create("data", {"k": "v"}, TMPFS)
    assert open_driver().get("data") == v


def test_null_labels_survive_restart(open_driver: Open) -> None:
    open_driver().create("data")
    assert open_driver().get("data").labels is None


def test_refs_survive_restart(open_driver: Open) -> None:
    first = open_driver()
    first.create("data")
    first.mount("data", "c1")
    assert open_driver().refs("data") == {"c1"}


def test_removed_volume_stays_removed_after_restart(open_driver: Open) -> None:
    first = open_driver()
    first.create("data")
    first.remove("data")
    assert open_driver().list() == []


def test_usage_of_new_volume_is_zero(driver: VolumeDriver) -> None:
    driver.create("data")
    assert driver.usage("data") == 0


def test_usage_of_unknown_volume_is_not_found(driver: VolumeDriver) -> None:
    with pytest.raises(NotFound):
        driver.usage("nope")
