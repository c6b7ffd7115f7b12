"""Volume wire shapes and the pure ``filters`` of ``volume ls`` and ``volume prune``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from dockyard.apitypes.filters import Filters
from dockyard.apitypes.volumes import (
    ANONYMOUS_LABEL,
    PruneReport,
    VolumeUsage,
    create_request_from_wire,
    format_created,
    list_to_wire,
    parse_list_filters,
    parse_prune_filters,
    prune_to_wire,
    volume_to_wire,
)
from dockyard.errors import InvalidParameter, NotFound
from dockyard.volume.base import Volume

TS = 1795395723.75  # 2026-11-23T01:02:03Z


def vol(
    name: str = "data",
    labels: Mapping[str, str] | None = None,
    options: Mapping[str, str] | None = None,
    driver: str = "local",
) -> Volume:
    return Volume(
        name, driver, Path(f"/var/lib/dockyard/volumes/{name}/_data"), TS, labels, options
    )


ANON = vol("f" * 64, {ANONYMOUS_LABEL: ""})


def listed(filters: Filters, volumes: list[tuple[Volume, bool]]) -> list[str]:
    f = parse_list_filters(filters)
    return [v.name for v, in_use in volumes if f.matches(v, in_use)]


def pruned(
    filters: Filters, volumes: list[tuple[Volume, bool]], version: str = "1.45"
) -> list[str]:
    f = parse_prune_filters(filters, version)
    return [v.name for v, in_use in volumes if f.matches(v, in_use)]


# -- wire ------------------------------------------------------------------------------------


def test_created_at_is_rfc3339_seconds_in_utc() -> None:
    assert format_created(TS) == "2026-11-23T01:02:03Z"


def test_volume_to_wire_has_dockers_keys() -> None:
    wire = volume_to_wire(vol(labels={"a": "b"}, options={}))
    assert wire == {
        "CreatedAt": "2026-11-23T01:02:03Z",
        "Driver": "local",
        "Labels": {"a": "b"},
        "Mountpoint": "/var/lib/dockyard/volumes/data/_data",
        "Name": "data",
        "Options": {},
        "Scope": "local",
    }


def test_labels_and_options_never_given_are_null() -> None:
    wire = volume_to_wire(vol())
    assert (wire["Labels"], wire["Options"]) == (None, None)


def test_usage_data_only_when_asked() -> None:
    assert "UsageData" not in volume_to_wire(vol())
    wire = volume_to_wire(vol(), usage=VolumeUsage(size=42, ref_count=2))
    assert wire["UsageData"] == {"Size": 42, "RefCount": 2}


def test_status_only_when_the_driver_has_one() -> None:
    assert "Status" not in volume_to_wire(vol(), status={})
    assert volume_to_wire(vol(), status={"hello": "world"})["Status"] == {"hello": "world"}


def test_list_without_warnings_sends_null_warnings() -> None:
    assert list_to_wire([]) == {"Volumes": [], "Warnings": None}


def test_list_carries_volumes_and_warnings() -> None:
    wire = list_to_wire([vol()], ["slow driver"])
    assert [v["Name"] for v in wire["Volumes"]] == ["data"]
    assert wire["Warnings"] == ["slow driver"]


def test_prune_report_to_wire() -> None:
    report = PruneReport(deleted=("a", "b"), space_reclaimed=10)
    assert prune_to_wire(report) == {"VolumesDeleted": ["a", "b"], "SpaceReclaimed": 10}


def test_empty_prune_report_lists_no_volumes() -> None:
    assert prune_to_wire(PruneReport()) == {"VolumesDeleted": [], "SpaceReclaimed": 0}


# -- create request --------------------------------------------------------------------------


def test_create_request_from_the_docker_cli() -> None:
    body = {"Name": "data", "Driver": "local", "DriverOpts": {}, "Labels": {"a": "b"}}
    req = create_request_from_wire(body)
    assert (req.name, req.driver, req.driver_opts, req.labels) == ("data", "local", {}, {"a": "b"})


def test_create_request_without_fields_is_anonymous_local_with_null_maps() -> None:
    req = create_request_from_wire({})
    assert (req.name, req.driver, req.driver_opts, req.labels) == ("", "local", None, None)


def test_create_request_with_unknown_driver_is_plugin_not_found() -> None:
    with pytest.raises(NotFound, match='plugin "nfs-plugin" not found'):
        create_request_from_wire({"Name": "x", "Driver": "nfs-plugin"})


def test_create_request_with_wrong_type_is_gos_message() -> None:
    with pytest.raises(InvalidParameter, match=r"CreateOptions\.Name of type string"):
        create_request_from_wire({"Name": 5})


def test_create_request_with_non_string_label_is_invalid() -> None:
    with pytest.raises(InvalidParameter):
        create_request_from_wire({"Labels": {"a": 1}})


# -- list filters ----------------------------------------------------------------------------


def test_no_filters_list_everything() -> None:
    assert listed({}, [(vol("a1"), True), (vol("b1"), False)]) == ["a1", "b1"]


def test_dangling_true_lists_unused_volumes() -> None:
    assert listed({"dangling": ["true"]}, [(vol("used"), True), (vol("free"), False)]) == ["free"]


def test_dangling_1_means_true() -> None:
    assert listed({"dangling": ["1"]}, [(vol("used"), True), (vol("free"), False)]) == ["free"]


def test_dangling_false_lists_volumes_in_use() -> None:
    assert listed({"dangling": ["false"]}, [(vol("used"), True), (vol("free"), False)]) == ["used"]


def test_dangling_not_a_boolean_is_invalid_filter() -> None:
    with pytest.raises(InvalidParameter, match=r"invalid filter 'dangling=\[maybe\]'"):
        parse_list_filters({"dangling": ["maybe"]})


def test_dangling_true_and_false_together_is_invalid_filter() -> None:
    with pytest.raises(InvalidParameter, match="invalid filter 'dangling"):
        parse_list_filters({"dangling": ["true", "false"]})


def test_name_filter_matches_a_substring() -> None:
    vols = [(vol("project_db"), False), (vol("cache"), False)]
    assert listed({"name": ["db"]}, vols) == ["project_db"]


def test_name_filter_is_a_regular_expression() -> None:
    vols = [(vol("db1"), False), (vol("xdb"), False)]
    assert listed({"name": ["^db"]}, vols) == ["db1"]


def test_name_filter_any_value_may_match() -> None:
    vols = [(vol("aa"), False), (vol("bb"), False), (vol("cc"), False)]
    assert listed({"name": ["aa", "cc"]}, vols) == ["aa", "cc"]


def test_label_key_filter_needs_the_key() -> None:
    vols = [(vol("x1", {"env": "prod"}), False), (vol("y1", {"other": ""}), False)]
    assert listed({"label": ["env"]}, vols) == ["x1"]


def test_label_key_value_filter_needs_the_value() -> None:
    vols = [(vol("x1", {"env": "prod"}), False), (vol("y1", {"env": "dev"}), False)]
    assert listed({"label": ["env=dev"]}, vols) == ["y1"]


def test_every_label_filter_must_hold() -> None:
    vols = [(vol("x1", {"a": "1", "b": "2"}), False), (vol("y1", {"a": "1"}), False)]
    assert listed({"label": ["a=1", "b"]}, vols) == ["x1"]


def test_label_filter_skips_volumes_without_labels() -> None:
    assert listed({"label": ["a"]}, [(vol("x1"), False)]) == []


def test_driver_filter_is_exact() -> None:
    vols = [(vol("x1"), False), (vol("y1", driver="nfs"), False)]
    assert listed({"driver": ["local"]}, vols) == ["x1"]


def test_unknown_list_filter_is_invalid() -> None:
    with pytest.raises(InvalidParameter, match="invalid filter 'until'"):
        parse_list_filters({"until": ["1h"]})


# -- prune filters ---------------------------------------------------------------------------


def test_prune_takes_only_anonymous_volumes_by_default() -> None:
    assert pruned({}, [(ANON, False), (vol("named"), False)]) == [ANON.name]


def test_prune_all_takes_named_volumes_too() -> None:
    assert pruned({"all": ["true"]}, [(ANON, False), (vol("named"), False)]) == [
        ANON.name,
        "named",
    ]


def test_prune_from_clients_before_1_42_takes_named_volumes() -> None:
    assert pruned({}, [(vol("named"), False)], version="1.41") == ["named"]


def test_prune_never_takes_volumes_in_use() -> None:
    assert pruned({"all": ["1"]}, [(ANON, True), (vol("named"), True)]) == []


def test_prune_skips_volumes_with_driver_options() -> None:
    tmpfs = vol("t1", {ANONYMOUS_LABEL: ""}, {"type": "tmpfs", "device": "tmpfs"})
    assert pruned({"all": ["true"]}, [(tmpfs, False)]) == []


def test_prune_label_filter_narrows() -> None:
    vols = [(vol("k1", {"keep": "no"}), False), (vol("k2", {"keep": "yes"}), False)]
    assert pruned({"all": ["true"], "label": ["keep=no"]}, vols) == ["k1"]


def test_prune_negated_label_excludes() -> None:
    vols = [(vol("k1", {"keep": ""}), False), (vol("k2"), False)]
    assert pruned({"all": ["true"], "label!": ["keep"]}, vols) == ["k2"]


def test_prune_all_not_a_boolean_is_invalid() -> None:
    with pytest.raises(InvalidParameter, match="invalid filter 'all'"):
        parse_prune_filters({"all": ["yes"]})


def test_prune_all_given_twice_is_invalid() -> None:
    with pytest.raises(InvalidParameter, match="only one value is expected"):
        parse_prune_filters({"all": ["true", "false"]})


def test_prune_rejects_list_only_filters() -> None:
    with pytest.raises(InvalidParameter, match="invalid filter 'dangling'"):
        parse_prune_filters({"dangling": ["true"]})
