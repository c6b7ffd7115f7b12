"""write_diff / write_tree: layer tars from an overlay upperdir or a plain tree.

The round trip (apply a layer into an overlay upperdir, mount it over its parent, change
files through the mount, diff the upperdir) needs root for mknod, trusted xattrs and mounts.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.archive.apply import apply_layer
from dockyard.archive.diff import write_diff, write_tree
from dockyard.mount import mount_all, unmount_all
from dockyard.snapshot.overlay import OverlaySnapshotter
from dockyard.testing.layers import dir_, layer, members, read_member, reg


def diff_bytes(upper: Path) -> bytes:
    out = io.BytesIO()
    write_diff(upper, out)
    return out.getvalue()


def tree_bytes(root: Path) -> bytes:
    out = io.BytesIO()
    write_tree(root, out)
    return out.getvalue()


def names(tar: bytes) -> list[str]:
    return [m.name for m in members(tar)]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    r = tmp_path / "tree"
    (r / "etc").mkdir(parents=True)
    (r / "etc/hosts").write_text("127.0.0.1 localhost\n")
    (r / "bin").mkdir()
    (r / "bin/sh").write_bytes(b"\x7fELF" + b"x" * 5000)
    (r / "bin/sh").chmod(0o755)
    (r / "bin/ash").hardlink_to(r / "bin/sh")
    (r / "lib").symlink_to("usr/lib")
    return r


def test_tree_entries_are_sorted_depth_first(tree: Path) -> None:
    assert names(tree_bytes(tree)) == ["bin", "bin/ash", "bin/sh", "etc", "etc/hosts", "lib"]


def test_tree_output_is_deterministic(tree: Path) -> None:
    assert tree_bytes(tree) == tree_bytes(tree)


def test_tree_is_pax_and_padded_to_a_record(tree: Path) -> None:
    data = tree_bytes(tree)
    assert len(data) % tarfile.RECORDSIZE == 0
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        assert tf.format == tarfile.PAX_FORMAT


def test_tree_keeps_file_content_mode_and_symlink(tree: Path) -> None:
    data = tree_bytes(tree)
    by_name = {m.name: m for m in members(data)}
    assert read_member(data, "etc/hosts") == b"127.0.0.1 localhost\n"
    assert by_name["bin/ash"].mode == 0o755
    assert (by_name["lib"].issym(), by_name["lib"].linkname) == (True, "usr/lib")


def test_tree_hard_links_point_at_first_name(tree: Path) -> None:
    by_name = {m.name: m for m in members(tree_bytes(tree))}
    assert by_name["bin/ash"].isreg()
    assert (by_name["bin/sh"].islnk(), by_name["bin/sh"].linkname) == (True, "bin/ash")


def test_tree_carries_xattrs_as_pax_records(tree: Path) -> None:
    os.setxattr(tree / "etc/hosts", "user.note", b"hi")
    by_name = {m.name: m for m in members(tree_bytes(tree))}
    assert by_name["etc/hosts"].pax_headers["SCHILY.xattr.user.note"] == "hi"


def test_tree_written_to_a_raw_file_matches_buffered_output(tree: Path, tmp_path: Path) -> None:
    path = tmp_path / "out.tar"
    with open(path, "wb", buffering=0) as raw:  # io.FileIO: the sendfile path
        write_tree(tree, raw)
    assert path.read_bytes() == tree_bytes(tree)


def test_tree_round_trips_through_apply(tree: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    apply_layer(io.BytesIO(tree_bytes(tree)), dest, overlay_whiteouts=False)
    assert (dest / "bin/sh").read_bytes() == (tree / "bin/sh").read_bytes()
    assert (dest / "bin/sh").stat().st_ino == (dest / "bin/ash").stat().st_ino
    assert str((dest / "lib").readlink()) == "usr/lib"


@pytest.mark.root
def test_diff_turns_char_device_whiteout_into_wh_file(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    (upper / "etc").mkdir(parents=True)
    os.mknod(upper / "etc/motd", stat.S_IFCHR, os.makedev(0, 0))
    tar = diff_bytes(upper)
    assert names(tar) == ["etc", "etc/.wh.motd"]
    assert members(tar)[1].isreg() and members(tar)[1].size == 0


@pytest.mark.root
def test_diff_marks_opaque_dir_and_drops_overlay_xattrs(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    (upper / "d").mkdir(parents=True)
    (upper / "d/new").write_text("n")
    os.setxattr(upper / "d", "trusted.overlay.opaque", b"y")
    tar = diff_bytes(upper)
    assert names(tar) == ["d", "d/.wh..wh..opq", "d/new"]
    assert not any(
        k.startswith("SCHILY.xattr.trusted.overlay") for k in members(tar)[0].pax_headers
    )


@pytest.mark.root
def test_plain_tree_keeps_real_char_devices(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    os.mknod(root / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    [m] = members(tree_bytes(root))
    assert (m.name, m.ischr(), m.devmajor, m.devminor) == ("null", True, 1, 3)


# --- round trip through a real overlay mount -------------------------------------------


@pytest.fixture
def overlay_sn(tmp_path: Path) -> Iterator[OverlaySnapshotter]:
    sn = OverlaySnapshotter(tmp_path / "sn")
    yield sn
    sn.close()


@pytest.fixture
def mnt(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "mnt"
    target.mkdir()
    yield target
    unmount_all(target, detach=True)


def unpack(sn: OverlaySnapshotter, key: str, parent: str, tar: io.BytesIO) -> None:
    """What image unpack does: apply into a fresh upperdir, commit."""
    sn.prepare(key + "-extract", parent)
    apply_layer(tar, sn.upper_dir(key + "-extract"), overlay_whiteouts=True)
    sn.commit(key, key + "-extract")


@pytest.mark.root
def test_layer_whiteouts_hide_lower_files_when_mounted(
    overlay_sn: OverlaySnapshotter, mnt: Path
) -> None:
    unpack(
        overlay_sn, "l1", "", layer(reg("etc/motd", b"m"), reg("d/old", b"o"), reg("keep", b"k"))
    )
    unpack(
        overlay_sn,
        "l2",
        "l1",
        layer(reg("etc/.wh.motd"), dir_("d"), reg("d/.wh..wh..opq"), reg("d/new", b"n")),
    )
    mount_all(overlay_sn.view("v", "l2"), mnt)
    assert not (mnt / "etc/motd").exists()
    assert sorted(p.name for p in (mnt / "d").iterdir()) == ["new"]
    assert (mnt / "keep").read_text() == "k"


@pytest.mark.root
def test_changes_through_mount_diff_back_to_oci_whiteouts(
    overlay_sn: OverlaySnapshotter, mnt: Path
) -> None:
    unpack(
        overlay_sn, "l1", "", layer(reg("etc/motd", b"m"), reg("d/old", b"o"), reg("keep", b"k"))
    )
    mount_all(overlay_sn.prepare("c", "l1"), mnt)
    (mnt / "etc/motd").unlink()
    (mnt / "added").write_text("a")
    (mnt / "d/old").unlink()
    (mnt / "d").rmdir()
    (mnt / "d").mkdir()  # overlay makes a recreated dir opaque
    (mnt / "d/fresh").write_text("f")
    unmount_all(mnt)
    tar = diff_bytes(overlay_sn.upper_dir("c"))
    assert set(names(tar)) >= {"added", "etc/.wh.motd", "d/.wh..wh..opq", "d/fresh"}
    assert "keep" not in names(tar)
    # and the diff applied on the parent gives what the mount showed
    unpack(overlay_sn, "l2", "l1", io.BytesIO(tar))
    mount_all(overlay_sn.view("v", "l2"), mnt)
    assert sorted(p.name for p in mnt.iterdir()) == ["added", "d", "etc", "keep"]
    assert sorted(p.name for p in (mnt / "d").iterdir()) == ["fresh"]
    assert list((mnt / "etc").iterdir()) == []
