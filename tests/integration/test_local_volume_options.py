"""The local driver against the kernel: driver options mounted on first use, copy-up.

Root only (marked ``root``). Every mount made under the test's directory is undone in the
fixture finalizer, even when a test fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.errors import Conflict, DockyardError, InvalidParameter
from dockyard.mount import unmount_all
from dockyard.volume.copyup import copy_up
from dockyard.volume.local import LocalVolumeDriver
from dockyard.volume.mountinfo import is_mountpoint, mounts_under

pytestmark = pytest.mark.root

TMPFS = {"type": "tmpfs", "device": "tmpfs", "o": "size=4m,uid=1000,mode=0750"}


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    """The driver root; whatever is still mounted below it is unmounted at teardown."""
    yield tmp_path / "volumes"
    for point in mounts_under(tmp_path):
        unmount_all(point, detach=True)


@pytest.fixture
def driver(root: Path) -> LocalVolumeDriver:
    return LocalVolumeDriver(root)


def _fstype(path: Path) -> str:
    target = os.path.realpath(path)
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split(" ")
        if fields[4] == target:
            fstype = fields[fields.index("-") + 1]
    return fstype


def test_tmpfs_volume_is_mounted_on_first_ref(driver: LocalVolumeDriver) -> None:
    driver.create("tv", None, TMPFS)
    path = driver.mount("tv", "c1")
    assert is_mountpoint(path)
    assert _fstype(path) == "tmpfs"
    st = path.stat()
    assert (st.st_uid, st.st_mode & 0o7777) == (1000, 0o750)


def test_tmpfs_volume_stays_mounted_while_a_ref_holds_it(driver: LocalVolumeDriver) -> None:
    driver.create("tv", None, TMPFS)
    path = driver.mount("tv", "c1")
    driver.mount("tv", "c2")
    (path / "f").write_text("kept")
    driver.unmount("tv", "c1")
    assert (path / "f").read_text() == "kept"


def test_tmpfs_volume_is_unmounted_on_last_ref(driver: LocalVolumeDriver) -> None:
    driver.create("tv", None, TMPFS)
    path = driver.mount("tv", "c1")
    (path / "f").write_text("gone")
    driver.unmount("tv", "c1")
    assert not is_mountpoint(path)
    assert list(path.iterdir()) == []


def test_plain_volume_is_never_mounted(driver: LocalVolumeDriver) -> None:
    driver.create("plain")
    assert not is_mountpoint(driver.mount("plain", "c1"))


def test_bind_device_volume_shows_the_host_directory(
    driver: LocalVolumeDriver, tmp_path: Path
) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "hello").write_text("from host")
    driver.create("bv", None, {"type": "none", "o": "bind", "device": str(host)})
    path = driver.mount("bv", "c1")
    assert (path / "hello").read_text() == "from host"


def test_removing_bind_volume_keeps_the_host_directory(
    driver: LocalVolumeDriver, tmp_path: Path
) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "keep").write_text("x")
    driver.create("bv", None, {"type": "none", "o": "bind", "device": str(host)})
    driver.mount("bv", "c1")
    driver.unmount("bv", "c1")
    driver.remove("bv")
    assert (host / "keep").read_text() == "x"


def test_missing_bind_device_fails_at_mount_naming_it(
    driver: LocalVolumeDriver, tmp_path: Path
) -> None:
    missing = tmp_path / "nope"
    driver.create("bv", None, {"type": "none", "o": "bind", "device": str(missing)})
    with pytest.raises(InvalidParameter, match=str(missing)):
        driver.mount("bv", "c1")
    assert driver.refs("bv") == frozenset()


def test_bad_mount_option_fails_without_taking_the_ref(driver: LocalVolumeDriver) -> None:
    driver.create("tv", None, {"type": "tmpfs", "device": "tmpfs", "o": "nosuchoption=1"})
    with pytest.raises(DockyardError, match="failed to mount local volume"):
        driver.mount("tv", "c1")
    assert driver.refs("tv") == frozenset()


def test_remove_of_mounted_tmpfs_volume_is_conflict(driver: LocalVolumeDriver) -> None:
    driver.create("tv", None, TMPFS)
    driver.mount("tv", "c1")
    with pytest.raises(Conflict):
        driver.remove("tv")


def test_restart_unmounts_options_no_ref_holds(root: Path) -> None:
    first = LocalVolumeDriver(root)
    first.create("tv", None, TMPFS)
    path = first.mount("tv", "c1")
    # a crash after the mount but before the ref: simulate by dropping refs.json
    (root / "tv" / "refs.json").unlink()
    LocalVolumeDriver(root)
    assert not is_mountpoint(path)


def test_restart_keeps_options_mounted_for_held_refs(root: Path) -> None:
    first = LocalVolumeDriver(root)
    first.create("tv", None, TMPFS)
    path = first.mount("tv", "c1")
    (path / "f").write_text("live")
    second = LocalVolumeDriver(root)
    assert second.refs("tv") == {"c1"}
    assert (path / "f").read_text() == "live"


def test_mount_after_reboot_remounts_for_persisted_refs(root: Path) -> None:
    first = LocalVolumeDriver(root)
    first.create("tv", None, TMPFS)
    path = first.mount("tv", "c1")
    unmount_all(path)  # the host rebooted: refs.json is still there, the mount is not
    second = LocalVolumeDriver(root)
    assert second.mount("tv", "c1") == path
    assert is_mountpoint(path)


# -- copy-up ---------------------------------------------------------------------------------


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    """An image directory with owners, modes, an xattr, a symlink and a hard link."""
    src = tmp_path / "image-data"
    (src / "sub").mkdir(parents=True)
    (src / "file").write_text("content")
    os.chown(src / "file", 1001, 1002)
    (src / "file").chmod(0o640)
    (src / "sub" / "exe").write_text("#!/bin/sh\n")
    (src / "sub" / "exe").chmod(0o4755)
    os.setxattr(src / "file", "user.origin", b"image")
    (src / "link").symlink_to("file")
    os.link(src / "file", src / "hard")
    os.chown(src, 999, 998)
    src.chmod(0o710)
    return src


def test_copy_up_fills_an_empty_volume(driver: LocalVolumeDriver, image_dir: Path) -> None:
    data = driver.create("vol").mountpoint
    assert copy_up(image_dir, data)
    assert (data / "file").read_text() == "content"
    assert (data / "sub" / "exe").exists()


def test_copy_up_keeps_owners_and_modes(driver: LocalVolumeDriver, image_dir: Path) -> None:
    data = driver.create("vol").mountpoint
    copy_up(image_dir, data)
    st = (data / "file").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1001, 1002, 0o640)
    assert (data / "sub" / "exe").stat().st_mode & 0o7777 == 0o4755


def test_copy_up_gives_the_directory_owner_and_mode_to_the_volume_root(
    driver: LocalVolumeDriver, image_dir: Path
) -> None:
    data = driver.create("vol").mountpoint
    copy_up(image_dir, data)
    st = data.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (999, 998, 0o710)


def test_copy_up_keeps_symlinks_hardlinks_and_xattrs(
    driver: LocalVolumeDriver, image_dir: Path
) -> None:
    data = driver.create("vol").mountpoint
    copy_up(image_dir, data)
    assert (data / "link").readlink() == Path("file")
    assert (data / "hard").stat().st_ino == (data / "file").stat().st_ino
    assert os.getxattr(data / "file", "user.origin") == b"image"


def test_copy_up_leaves_a_non_empty_volume_alone(
    driver: LocalVolumeDriver, image_dir: Path
) -> None:
    data = driver.create("vol").mountpoint
    (data / "mine").write_text("user data")
    assert not copy_up(image_dir, data)
    assert sorted(p.name for p in data.iterdir()) == ["mine"]


def test_copy_up_from_a_missing_directory_copies_nothing(
    driver: LocalVolumeDriver, tmp_path: Path
) -> None:
    data = driver.create("vol").mountpoint
    assert not copy_up(tmp_path / "absent", data)
    assert list(data.iterdir()) == []


def test_copy_up_into_a_mounted_tmpfs_volume(driver: LocalVolumeDriver, image_dir: Path) -> None:
    driver.create("tv", None, TMPFS)
    data = driver.mount("tv", "c1")
    assert copy_up(image_dir, data)
    assert (data / "file").read_text() == "content"
