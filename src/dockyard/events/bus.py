"""Engine events: publish from anywhere (any thread), subscribe with filters.

The bus keeps the last :data:`HISTORY` events so that ``GET /events?since=`` can replay
them, as Docker does. Subscribers are plain callables, called in the publishing thread; the
API layer turns them into asyncio queues.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["Event", "EventBus", "matches"]

HISTORY = 1024


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    action: str
    actor_id: str
    attributes: dict[str, str] = field(default_factory=dict)
    scope: str = "local"
    time_nano: int = field(default_factory=time.time_ns)


Subscriber = Callable[[Event], None]

# Filter keys that match on the actor of an event of a given type.
_ACTOR_FILTERS = {
    "container": "container",
    "image": "image",
    "network": "network",
    "volume": "volume",
    "daemon": "daemon",
    "plugin": "plugin",
    "node": "node",
    "service": "service",
    "secret": "secret",
    "config": "config",
}


def _actor_matches(event: Event, values: Iterable[str]) -> bool:
    name = event.attributes.get("name", "")
    image = event.attributes.get("image", "")
    for value in values:
        if value in (event.actor_id, name) or (value and event.actor_id.startswith(value)):
            return True
        if event.type == "image" and value == image:
            return True
    return False


def matches(event: Event, filters: Mapping[str, list[str]]) -> bool:
    """Docker's semantics: values of one key are OR-ed, different keys AND-ed."""
    for key, values in filters.items():
        if not values:
            continue
        if key == "type":
            ok = event.type in values
        elif key == "event":
            ok = event.action in values or event.action.split(":", 1)[0] in values
        elif key == "scope":
            ok = event.scope in values
        elif key == "label":
            ok = any(_label_matches(event.attributes, v) for v in values)
        elif key == "image" and event.type == "container":
            ok = event.attributes.get("image", "") in values
        elif key in _ACTOR_FILTERS:
            ok = event.type == _ACTOR_FILTERS[key] and _actor_matches(event, values)
        else:
            ok = False
        if not ok:
            return False
    return True


def _label_matches(attributes: Mapping[str, str], spec: str) -> bool:
    key, sep, value = spec.partition("=")
    if key not in attributes:
        return False
    return not sep or attributes[key] == value


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._history: collections.deque[Event] = collections.deque(maxlen=HISTORY)
        self._subscribers: set[Subscriber] = set()

    def publish(self, event: Event) -> None:
        with self._lock:
            self._history.append(event)
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber(event)

    def emit(self, type_: str, action: str, actor_id: str, **attributes: str) -> Event:
        event = Event(type=type_, action=action, actor_id=actor_id, attributes=attributes)
        self.publish(event)
        return event

    def subscribe(self, subscriber: Subscriber) -> list[Event]:
        """Register and return the history, atomically (no event is missed or doubled)."""
        with self._lock:
            self._subscribers.add(subscriber)
            return list(self._history)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    @property
    def listeners(self) -> int:
        with self._lock:
            return len(self._subscribers)
