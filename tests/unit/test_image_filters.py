"""Image filter rules: Go's path.Match for references, labels, dangling, timestamps."""

from __future__ import annotations

import pytest

from dockyard.errors import InvalidParameter
from dockyard.image.filters import (
    dangling_filter,
    labels_match,
    parse_timestamp,
    path_match,
    reference_matches,
)
from dockyard.oci.reference import parse


def test_star_does_not_cross_slashes() -> None:
    assert path_match("busy*", "busybox")
    assert not path_match("*", "library/busybox")


def test_character_class_and_question_mark() -> None:
    assert path_match("b?sy[a-z]ox", "busybox")
    assert path_match("b?sy[^0-9]ox", "busybox")
    assert not path_match("b?sy[^a-z]ox", "busybox")


def test_reference_matches_familiar_name_and_tag() -> None:
    ref = parse("docker.io/library/busybox:1.36")
    assert reference_matches("busybox", ref)
    assert reference_matches("busybox:1.*", ref)
    assert not reference_matches("busybox:2*", ref)


def test_reference_matches_registry_names_in_full() -> None:
    ref = parse("localhost:5000/team/app:v1")
    assert reference_matches("localhost:5000/team/*", ref)
    assert not reference_matches("team/*", ref)


def test_labels_key_and_key_value() -> None:
    labels = {"a": "1", "b": "2"}
    assert labels_match(labels, ["a", "b=2"])
    assert not labels_match(labels, ["a=2"])
    assert not labels_match(labels, ["c"])


def test_dangling_accepts_booleans_only() -> None:
    assert dangling_filter(["true"]) is True
    assert dangling_filter(["0"]) is False
    assert dangling_filter([]) is None
    with pytest.raises(InvalidParameter, match=r"invalid filter 'dangling=\[maybe\]'"):
        dangling_filter(["maybe"])


def test_timestamp_forms() -> None:
    assert parse_timestamp("1700000000", 0) == 1700000000
    assert parse_timestamp("1h30m", 10_000) == 10_000 - 5400
    assert parse_timestamp("2020-01-01T00:00:00Z", 0) == 1577836800


def test_bad_timestamp_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="failed to parse"):
        parse_timestamp("yesterday", 0)
