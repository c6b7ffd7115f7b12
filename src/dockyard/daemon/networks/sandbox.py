"""A running container's network state: its netns, joined endpoints, ports and DNS server.

Layout (exec root, gone at reboot, kept across daemon restarts)::

    <exec-root>/netns/<container id>    bind mount holding the container's namespace

Blocking methods run in worker threads; the embedded DNS servers and userland proxies live
on the daemon's event loop (``loop``, set when the service opens), reached with
``run_coroutine_threadsafe``. Everything here is idempotent and undone by :meth:`teardown`,
which also works after a crash (names and tags come from the container and endpoint ids).

The default route goes via the first non-internal network's gateway: later bridge joins are
handed to the driver as internal (no route of their own), since a namespace has one default.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from dockyard.daemon.networks.names import NameRegistry
from dockyard.daemon.networks.ports import PortRequest
from dockyard.daemon.networks.records import Attachment, NetworkRecord
from dockyard.daemon.networks.store import NetworkStore
from dockyard.errors import DockyardError
from dockyard.events.bus import EventBus
from dockyard.network.base import Endpoint, NetworkDriver, PortBinding, PortMapping
from dockyard.network.bridge import BridgeDriver
from dockyard.network.dns import EmbeddedDns, Resolver, start_in_netns
from dockyard.network.netns import create_netns, delete_netns
from dockyard.network.proxy import PortAllocated, UserlandProxy, reserve_port
from dockyard.util.ids import random_id

__all__ = ["Sandboxes"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_LOOP_WAIT = 30.0


def _resolve_range(req: PortRequest) -> int:
    """A free host port of ``req``'s range (0 for an ephemeral one)."""
    if req.first == req.last:
        return req.first
    for port in range(req.first, req.last + 1):
        try:
            reserve_port(req.proto, req.host_ip, port).close()
        except DockyardError:
            continue
        return port
    raise PortAllocated(
        f"Bind for {req.host_ip}:{req.first}-{req.last} failed: port is already allocated"
    )


class Sandboxes:
    def __init__(
        self,
        store: NetworkStore,
        drivers: dict[str, NetworkDriver],
        names: NameRegistry,
        events: EventBus,
        netns_dir: Path,
        upstreams: Callable[[], Sequence[tuple[str, int]]],
        *,
        userland_proxy: bool = False,
    ) -> None:
        self.store = store
        self.drivers = drivers
        self.names = names
        self.events = events
        self.netns_dir = netns_dir
        self.upstreams = upstreams
        self.userland_proxy = userland_proxy
        self.loop: asyncio.AbstractEventLoop | None = None
        self._dns: dict[str, EmbeddedDns] = {}
        self._proxies: dict[str, list[UserlandProxy]] = {}
        self._ifnames: dict[str, dict[str, str]] = {}

    def netns_path(self, cid: str) -> Path:
        return self.netns_dir / cid

    def _on_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(_LOOP_WAIT)

    # -- namespace ----------------------------------------------------------------------------

    def create_netns(self, cid: str) -> Path:
        path = self.netns_path(cid)
        delete_netns(path)  # a stale one from a crash
        return create_netns(path)

    # -- endpoints ----------------------------------------------------------------------------

    def ifname(self, cid: str, network_id: str) -> str:
        """The interface name of the container on the network (eth0, eth1, ... by join)."""
        taken = self._ifnames.setdefault(cid, {})
        if network_id not in taken:
            used = set(taken.values())
            taken[network_id] = next(
                f"eth{i}" for i in range(len(used) + 1) if f"eth{i}" not in used
            )
        return taken[network_id]

    def _endpoint(self, att: Attachment, cid: str) -> Endpoint:
        return Endpoint(
            id=att.endpoint_id, network_id=att.network_id, ip=att.ip, mac=att.mac,
            ifname=self.ifname(cid, att.network_id), aliases=att.aliases,
        )  # fmt: skip

    def join(
        self,
        cid: str,
        name: str,
        att: Attachment,
        rec: NetworkRecord,
        dns_names: Sequence[str],
        *,
        gateway: bool,
    ) -> Attachment:
        """Take an address and plug the container's namespace into ``rec``; the route goes
        via this network only when ``gateway``."""
        driver = self.drivers[rec.driver]
        ep_id = random_id()
        ip = self.store.claim(att, ep_id, att.requested_ip)
        joined = next(a for a in self.store.attachments(container_id=cid, network_id=rec.id))
        view = rec.driver_view()
        if not gateway:
            view = dataclasses.replace(view, internal=True)
        try:
            driver.join(view, self._endpoint(joined, cid), self.netns_path(cid))
        except BaseException:
            self.store.set_left(att)
            self._ifnames.get(cid, {}).pop(rec.id, None)
            raise
        if ip is not None and rec.user_defined:
            self.names.add(cid, rec.id, dns_names, ip)
        self.events.emit(
            "network", "connect", rec.id, container=cid, name=rec.name, type=rec.driver
        )
        log.debug("container %s joined %s as %s", name, rec.name, ip)
        return joined

    def leave(self, cid: str, att: Attachment, rec: NetworkRecord) -> None:
        self.names.remove(cid, rec.id)
        if att.joined:
            with contextlib.suppress(DockyardError, OSError):
                self.drivers[rec.driver].leave(rec.driver_view(), self._endpoint(att, cid))
            self.store.set_left(att)
            self.events.emit(
                "network", "disconnect", rec.id, container=cid, name=rec.name, type=rec.driver
            )
        self._ifnames.get(cid, {}).pop(rec.id, None)

    # -- ports ----------------------------------------------------------------------------------

    def publish(
        self, cname: str, att: Attachment, rec: NetworkRecord, requests: Sequence[PortRequest]
    ) -> list[PortMapping]:
        """Hold the host ports and DNAT them to the endpoint (all or nothing)."""
        if not requests or att.ip is None:
            return []
        driver = self.drivers[rec.driver]
        ep = self._endpoint(att, att.container_id)
        try:
            bindings = [
                PortBinding(r.container_port, r.proto, r.host_ip, _resolve_range(r))
                for r in requests
            ]
            mappings = driver.publish(rec.driver_view(), ep, bindings)
        except DockyardError as err:
            raise DockyardError(
                f"driver failed programming external connectivity on endpoint {cname} "
                f"({att.endpoint_id}): {err.message}"
            ) from err
        self.store.set_ports(att, mappings)
        self._start_proxies(att, driver, mappings)
        return mappings

    def republish(self, att: Attachment, rec: NetworkRecord) -> None:
        """Hold the ports recorded for ``att`` again (after a daemon restart)."""
        if not att.ports:
            return
        driver = self.drivers[rec.driver]
        bindings = [
            PortBinding(p.container_port, p.proto, p.host_ip, p.host_port) for p in att.ports
        ]
        mappings = driver.publish(
            rec.driver_view(), self._endpoint(att, att.container_id), bindings
        )
        self._start_proxies(att, driver, mappings)

    def _start_proxies(
        self, att: Attachment, driver: NetworkDriver, mappings: Sequence[PortMapping]
    ) -> None:
        if not self.userland_proxy or self.loop is None or not isinstance(driver, BridgeDriver):
            return
        for m in mappings:
            sock = driver.listener(att.endpoint_id, m)
            if sock is None:
                continue
            proxy = UserlandProxy(m.proto, sock, m.container_ip, m.container_port)
            self._on_loop(proxy.start())
            self._proxies.setdefault(att.container_id, []).append(proxy)

    # -- DNS -----------------------------------------------------------------------------------

    def start_dns(self, cid: str) -> None:
        """Serve 127.0.0.11 in the container's namespace (once; no-op without a loop)."""
        if self.loop is None or cid in self._dns:
            return
        resolver = Resolver(lambda name: self.names.lookup(cid, name), self.upstreams())
        self._dns[cid] = self._on_loop(start_in_netns(self.netns_path(cid), resolver))

    # -- teardown ------------------------------------------------------------------------------

    def stop_servers(self, cid: str) -> None:
        server = self._dns.pop(cid, None)
        proxies = self._proxies.pop(cid, [])
        if self.loop is None:
            return
        closers = [p.close for p in proxies] + ([server.close] if server else [])
        for close in closers:
            try:
                self._on_loop(close())
            except (OSError, RuntimeError, TimeoutError) as err:
                log.debug("closing a server of %s: %s", cid[:12], err)

    def teardown(self, cid: str, records: dict[str, NetworkRecord]) -> None:
        """Leave every network, release ports and addresses, delete the namespace."""
        self.stop_servers(cid)
        for att in self.store.attachments(container_id=cid):
            rec = records.get(att.network_id)
            if rec is not None:
                self.leave(cid, att, rec)
        self._ifnames.pop(cid, None)
        delete_netns(self.netns_path(cid))
