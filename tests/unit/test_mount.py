"""mount_all / unmount_all against the real kernel (root only); every mount is undone."""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.mount import Mount, mount_all, unmount_all

pytestmark = pytest.mark.root

Target = Callable[[], Path]


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    made: list[Path] = []

    def make() -> Path:
        t = tmp_path / f"mnt{len(made)}"
        t.mkdir()
        made.append(t)
        return t

    yield make
    for t in reversed(made):
        unmount_all(t, detach=True)


def is_mounted(path: Path) -> bool:
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    return any(line.split()[1] == str(path) for line in mounts)


def test_bind_mount_shows_source_files(tmp_path: Path, target: Target) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src/f").write_text("x")
    t = target()
    mount_all([Mount("bind", str(tmp_path / "src"), ("rbind", "rw"))], t)
    assert (t / "f").read_text() == "x"


def test_ro_bind_mount_refuses_writes(tmp_path: Path, target: Target) -> None:
    (tmp_path / "src").mkdir()
    t = target()
    mount_all([Mount("bind", str(tmp_path / "src"), ("rbind", "ro"))], t)
    with pytest.raises(OSError) as exc:
        (t / "f").write_text("x")
    assert exc.value.errno == errno.EROFS


def test_unmount_all_removes_stacked_mounts(tmp_path: Path, target: Target) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    t = target()
    mount_all([Mount("bind", str(tmp_path / "a"), ("bind",))], t)
    mount_all([Mount("bind", str(tmp_path / "b"), ("bind",))], t)
    unmount_all(t)
    assert not is_mounted(t)


def test_unmount_all_of_plain_dir_is_a_no_op(tmp_path: Path) -> None:
    unmount_all(tmp_path)
    unmount_all(tmp_path / "missing")


def test_failed_mount_names_target_and_undoes_earlier_mounts(
    tmp_path: Path, target: Target
) -> None:
    (tmp_path / "a").mkdir()
    t = target()
    bad = Mount("bind", str(tmp_path / "missing"), ("bind",))
    with pytest.raises(DockyardError, match=str(t)):
        mount_all([Mount("bind", str(tmp_path / "a"), ("bind",)), bad], t)
    assert not is_mounted(t)


def test_overlay_with_options_over_a_page_still_mounts(tmp_path: Path, target: Target) -> None:
    base = tmp_path / ("long-" + "x" * 200)
    lowers = []
    for i in range(30):
        d = base / f"layer-{i:03d}-{'y' * 40}"
        d.mkdir(parents=True)
        (d / f"file{i}").write_text(str(i))
        lowers.append(str(d))
    (tmp_path / "upper").mkdir()
    (tmp_path / "work").mkdir()
    opts = (
        f"lowerdir={':'.join(lowers)}",
        f"upperdir={tmp_path / 'upper'}",
        f"workdir={tmp_path / 'work'}",
    )
    assert len(",".join(opts)) > 4096
    t = target()
    mount_all([Mount("overlay", "overlay", opts)], t)
    assert sorted(p.name for p in t.iterdir()) == sorted(f"file{i}" for i in range(30))
