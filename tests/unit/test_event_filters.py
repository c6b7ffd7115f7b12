"""Event filters follow Docker: values of one key OR-ed, keys AND-ed."""

from __future__ import annotations

from dockyard.events.bus import Event, EventBus, matches

TAG = Event("image", "tag", "sha256:abc", {"name": "busybox:latest"})
START = Event("container", "start", "c0ffee", {"name": "web", "image": "busybox", "a": "1"})


def test_type_filter_selects_by_type() -> None:
    assert matches(TAG, {"type": ["image"]})
    assert not matches(START, {"type": ["image"]})


def test_values_of_one_key_are_alternatives() -> None:
    assert matches(START, {"event": ["stop", "start"]})


def test_different_keys_must_all_match() -> None:
    assert not matches(START, {"type": ["container"], "event": ["die"]})


def test_container_filter_matches_name_or_id_prefix() -> None:
    assert matches(START, {"container": ["web"]})
    assert matches(START, {"container": ["c0f"]})
    assert not matches(START, {"container": ["db"]})


def test_image_filter_matches_container_events_by_image() -> None:
    assert matches(START, {"image": ["busybox"]})


def test_label_filter_with_and_without_value() -> None:
    assert matches(START, {"label": ["a"]})
    assert matches(START, {"label": ["a=1"]})
    assert not matches(START, {"label": ["a=2"]})


def test_subscribe_returns_history_and_receives_new_events() -> None:
    bus = EventBus()
    bus.publish(TAG)
    seen: list[Event] = []
    history = bus.subscribe(seen.append)
    bus.publish(START)
    bus.unsubscribe(seen.append)
    bus.publish(TAG)
    assert history == [TAG]
    assert seen == [START]
