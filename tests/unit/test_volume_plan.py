"""A container's mounts from -v, --mount, --volumes-from and image VOLUMEs (pure)."""

from __future__ import annotations

import pytest

from dockyard.apitypes.host_config import Mount, TmpfsOptions, VolumeOptions
from dockyard.daemon.volumes.plan import (
    PlannedMount,
    from_json,
    parse_bind,
    plan_mounts,
    to_json,
    with_volumes_from,
)
from dockyard.errors import InvalidParameter


def test_named_volume_bind_defaults_to_mode_z() -> None:
    assert parse_bind("data:/data") == PlannedMount("volume", "/data", name="data", mode="z")


def test_host_bind_with_options() -> None:
    m = parse_bind("/srv/x:/x:ro,rshared")
    assert (m.type, m.source, m.rw, m.propagation, m.create_source) == (
        "bind",
        "/srv/x",
        False,
        "rshared",
        True,
    )


def test_relative_destination_is_invalid() -> None:
    with pytest.raises(InvalidParameter, match="invalid volume specification: 'data:rel'"):
        parse_bind("data:rel")


def test_unknown_mode_is_invalid() -> None:
    with pytest.raises(InvalidParameter, match="invalid mode: bogus"):
        parse_bind("data:/d:bogus")


def test_explicit_mount_replaces_image_volume_at_the_same_path() -> None:
    plan = plan_mounts(["/var/lib/db", "/cache"], [], ["named:/var/lib/db"], [])
    by_dst = {m.destination: m for m in plan}
    assert by_dst["/var/lib/db"].name == "named"
    assert by_dst["/cache"].anonymous


def test_duplicate_mount_point_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="Duplicate mount point: /d"):
        plan_mounts([], [], ["a:/d"], [Mount(type="volume", source="b", target="/d")])


def test_mount_flags_become_planned_options() -> None:
    plan = plan_mounts(
        [],
        [],
        [],
        [
            Mount(type="volume", target="/v", volume_options=VolumeOptions(no_copy=True)),
            Mount(type="tmpfs", target="/t", tmpfs_options=TmpfsOptions(size_bytes=1024)),
        ],
    )
    by_dst = {m.destination: m for m in plan}
    assert by_dst["/v"].anonymous and by_dst["/v"].nocopy
    assert "size=1024" in by_dst["/t"].tmpfs_options
    assert not by_dst["/v"].create_source


def test_volumes_from_applies_ro_and_skips_tmpfs() -> None:
    theirs = [PlannedMount("volume", "/d", name="x"), PlannedMount("tmpfs", "/t")]
    assert with_volumes_from(theirs, "ro") == [PlannedMount("volume", "/d", name="x", rw=False)]


def test_plan_survives_json() -> None:
    plan = [PlannedMount("tmpfs", "/t", tmpfs_options=("rw",)), parse_bind("/a:/b")]
    assert from_json(to_json(plan)) == plan
