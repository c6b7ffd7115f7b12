"""Snapshotter contract (snapshot/base.py), run against the overlay and native snapshotters.

Tests that mount are marked ``root`` (skipped with a reason otherwise); every mount made
here is undone in a fixture finalizer, even when the test fails.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dockyard.errors import Conflict, InvalidParameter, NotFound
from dockyard.mount import Mount, mount_all, unmount_all
from dockyard.snapshot.base import Kind
from dockyard.snapshot.metastore import DirSnapshotter
from dockyard.snapshot.native import NativeSnapshotter
from dockyard.snapshot.overlay import OverlaySnapshotter

IMPLS: dict[str, type[DirSnapshotter]] = {
    "overlay": OverlaySnapshotter,
    "native": NativeSnapshotter,
}

Mounter = Callable[[list[Mount]], Path]


@pytest.fixture(params=sorted(IMPLS))
def make_sn(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], DirSnapshotter]]:
    """Opens the snapshotter on one root; opening again is a daemon restart."""
    opened: list[DirSnapshotter] = []

    def make() -> DirSnapshotter:
        sn = IMPLS[request.param](tmp_path / "sn")
        opened.append(sn)
        return sn

    yield make
    for sn in opened:
        sn.close()


@pytest.fixture
def sn(make_sn: Callable[[], DirSnapshotter]) -> DirSnapshotter:
    return make_sn()


@pytest.fixture
def mounter(tmp_path: Path) -> Iterator[Mounter]:
    """Mount on a fresh target dir; every target is unmounted at teardown."""
    targets: list[Path] = []

    def mount(mounts: list[Mount]) -> Path:
        target = tmp_path / f"mnt{len(targets)}"
        target.mkdir()
        targets.append(target)
        mount_all(mounts, target)
        return target

    yield mount
    for t in reversed(targets):
        unmount_all(t, detach=True)


def write_layer(
    sn: DirSnapshotter, mounter: Mounter, key: str, parent: str, files: dict[str, str]
) -> None:
    """prepare + write ``files`` through a real mount + unmount + commit as ``key``."""
    target = mounter(sn.prepare(key + "-active", parent))
    for name, text in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text)
    unmount_all(target)
    sn.commit(key, key + "-active")


def base_fs(sn: DirSnapshotter, key: str) -> Path:
    """The fs dir of a parentless ACTIVE snapshot (its bind mount source)."""
    [m] = sn.mounts(key)
    assert m.type == "bind"
    return Path(m.source)


# --- lifecycle ------------------------------------------------------------------------


def test_prepare_creates_active_snapshot(sn: DirSnapshotter) -> None:
    sn.prepare("a", labels={"x": "1"})
    info = sn.stat("a")
    assert (info.name, info.kind, info.parent, info.labels) == ("a", Kind.ACTIVE, "", {"x": "1"})


def test_prepare_of_existing_key_is_conflict(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    with pytest.raises(Conflict):
        sn.prepare("a")


def test_prepare_with_unknown_parent_is_not_found(sn: DirSnapshotter) -> None:
    with pytest.raises(NotFound):
        sn.prepare("a", "nope")
    with pytest.raises(NotFound):
        sn.stat("a")


def test_prepare_on_active_parent_is_invalid(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    with pytest.raises(InvalidParameter, match="not committed"):
        sn.prepare("b", "a")


def test_commit_turns_active_key_into_committed_name(sn: DirSnapshotter) -> None:
    sn.prepare("a", labels={"x": "1"})
    sn.commit("layer1", "a")
    assert sn.stat("layer1").kind is Kind.COMMITTED
    assert sn.stat("layer1").labels == {"x": "1"}
    with pytest.raises(NotFound):
        sn.stat("a")


def test_commit_labels_replace_the_old_ones(sn: DirSnapshotter) -> None:
    sn.prepare("a", labels={"x": "1"})
    sn.commit("layer1", "a", labels={"y": "2"})
    assert sn.stat("layer1").labels == {"y": "2"}


def test_commit_onto_existing_name_is_conflict(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    sn.prepare("b")
    sn.commit("layer1", "a")
    with pytest.raises(Conflict):
        sn.commit("layer1", "b")
    assert sn.stat("b").kind is Kind.ACTIVE


def test_commit_of_view_is_invalid(sn: DirSnapshotter) -> None:
    sn.view("v")
    with pytest.raises(InvalidParameter):
        sn.commit("layer1", "v")


def test_commit_of_unknown_key_is_not_found(sn: DirSnapshotter) -> None:
    with pytest.raises(NotFound):
        sn.commit("layer1", "nope")


def test_view_creates_view_snapshot_on_committed_parent(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    sn.commit("l1", "a")
    sn.view("v", "l1")
    assert (sn.stat("v").kind, sn.stat("v").parent) == (Kind.VIEW, "l1")


def test_mounts_of_committed_snapshot_is_conflict(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    sn.commit("l1", "a")
    with pytest.raises(Conflict):
        sn.mounts("l1")


def test_mounts_of_unknown_key_is_not_found(sn: DirSnapshotter) -> None:
    with pytest.raises(NotFound):
        sn.mounts("nope")


def test_remove_of_parent_with_children_is_conflict(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    sn.commit("l1", "a")
    sn.prepare("child", "l1")
    with pytest.raises(Conflict):
        sn.remove("l1")
    sn.remove("child")
    sn.remove("l1")
    assert list(sn.walk()) == []


def test_remove_deletes_the_snapshot_directory(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    fs = base_fs(sn, "a")
    sn.remove("a")
    assert not fs.exists()


def test_remove_of_unknown_key_is_not_found(sn: DirSnapshotter) -> None:
    with pytest.raises(NotFound):
        sn.remove("nope")


def test_walk_lists_every_snapshot(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    sn.commit("l1", "a")
    sn.prepare("b", "l1")
    sn.view("v", "l1")
    assert sorted((i.name, i.kind) for i in sn.walk()) == [
        ("b", Kind.ACTIVE),
        ("l1", Kind.COMMITTED),
        ("v", Kind.VIEW),
    ]


def test_snapshots_survive_a_restart(make_sn: Callable[[], DirSnapshotter]) -> None:
    sn = make_sn()
    sn.prepare("a")
    sn.commit("l1", "a")
    sn.close()
    again = make_sn()
    assert again.stat("l1").kind is Kind.COMMITTED


def test_cleanup_removes_directories_without_a_snapshot(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    orphan = sn.root / "snapshots" / "999"
    (orphan / "fs").mkdir(parents=True)
    assert sn.cleanup() == [orphan]
    assert not orphan.exists()
    assert sn.stat("a").kind is Kind.ACTIVE


def test_usage_counts_the_snapshots_own_files(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    fs = base_fs(sn, "a")
    empty = sn.usage("a")
    (fs / "f").write_bytes(b"x" * 100_000)
    (fs / "d").mkdir()
    used = sn.usage("a")
    assert used.inodes == empty.inodes + 2
    assert used.size >= empty.size + 100_000


def test_usage_counts_hard_links_once(sn: DirSnapshotter) -> None:
    sn.prepare("a")
    fs = base_fs(sn, "a")
    (fs / "f").write_bytes(b"x" * 100_000)
    before = sn.usage("a")
    os.link(fs / "f", fs / "g")
    assert sn.usage("a") == before


def test_parentless_active_snapshot_mounts_as_rw_bind(sn: DirSnapshotter) -> None:
    [m] = sn.prepare("a")
    assert (m.type, "rw" in m.options) == ("bind", True)


# --- implementation specifics (no root: they only inspect the returned mounts) ----------


def test_overlay_active_snapshot_lists_lowers_newest_first(tmp_path: Path) -> None:
    sn = OverlaySnapshotter(tmp_path)
    sn.prepare("a")
    sn.commit("l1", "a")
    sn.prepare("b", "l1")
    sn.commit("l2", "b")
    [m] = sn.prepare("c", "l2")
    lowers = (m.option("lowerdir") or "").split(":")
    assert m.type == "overlay"
    assert [Path(p).parent.name for p in lowers] == ["2", "1"]
    assert m.option("upperdir") == str(sn.upper_dir("c"))
    assert m.option("workdir")
    sn.close()


def test_overlay_view_of_one_parent_is_ro_bind_of_parent(tmp_path: Path) -> None:
    sn = OverlaySnapshotter(tmp_path)
    sn.prepare("a")
    fs = base_fs(sn, "a")
    sn.commit("l1", "a")
    [m] = sn.view("v", "l1")
    assert (m.type, m.source, "ro" in m.options) == ("bind", str(fs), True)
    sn.close()


def test_overlay_upper_dir_of_committed_snapshot_is_invalid(tmp_path: Path) -> None:
    sn = OverlaySnapshotter(tmp_path)
    sn.prepare("a")
    sn.commit("l1", "a")
    with pytest.raises(InvalidParameter):
        sn.upper_dir("l1")
    sn.close()


def test_native_prepare_copies_the_parent_tree(tmp_path: Path) -> None:
    sn = NativeSnapshotter(tmp_path)
    sn.prepare("a")
    (base_fs(sn, "a") / "etc").mkdir()
    (base_fs(sn, "a") / "etc/hosts").write_text("h")
    sn.commit("l1", "a")
    sn.prepare("b", "l1")
    child = base_fs(sn, "b")
    assert (child / "etc/hosts").read_text() == "h"
    (child / "etc/hosts").write_text("changed")
    sn.view("v", "l1")
    assert (base_fs(sn, "v") / "etc/hosts").read_text() == "h"
    sn.close()


# --- real mounts ---------------------------------------------------------------------


@pytest.mark.root
def test_mounted_snapshot_shows_files_of_all_layers(sn: DirSnapshotter, mounter: Mounter) -> None:
    write_layer(sn, mounter, "l1", "", {"etc/one": "1", "shared": "from l1"})
    write_layer(sn, mounter, "l2", "l1", {"two": "2", "shared": "from l2"})
    target = mounter(sn.prepare("c", "l2"))
    assert (target / "etc/one").read_text() == "1"
    assert (target / "two").read_text() == "2"
    assert (target / "shared").read_text() == "from l2"


@pytest.mark.root
def test_writes_in_active_snapshot_leave_parent_unchanged(
    sn: DirSnapshotter, mounter: Mounter
) -> None:
    write_layer(sn, mounter, "l1", "", {"f": "orig"})
    target = mounter(sn.prepare("c", "l1"))
    (target / "f").write_text("changed")
    (target / "new").write_text("n")
    view = mounter(sn.view("v", "l1"))
    assert (view / "f").read_text() == "orig"
    assert not (view / "new").exists()


@pytest.mark.root
def test_deletes_in_active_snapshot_hide_parent_files(sn: DirSnapshotter, mounter: Mounter) -> None:
    write_layer(sn, mounter, "l1", "", {"gone": "x", "kept": "y"})
    target = mounter(sn.prepare("c", "l1"))
    (target / "gone").unlink()
    unmount_all(target)
    again = mounter(sn.mounts("c"))
    assert sorted(p.name for p in again.iterdir()) == ["kept"]


@pytest.mark.root
def test_view_mount_is_read_only(sn: DirSnapshotter, mounter: Mounter) -> None:
    write_layer(sn, mounter, "l1", "", {"f": "x"})
    view = mounter(sn.view("v", "l1"))
    with pytest.raises(OSError) as exc:
        (view / "new").write_text("no")
    assert exc.value.errno == errno.EROFS


@pytest.mark.root
def test_view_over_several_layers_merges_them(sn: DirSnapshotter, mounter: Mounter) -> None:
    write_layer(sn, mounter, "l1", "", {"a": "1"})
    write_layer(sn, mounter, "l2", "l1", {"b": "2"})
    view = mounter(sn.view("v", "l2"))
    assert sorted(p.name for p in view.iterdir()) == ["a", "b"]
