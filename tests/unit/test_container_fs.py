"""cp/diff building blocks on plain directories: stat wire shape, path resolution that
stays inside the root, tar extraction refusals and Docker's diff kinds."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.apitypes.container_fs import (
    Change,
    ChangeKind,
    PathStat,
    changes_to_wire,
    go_file_mode,
    go_time,
    path_stat_header,
)
from dockyard.daemon.containers.archive import copy_owner, stat_path, write_archive
from dockyard.daemon.containers.commit import filter_layer
from dockyard.daemon.containers.extract import ExtractOptions, extract_into
from dockyard.daemon.containers.fsdiff import LayerDirs, changes
from dockyard.daemon.containers.fspath import DIR_FLAGS, clean_container_path
from dockyard.errors import InvalidParameter, NotFound


@pytest.fixture
def rootfs(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "escape").symlink_to("/")
    (root / "x").symlink_to("/../../../../etc/passwd")
    fd = os.open(root, DIR_FLAGS)
    yield root, fd
    os.close(fd)


def _tar(*members: tuple[str, str, str]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, kind, arg in members:
            info = tarfile.TarInfo(name)
            if kind == "f":
                info.size = len(arg)
                tf.addfile(info, io.BytesIO(arg.encode()))
            elif kind == "d":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tf.addfile(info)
            elif kind == "l":
                info.type, info.linkname = tarfile.SYMTYPE, arg
                tf.addfile(info)
            elif kind == "h":
                info.type, info.linkname = tarfile.LNKTYPE, arg
                tf.addfile(info)
    buf.seek(0)
    return buf


def test_go_file_mode_sets_dir_and_symlink_type_bits() -> None:
    assert go_file_mode(stat.S_IFDIR | 0o755) == (1 << 31) | 0o755
    assert go_file_mode(stat.S_IFLNK | 0o777) == (1 << 27) | 0o777
    assert go_file_mode(stat.S_IFREG | 0o4755) == (1 << 23) | 0o755


def test_go_time_trims_trailing_zeros_like_go() -> None:
    assert go_time(1_700_000_000_120_000_000) == "2023-11-14T22:13:20.12Z"
    assert go_time(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"


def test_path_stat_header_is_base64_json_in_docker_field_order() -> None:
    header = path_stat_header(PathStat("d", 4096, (1 << 31) | 0o755, 0, ""))
    doc = base64.b64decode(header).decode()
    assert doc.startswith('{"name":"d","size":4096,"mode":2147484141,"mtime":')
    assert json.loads(doc)["linkTarget"] == ""


def test_no_changes_are_null_on_the_wire() -> None:
    assert changes_to_wire([]) is None
    assert changes_to_wire([Change("/a", ChangeKind.ADDED)]) == [{"Path": "/a", "Kind": 1}]


def test_clean_container_path_keeps_trailing_slash_and_dot() -> None:
    assert clean_container_path("a/../b/") == "/b/"
    assert clean_container_path("/d/.") == "/d/."
    assert clean_container_path("../../etc") == "/etc"


def test_stat_of_symlink_reports_target_resolved_inside_the_container(
    rootfs: tuple[Path, int],
) -> None:
    root, fd = rootfs
    plan = stat_path(root, fd, "/x", "c")
    assert plan.stat.link_target == "/etc/passwd"
    assert plan.stat.mode & (1 << 27)


def test_stat_of_missing_path_names_path_and_container(rootfs: tuple[Path, int]) -> None:
    root, fd = rootfs
    with pytest.raises(NotFound, match="Could not find the file /nope in container web"):
        stat_path(root, fd, "/nope", "web")


def test_archive_through_root_symlink_reads_the_container_file(
    rootfs: tuple[Path, int],
) -> None:
    root, fd = rootfs
    out = io.BytesIO()
    write_archive(fd, stat_path(root, fd, "/escape/etc/passwd", "c"), out)
    out.seek(0)
    with tarfile.open(fileobj=out) as tf:
        member = tf.getmember("passwd")
        data = tf.extractfile(member)
        assert data is not None
        assert data.read() == b"root:x:0:0:root:/root:/bin/sh\n"


def test_extract_rejects_member_climbing_out_of_the_destination(
    rootfs: tuple[Path, int], tmp_path: Path
) -> None:
    root, fd = rootfs
    (root / "d").mkdir()
    with pytest.raises(InvalidParameter, match="is outside of"):
        extract_into(root, fd, "/d", _tar(("../../../evil", "f", "x")), ExtractOptions())
    assert not (tmp_path / "evil").exists()
    assert not (root / "evil").exists()


def test_extract_rejects_relative_symlink_leaving_the_destination(
    rootfs: tuple[Path, int],
) -> None:
    root, fd = rootfs
    (root / "d").mkdir()
    with pytest.raises(InvalidParameter, match="invalid symlink"):
        extract_into(root, fd, "/d", _tar(("evil", "l", "../../../../tmp")), ExtractOptions())


def test_extract_through_absolute_symlink_writes_inside_the_container(
    rootfs: tuple[Path, int],
) -> None:
    root, fd = rootfs
    members = _tar(("evil", "l", "/etc"), ("evil/planted", "f", "x"))
    extract_into(root, fd, "/", members, ExtractOptions())
    assert (root / "etc" / "planted").read_text() == "x"


def test_extract_into_root_symlink_destination_stays_in_the_rootfs(
    rootfs: tuple[Path, int],
) -> None:
    root, fd = rootfs
    extract_into(root, fd, "/", _tar(("escape/tmp-planted", "f", "y")), ExtractOptions())
    assert (root / "tmp-planted").read_text() == "y"


def test_extract_places_absolute_members_under_the_destination(
    rootfs: tuple[Path, int],
) -> None:
    root, fd = rootfs
    (root / "d").mkdir()
    extract_into(root, fd, "/d", _tar(("/abs", "f", "z")), ExtractOptions())
    assert (root / "d" / "abs").read_text() == "z"


def test_extract_keeps_whiteout_names_as_plain_files(rootfs: tuple[Path, int]) -> None:
    root, fd = rootfs
    extract_into(root, fd, "/etc", _tar((".wh.passwd", "f", "")), ExtractOptions())
    assert (root / "etc" / "passwd").exists()
    assert (root / "etc" / ".wh.passwd").exists()


def test_no_overwrite_dir_non_dir_refuses_replacing_a_directory(
    rootfs: tuple[Path, int],
) -> None:
    root, fd = rootfs
    with pytest.raises(InvalidParameter, match="cannot overwrite directory"):
        extract_into(root, fd, "/", _tar(("etc", "f", "x")), ExtractOptions(True))
    assert (root / "etc").is_dir()


def test_extract_applies_copy_owner_to_every_member(rootfs: tuple[Path, int]) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown needs root")
    root, fd = rootfs
    extract_into(root, fd, "/", _tar(("o", "f", "x")), ExtractOptions(owner=(123, 456)))
    st = os.lstat(root / "o")
    assert (st.st_uid, st.st_gid) == (123, 456)


def _whiteout(path: Path) -> None:
    os.mknod(path, stat.S_IFCHR, os.makedev(0, 0))


def test_changes_report_added_deleted_and_modified_parents(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("whiteouts need CAP_MKNOD")
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    (lower / "bin").mkdir(parents=True)
    (lower / "bin" / "ls").write_text("ls")
    (lower / "etc").mkdir()
    (upper / "bin").mkdir(parents=True)
    _whiteout(upper / "bin" / "ls")
    (upper / "new").write_text("n")
    (upper / "etc").mkdir()
    (upper / "etc" / "hosts").write_text("")  # a runc mount point: not a change
    got = changes(LayerDirs(upper, (lower,)))
    assert got == [
        Change("/bin", ChangeKind.MODIFIED),
        Change("/bin/ls", ChangeKind.DELETED),
        Change("/new", ChangeKind.ADDED),
    ]


def test_commit_layer_filter_drops_mount_points_and_their_bare_parent() -> None:
    src = _tar(("etc", "d", ""), ("etc/hosts", "f", ""), ("new", "f", "n"))
    out = io.BytesIO()
    assert filter_layer(src, out)
    out.seek(0)
    with tarfile.open(fileobj=out) as tf:
        assert tf.getnames() == ["new"]


def test_commit_layer_filter_reports_an_empty_layer() -> None:
    out = io.BytesIO()
    assert not filter_layer(_tar(("etc", "d", ""), ("etc/resolv.conf", "f", "")), out)


def test_copy_uid_gid_owner_comes_from_the_containers_passwd(rootfs: tuple[Path, int]) -> None:
    root, fd = rootfs
    (root / "etc" / "passwd").write_text("app:x:1000:1001::/home/app:/bin/sh\n")
    assert copy_owner(root, fd, "") is None
    assert copy_owner(root, fd, "app") == (1000, 1001)
    assert copy_owner(root, fd, "42:43") == (42, 43)
    with pytest.raises(InvalidParameter, match="unable to find user nobody"):
        copy_owner(root, fd, "nobody")
