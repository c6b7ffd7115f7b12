"""apply_layer: file kinds and metadata, whiteouts in both formats, and hostile layers."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from dockyard.archive.apply import apply_layer
from dockyard.errors import InvalidParameter
from dockyard.testing.layers import Entry, dir_, hard, layer, reg, sym


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    r.mkdir()
    return r


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the root that no layer may touch; holds one secret file."""
    o = tmp_path / "outside"
    o.mkdir()
    (o / "secret").write_text("keep")
    return o


@pytest.fixture(autouse=True, params=["stream", "file"])
def source(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Every test runs twice: the layer as a stream (pipe, decompressor) and as a regular
    file, which is read by offset with copy_file_range; the checks must hold for both."""
    _LAYER_DIR[:] = [tmp_path_factory.mktemp("layers")] if request.param == "file" else []
    yield request.param
    _LAYER_DIR.clear()


_LAYER_DIR: list[Path] = []  # where layer files go (away from the root's neighbours)


def open_layer(data: bytes) -> BinaryIO:
    """The layer as the current ``source`` mode hands it to apply_layer."""
    if not _LAYER_DIR:
        return io.BytesIO(data)
    path = _LAYER_DIR[0] / f"layer-{len(list(_LAYER_DIR[0].iterdir()))}.tar"
    path.write_bytes(data)
    return path.open("rb")


def apply(root: Path, *entries: Entry, overlay: bool = False) -> int:
    with open_layer(layer(*entries).getvalue()) as stream:
        return apply_layer(stream, root, overlay_whiteouts=overlay)


def snapshot(path: Path) -> dict[str, bytes | None]:
    """Every path under ``path`` with its content, to prove nothing changed there."""
    out: dict[str, bytes | None] = {}
    for p in sorted(path.rglob("*")):
        out[str(p.relative_to(path))] = p.read_bytes() if p.is_file() else None
    return out


# --- kinds and metadata ----------------------------------------------------------------


def test_regular_file_content_and_mode_are_applied(root: Path) -> None:
    apply(root, dir_("etc"), reg("etc/hosts", b"127.0.0.1 localhost\n", mode=0o640))
    assert (root / "etc/hosts").read_bytes() == b"127.0.0.1 localhost\n"
    assert stat.S_IMODE((root / "etc/hosts").stat().st_mode) == 0o640


def test_apply_returns_bytes_of_file_content(root: Path) -> None:
    assert apply(root, reg("a", b"x" * 1000), reg("b", b"y" * 24), dir_("d")) == 1024


def test_large_file_is_streamed_intact(root: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 17)
    apply(root, reg("big", data))
    assert (root / "big").read_bytes() == data


def test_missing_parent_dirs_are_created(root: Path) -> None:
    apply(root, reg("a/b/c/file", b"x"))
    assert (root / "a/b/c/file").read_bytes() == b"x"


def test_file_mtime_is_applied(root: Path) -> None:
    apply(root, reg("f", b"x", mtime=1_600_000_000))
    assert (root / "f").stat().st_mtime == 1_600_000_000


def test_dir_mtime_survives_its_children_being_written(root: Path) -> None:
    apply(root, dir_("d", mtime=1_500_000_000), reg("d/f", b"x"))
    assert (root / "d").stat().st_mtime == 1_500_000_000


@pytest.mark.root
def test_owner_is_applied(root: Path) -> None:
    apply(root, reg("f", b"x", uid=1234, gid=5678))
    st = (root / "f").stat()
    assert (st.st_uid, st.st_gid) == (1234, 5678)


@pytest.mark.root
def test_setuid_bit_survives_chown(root: Path) -> None:
    apply(root, reg("su", b"x", mode=0o4755, uid=1000))
    assert stat.S_IMODE((root / "su").stat().st_mode) == 0o4755


def test_symlink_is_created_not_followed(root: Path) -> None:
    apply(root, sym("link", "/etc/passwd"))
    assert str((root / "link").readlink()) == "/etc/passwd"


def test_hardlink_shares_the_inode_of_its_target(root: Path) -> None:
    apply(root, reg("a", b"data"), hard("b", "a"))
    assert (root / "a").stat().st_ino == (root / "b").stat().st_ino


def test_fifo_is_created(root: Path) -> None:
    apply(root, Entry("p", tarfile.FIFOTYPE))
    assert stat.S_ISFIFO((root / "p").lstat().st_mode)


@pytest.mark.root
def test_char_device_is_created_with_its_numbers(root: Path) -> None:
    apply(root, Entry("null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666))
    st = (root / "null").lstat()
    assert stat.S_ISCHR(st.st_mode)
    assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (1, 3)


def test_pax_xattr_is_applied(root: Path) -> None:
    apply(root, reg("f", b"x", pax={"SCHILY.xattr.user.note": "hello"}))
    assert os.getxattr(root / "f", "user.note") == b"hello"


def test_binary_pax_xattr_value_is_applied_byte_for_byte(root: Path) -> None:
    value = bytes([1, 0, 0, 2, 0xFF, 0x80])
    text = value.decode("utf-8", "surrogateescape")
    apply(root, reg("f", b"x", pax={"SCHILY.xattr.user.bin": text}))
    assert os.getxattr(root / "f", "user.bin") == value


@pytest.mark.root
def test_overlay_xattrs_in_a_layer_are_ignored(root: Path) -> None:
    apply(root, dir_("d", pax={"SCHILY.xattr.trusted.overlay.redirect": "/etc"}))
    assert "trusted.overlay.redirect" not in os.listxattr(root / "d")


def test_later_member_replaces_a_file_with_a_dir(root: Path) -> None:
    (root / "x").write_text("old")
    apply(root, dir_("x"), reg("x/f", b"new"))
    assert (root / "x/f").read_bytes() == b"new"


def test_later_member_replaces_a_dir_with_a_file(root: Path) -> None:
    (root / "x").mkdir()
    (root / "x/inner").write_text("old")
    apply(root, reg("x", b"new"))
    assert (root / "x").read_bytes() == b"new"


def test_corrupt_tar_is_invalid_parameter(root: Path) -> None:
    data = layer(reg("f", b"x" * 2000)).getvalue()[:1500]
    with pytest.raises(InvalidParameter), open_layer(data) as stream:
        apply_layer(stream, root, overlay_whiteouts=False)


def test_member_data_cut_short_is_invalid_parameter(root: Path) -> None:
    data = layer(reg("f", b"x" * 5000), reg("g", b"y")).getvalue()[:2048]
    with pytest.raises(InvalidParameter, match="unexpected end of data"), open_layer(data) as f:
        apply_layer(f, root, overlay_whiteouts=False)


def test_file_layer_is_copied_by_offset_not_read_through_python(
    root: Path, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source == "stream":
        pytest.skip("only a regular file has offsets to copy from")
    calls: list[int] = []
    real = os.copy_file_range

    def counting(src: int, dst: int, count: int, offset_src: int | None = None) -> int:
        calls.append(count)
        return real(src, dst, count, offset_src)

    monkeypatch.setattr(os, "copy_file_range", counting)
    data = os.urandom(70_000)
    apply(root, reg("a", b"small"), reg("big", data))
    assert (root / "big").read_bytes() == data
    assert (root / "a").read_bytes() == b"small"
    assert calls == [5, 70_000]


# --- whiteouts, plain directory ----------------------------------------------------------


def test_whiteout_deletes_file_from_lower_layer(root: Path) -> None:
    apply(root, reg("etc/motd", b"hi"), reg("etc/keep", b"k"))
    apply(root, reg("etc/.wh.motd"))
    assert not (root / "etc/motd").exists()
    assert not (root / "etc/.wh.motd").exists()
    assert (root / "etc/keep").exists()


def test_whiteout_deletes_whole_directory(root: Path) -> None:
    apply(root, reg("var/cache/a", b"1"), reg("var/cache/sub/b", b"2"))
    apply(root, reg("var/.wh.cache"))
    assert not (root / "var/cache").exists()


def test_opaque_dir_keeps_only_this_layers_entries(root: Path) -> None:
    apply(root, reg("d/old", b"1"), reg("d/sub/old2", b"2"))
    apply(root, dir_("d"), reg("d/.wh..wh..opq"), reg("d/new", b"3"))
    assert sorted(p.name for p in (root / "d").iterdir()) == ["new"]


def test_opaque_marker_after_new_entries_keeps_them(root: Path) -> None:
    apply(root, reg("d/old", b"1"))
    apply(root, dir_("d"), reg("d/new", b"3"), reg("d/.wh..wh..opq"))
    assert sorted(p.name for p in (root / "d").iterdir()) == ["new"]


# --- whiteouts, overlay upperdir ---------------------------------------------------------


@pytest.mark.root
def test_overlay_whiteout_becomes_0_0_char_device(root: Path) -> None:
    apply(root, reg("etc/.wh.motd"), overlay=True)
    st = (root / "etc/motd").lstat()
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert not (root / "etc/.wh.motd").exists()


@pytest.mark.root
def test_overlay_opaque_marker_sets_opaque_xattr(root: Path) -> None:
    apply(root, dir_("d"), reg("d/.wh..wh..opq"), reg("d/new", b"x"), overlay=True)
    assert os.getxattr(root / "d", "trusted.overlay.opaque") == b"y"
    assert sorted(p.name for p in (root / "d").iterdir()) == ["new"]


# --- hostile layers: nothing may be written outside root ---------------------------------


@pytest.mark.parametrize("name", ["../evil", "/../evil", "a/../../evil", "./../evil", ".."])
def test_member_escaping_root_is_rejected(root: Path, tmp_path: Path, name: str) -> None:
    before = snapshot(tmp_path)
    with pytest.raises(InvalidParameter, match="escapes the layer root"):
        apply(root, reg(name, b"pwned"))
    assert snapshot(tmp_path) == before


def test_absolute_member_name_lands_inside_root(root: Path) -> None:
    apply(root, reg("/etc/dockyard-test", b"inside"))
    assert (root / "etc/dockyard-test").read_bytes() == b"inside"


def test_hardlink_target_escaping_root_is_rejected(root: Path, outside: Path) -> None:
    with pytest.raises(InvalidParameter, match="escapes the layer root"):
        apply(root, hard("x", "../outside/secret"))
    assert (outside / "secret").stat().st_nlink == 1
    assert not (root / "x").exists()


def test_absolute_hardlink_target_is_resolved_inside_root(root: Path) -> None:
    with pytest.raises(InvalidParameter, match="does not exist"):
        apply(root, hard("passwd", "/etc/passwd"))
    assert not (root / "passwd").exists()


def test_write_through_symlinked_parent_is_rejected(root: Path, outside: Path) -> None:
    before = snapshot(outside)
    with pytest.raises(InvalidParameter, match="symlink"):
        apply(root, sym("evil", str(outside)), reg("evil/passwd", b"root::0:0::/:/bin/sh"))
    assert snapshot(outside) == before


def test_write_through_symlink_from_earlier_layer_is_rejected(root: Path, outside: Path) -> None:
    apply(root, sym("etc", str(outside)))
    with pytest.raises(InvalidParameter, match="symlink"):
        apply(root, reg("etc/secret", b"pwned"))
    assert (outside / "secret").read_text() == "keep"


def test_relative_symlink_escaping_root_is_rejected(root: Path) -> None:
    with pytest.raises(InvalidParameter, match="escapes the layer root"):
        apply(root, sym("evil", "../../outside"))
    assert not (root / "evil").is_symlink()


def test_file_member_replaces_symlink_instead_of_writing_through_it(
    root: Path, outside: Path
) -> None:
    apply(root, sym("f", str(outside / "secret")), reg("f", b"pwned"))
    assert (outside / "secret").read_text() == "keep"
    assert (root / "f").read_bytes() == b"pwned"
    assert not (root / "f").is_symlink()


def test_whiteout_through_symlinked_parent_is_rejected(root: Path, outside: Path) -> None:
    with pytest.raises(InvalidParameter, match="symlink"):
        apply(root, sym("evil", str(outside)), reg("evil/.wh.secret"))
    assert (outside / "secret").exists()


def test_opaque_marker_through_symlinked_parent_is_rejected(root: Path, outside: Path) -> None:
    with pytest.raises(InvalidParameter, match="symlink"):
        apply(root, sym("evil", str(outside)), reg("evil/.wh..wh..opq"))
    assert (outside / "secret").exists()


def test_hardlink_through_symlinked_parent_is_rejected(root: Path, outside: Path) -> None:
    with pytest.raises(InvalidParameter, match="symlink"):
        apply(root, sym("evil", str(outside)), hard("x", "evil/secret"))
    assert (outside / "secret").stat().st_nlink == 1


def test_hardlink_to_symlink_links_the_symlink_not_its_target(root: Path, outside: Path) -> None:
    apply(root, sym("s", str(outside / "secret")), hard("x", "s"))
    assert (root / "x").is_symlink()
    assert (outside / "secret").stat().st_nlink == 1
