"""Parsed image configs by image id, read from the content store once.

Configs are immutable (the id is their digest), so a parsed one never goes stale; the
cache only bounds memory. ``GET /images/json`` reads every image's labels and creation time
from here instead of re-parsing JSON blobs per request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from dockyard.content.base import ContentStore
from dockyard.oci.digest import Digest
from dockyard.oci.image import ImageConfig

__all__ = ["ConfigCache"]


class ConfigCache:
    def __init__(self, content: ContentStore, capacity: int = 4096) -> None:
        self._content = content
        self._capacity = capacity
        self._lock = threading.Lock()
        self._items: OrderedDict[str, ImageConfig] = OrderedDict()

    def get(self, image_id: Digest) -> ImageConfig:
        """The config blob ``image_id``; NotFound from the content store when it is gone."""
        with self._lock:
            config = self._items.get(image_id)
            if config is not None:
                self._items.move_to_end(image_id)
                return config
        with self._content.open(image_id) as fh:
            config = ImageConfig.from_bytes(fh.read())
        with self._lock:
            self._items[image_id] = config
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return config
