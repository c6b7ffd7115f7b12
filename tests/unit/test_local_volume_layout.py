"""The local driver's on-disk layout (volume/local.py): what is written, what heals at open.

No root needed: nothing here has driver options to mount.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from dockyard.volume.local import LocalVolumeDriver


def test_volume_is_a_data_dir_with_opts_json(tmp_path: Path) -> None:
    d = LocalVolumeDriver(tmp_path)
    v = d.create("data", {"a": "b"}, {})
    assert v.mountpoint == tmp_path / "data" / "_data"
    assert v.mountpoint.is_dir()
    doc = json.loads((tmp_path / "data" / "opts.json").read_text())
    assert doc == {"created": v.created_at, "labels": {"a": "b"}, "options": {}}


def test_refs_json_lists_refs_and_disappears_without_them(tmp_path: Path) -> None:
    d = LocalVolumeDriver(tmp_path)
    d.create("data")
    d.mount("data", "c2")
    d.mount("data", "c1")
    refs = tmp_path / "data" / "refs.json"
    assert json.loads(refs.read_text()) == ["c1", "c2"]
    d.unmount("data", "c1")
    d.unmount("data", "c2")
    assert not refs.exists()


def test_remove_deletes_the_volume_directory(tmp_path: Path) -> None:
    d = LocalVolumeDriver(tmp_path)
    v = d.create("data")
    (v.mountpoint / "f").write_text("x")
    d.remove("data")
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_interrupted_create_and_remove_are_deleted_at_open(tmp_path: Path) -> None:
    (tmp_path / ".tmp-0123" / "_data").mkdir(parents=True)
    (tmp_path / ".trash-4567" / "_data").mkdir(parents=True)
    LocalVolumeDriver(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_directory_without_opts_json_is_not_a_volume(tmp_path: Path) -> None:
    (tmp_path / "stray" / "_data").mkdir(parents=True)
    assert LocalVolumeDriver(tmp_path).list() == []


def test_usage_counts_file_bytes_and_each_inode_once(tmp_path: Path) -> None:
    d = LocalVolumeDriver(tmp_path)
    data = d.create("data").mountpoint
    (data / "sub").mkdir()
    (data / "a").write_bytes(b"x" * 100)
    (data / "sub" / "b").write_bytes(b"y" * 20)
    os.link(data / "a", data / "hard")
    (data / "empty").touch()
    assert d.usage("data") == 120


def test_usage_counts_a_symlink_as_its_target_text(tmp_path: Path) -> None:
    d = LocalVolumeDriver(tmp_path)
    data = d.create("data").mountpoint
    (data / "link").symlink_to("/nonexistent/target")  # 19 bytes, not followed
    assert d.usage("data") == len("/nonexistent/target")
