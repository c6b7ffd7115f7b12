"""Containers on networks: the network service's :class:`ContainerHooks` and connect/disconnect.

Modes (``HostConfig.NetworkMode``): ``default``/``bridge`` and user network names attach the
container (from create to removal) and give it its own namespace at start; ``host`` shares
the host's; ``none`` gets a namespace with loopback only (runc makes it);
``container:<name|id>`` joins the namespace of that running container's init process.

At start (:meth:`NetworkHooks.prepare`) a bridge-mode container gets, in order: a netns at
``<exec-root>/netns/<id>``, one endpoint per attached network (address from IPAM, Docker's
MAC, default route via the first non-internal network), its published ports on the first
bridge endpoint, the embedded DNS server when a user network is attached, then /etc/hosts
(own address, ``--link`` aliases) and /etc/resolv.conf. Link variables go into the spec's env.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from ipaddress import IPv4Address
from pathlib import Path

from dockyard.apitypes.containers import ContainerView
from dockyard.apitypes.networking_config import EndpointSettings
from dockyard.daemon.containers.etcfiles import write_etc_files, write_resolv_conf
from dockyard.daemon.containers.hooks import StartExtras
from dockyard.daemon.containers.layout import ContainerLayout
from dockyard.daemon.containers.state import Status
from dockyard.daemon.containers.store import Container, ContainerStore
from dockyard.daemon.networks.links import link_env, parse_link
from dockyard.daemon.networks.ports import port_requests
from dockyard.daemon.networks.records import Attachment, NetworkRecord
from dockyard.daemon.networks.service import NetworkService
from dockyard.daemon.networks.view import network_view
from dockyard.errors import Conflict, Forbidden, InvalidParameter, NotFound

__all__ = ["NetworkHooks"]

log = logging.getLogger(__name__)
COMPOSE_SERVICE = "com.docker.compose.service"
_RUNNING = (Status.RUNNING, Status.PAUSED, Status.RESTARTING)


def _mode_network(mode: str) -> str | None:
    """The network a mode attaches to; None for ``container:`` (no network of its own)."""
    if mode.startswith("container:"):
        return None
    if mode in ("", "default"):
        return "bridge"
    return mode


def dns_names(c: Container, att: Attachment) -> list[str]:
    names = [c.name, c.id[:12], *att.aliases]
    service = (c.config.labels or {}).get(COMPOSE_SERVICE)
    if service:
        names.append(service)
    return list(dict.fromkeys(names))


class NetworkHooks:
    def __init__(
        self, service: NetworkService, containers: ContainerStore, layout: ContainerLayout
    ) -> None:
        self.service = service
        self.containers = containers
        self.layout = layout
        self.sandboxes = service.sandboxes

    # -- create / connect ---------------------------------------------------------------------

    def _attachment(
        self, c: Container, rec: NetworkRecord, settings: EndpointSettings | None
    ) -> Attachment:
        ip_text = ""
        if settings is not None and settings.ipam_config is not None:
            ip_text = settings.ipam_config.ipv4_address
        aliases = tuple(settings.aliases or ()) if settings is not None else ()
        if ip_text and not rec.user_defined:
            raise InvalidParameter(
                "user specified IP address is supported on user defined networks only"
            )
        if aliases and not rec.user_defined:
            raise InvalidParameter(
                "network-scoped alias is supported only for containers in user defined networks"
            )
        try:
            requested = IPv4Address(ip_text) if ip_text else None
        except ValueError as err:
            raise InvalidParameter(f"invalid IPv4 address: {ip_text}") from err
        if requested is not None and rec.subnet is not None and requested not in rec.subnet:
            raise InvalidParameter(
                f"requested address {requested} does not belong to subnet {rec.subnet}"
            )
        links = tuple(settings.links or ()) if settings is not None else ()
        return Attachment(c.id, rec.id, requested_ip=requested, aliases=aliases, links=links)

    def created(self, c: Container) -> None:
        mode = c.host_config.network_mode
        for link in c.host_config.links or ():
            spec = parse_link(link)
            try:
                self.containers.get(spec.name)
            except NotFound as err:
                raise NotFound(f"Could not get container for {spec.name}") from err
        endpoints = dict((c.networking.endpoints_config or {}).items())
        first = _mode_network(mode)
        if first is None:
            return
        wanted: list[tuple[str, EndpointSettings | None]] = [
            (first, endpoints.pop(first, None) or endpoints.pop("default", None))
        ]
        wanted += list(endpoints.items())
        seen: set[str] = set()
        for ref, settings in wanted:
            rec = self.service.get(ref)
            if rec.id in seen:
                continue
            seen.add(rec.id)
            self.service.store.attach(self._attachment(c, rec, settings))

    # -- start --------------------------------------------------------------------------------

    def prepare(self, c: Container, rootfs: Path) -> StartExtras:
        mode = c.host_config.network_mode
        if mode == "host":
            write_etc_files(self.layout, c)
            return StartExtras(network="host")
        if mode.startswith("container:"):
            return self._share(c, mode.partition(":")[2])
        atts = self.service.store.attachments(container_id=c.id)
        records = self.service.records()
        if not atts or all(records[a.network_id].driver == "null" for a in atts):
            write_etc_files(self.layout, c)
            return StartExtras(network="")
        self.sandboxes.create_netns(c.id)
        joined = self._join_all(c, atts, records)
        links, env = self._links(c)
        embedded = any(records[a.network_id].user_defined for a in joined)
        if embedded:
            self.sandboxes.start_dns(c.id)
        primary = next((a for a in joined if a.ip is not None), None)
        write_etc_files(
            self.layout, c, ip=str(primary.ip) if primary else None, links=links,
            embedded_dns=embedded,
        )  # fmt: skip
        return StartExtras(network=str(self.sandboxes.netns_path(c.id)), env=tuple(env))

    def _join_all(
        self, c: Container, atts: list[Attachment], records: dict[str, NetworkRecord]
    ) -> list[Attachment]:
        joined: list[Attachment] = []
        has_gateway = False
        for att in atts:
            rec = records[att.network_id]
            if rec.driver != "bridge":
                continue
            gateway = not has_gateway and not rec.internal
            has_gateway = has_gateway or gateway
            joined.append(
                self.sandboxes.join(c.id, c.name, att, rec, dns_names(c, att), gateway=gateway)
            )
        first = next((a for a in joined if not records[a.network_id].internal), None)
        requests = port_requests(c.host_config, c.config.exposed_ports)
        if first is not None and requests:
            self.sandboxes.publish(c.name, first, records[first.network_id], requests)
        return joined

    def _share(self, c: Container, ref: str) -> StartExtras:
        other = self.containers.get(ref)
        if other.state.status not in _RUNNING or not other.state.pid:
            raise Conflict(f"cannot join network of a non running container: {other.id}")
        for src, dst in (
            (self.layout.hosts_path(other.id), self.layout.hosts_path(c.id)),
            (self.layout.resolv_conf_path(other.id), self.layout.resolv_conf_path(c.id)),
        ):
            shutil.copyfile(src, dst)
        return StartExtras(network=f"/proc/{other.state.pid}/ns/net")

    def _links(self, c: Container) -> tuple[list[tuple[str, str, str]], list[str]]:
        hosts: list[tuple[str, str, str]] = []
        env: list[str] = []
        for link in c.host_config.links or ():
            spec = parse_link(link)
            other = self.containers.get(spec.name)
            if other.state.status not in _RUNNING:
                raise InvalidParameter(
                    f"Cannot link to a non running container: /{other.name} AS "
                    f"/{c.name}/{spec.alias}"
                )
            ips = [a.ip for a in self.service.store.attachments(container_id=other.id) if a.ip]
            if not ips:
                continue
            ip = str(ips[0])
            hosts.append((ip, spec.alias, other.name))
            env += link_env(
                c.name, spec.alias, ip, other.config.exposed_ports or (), other.config.env or ()
            )
        return hosts, env

    # -- stop / remove / view -------------------------------------------------------------------

    def stopped(self, c: Container) -> None:
        self.sandboxes.teardown(c.id, self.service.records())

    def removed(self, c: Container, volumes: bool) -> None:
        self.sandboxes.teardown(c.id, self.service.records())
        self.service.store.detach(c.id)

    def view(self, items: Sequence[tuple[Container, ContainerView]]) -> list[ContainerView]:
        records = self.service.records()
        if len(items) == 1:
            cid = items[0][0].id
            by_container = {cid: self.service.store.attachments(container_id=cid)}
        else:
            by_container = {}
            for att in self.service.store.attachments():
                by_container.setdefault(att.container_id, []).append(att)
        return [
            network_view(
                records, by_container.get(c.id, []), self.service.sandboxes.netns_path(c.id), c, v
            )
            for c, v in items
        ]

    # -- connect / disconnect (blocking; routes call these in a worker thread) ---------------

    def connect(self, net_ref: str, container_ref: str, settings: EndpointSettings | None) -> None:
        rec = self.service.get(net_ref)
        c = self.containers.get(container_ref)
        mode = c.host_config.network_mode
        if mode == "host" or mode.startswith("container:") or rec.driver in ("host", "null"):
            raise Forbidden(
                "container sharing network namespace with another container or host cannot be "
                "connected to any other network"
            )
        if self.service.store.attachments(container_id=c.id, network_id=rec.id):
            raise Forbidden(f"endpoint with name {c.name} already exists in network {rec.name}")
        att = self.service.store.attach(self._attachment(c, rec, settings))
        if c.state.status not in _RUNNING:
            return
        records = self.service.records()
        current = [a for a in self.service.store.attachments(container_id=c.id) if a.joined]
        has_gateway = any(not records[a.network_id].internal for a in current)
        try:
            self.sandboxes.join(c.id, c.name, att, rec, dns_names(c, att), gateway=not has_gateway)
            if rec.user_defined:
                self.sandboxes.start_dns(c.id)
                # As dockerd does: a container that now has the embedded DNS uses it.
                write_resolv_conf(self.layout, c, embedded_dns=True, in_place=True)
        except BaseException:
            self.service.store.detach(c.id, rec.id)
            raise

    def disconnect(self, net_ref: str, container_ref: str, force: bool) -> None:
        rec = self.service.get(net_ref)
        try:
            c = self.containers.get(container_ref)
        except NotFound:
            if not force:
                raise
            self.service.store.detach(container_ref, rec.id)
            return
        atts = self.service.store.attachments(container_id=c.id, network_id=rec.id)
        if not atts:
            raise Forbidden(f"container {c.id} is not connected to network {rec.name}")
        self.sandboxes.leave(c.id, atts[0], rec)
        self.service.store.detach(c.id, rec.id)
