"""The names the embedded DNS answers: per network, and per container which networks it sees.

A container resolves only names on networks it is attached to (Docker's scoping: two
containers on different user networks cannot find each other). Lookups run on the event
loop, so they only take a short in-memory lock; joins and leaves run in worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from ipaddress import IPv4Address

from dockyard.network.dns import NameTable

__all__ = ["NameRegistry"]


class NameRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, NameTable] = {}
        self._seen_by: dict[str, set[str]] = {}  # container id -> network ids
        self._names: dict[tuple[str, str], tuple[tuple[str, ...], IPv4Address]] = {}

    def add(
        self, container_id: str, network_id: str, names: Iterable[str], ip: IPv4Address
    ) -> None:
        key = (container_id, network_id)
        wanted = tuple(dict.fromkeys(n for n in names if n))
        with self._lock:
            table = self._tables.setdefault(network_id, NameTable())
            self._seen_by.setdefault(container_id, set()).add(network_id)
            self._names[key] = (wanted, ip)
        for name in wanted:
            table.add(name, ip)

    def remove(self, container_id: str, network_id: str) -> None:
        with self._lock:
            entry = self._names.pop((container_id, network_id), None)
            seen = self._seen_by.get(container_id)
            if seen is not None:
                seen.discard(network_id)
                if not seen:
                    del self._seen_by[container_id]
            table = self._tables.get(network_id)
        if entry is not None and table is not None:
            for name in entry[0]:
                table.remove(name, entry[1])

    def lookup(self, container_id: str, name: str) -> list[IPv4Address]:
        """Addresses of ``name`` on the networks ``container_id`` is attached to."""
        with self._lock:
            tables = [
                self._tables[n] for n in self._seen_by.get(container_id, ()) if n in self._tables
            ]
        found: list[IPv4Address] = []
        for table in tables:
            for ip in table.lookup(name):
                if ip not in found:
                    found.append(ip)
        return found

    def forget_network(self, network_id: str) -> None:
        with self._lock:
            self._tables.pop(network_id, None)
