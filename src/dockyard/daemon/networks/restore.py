"""The network service at daemon start: kernel objects first, then running containers again.

Containers keep running under the monitor while the daemon is down, and their namespaces,
veths and DNAT rules stay in the kernel; what died with the daemon is held only in its
memory: the host-port sockets, the embedded DNS servers, the userland proxies, the DNS
names. :func:`open_kernel` runs before the container service reconciles exits (which tears
down containers that died meanwhile); :func:`restore_running` runs after it, re-holds the
ports recorded for each running container, restarts its DNS server, and then deletes the
nft rules nobody owns any more.
"""

from __future__ import annotations

import logging

from dockyard.daemon.containers.state import Status
from dockyard.daemon.containers.store import ContainerStore
from dockyard.daemon.networks.attach import dns_names
from dockyard.daemon.networks.service import NetworkService
from dockyard.errors import DockyardError
from dockyard.network.bridge import enable_ip_forward
from dockyard.network.nat import NatTable, endpoint_tag, network_tag

__all__ = ["open_kernel", "restore_running"]

log = logging.getLogger(__name__)
_LIVE = (Status.RUNNING, Status.PAUSED)


def open_kernel(service: NetworkService, nat: NatTable | None, *, ip_forward: bool) -> None:
    if nat is not None:
        nat.ensure(force=True)
    if ip_forward:
        enable_ip_forward()
    service.ensure_builtin()
    service.create_kernel_objects()


def restore_running(
    service: NetworkService, containers: ContainerStore, nat: NatTable | None
) -> None:
    records = service.records()
    sandboxes = service.sandboxes
    keep_tags = {network_tag(r.id) for r in records.values() if r.driver == "bridge"}
    for c in containers.list():
        atts = [a for a in service.store.attachments(container_id=c.id) if a.joined]
        if not atts:
            continue
        if c.state.status not in _LIVE:
            sandboxes.teardown(c.id, records)
            continue
        user = False
        for att in atts:
            rec = records.get(att.network_id)
            if rec is None:
                continue
            sandboxes.ifname(c.id, rec.id)
            if att.ip is not None and rec.user_defined:
                service.names.add(c.id, rec.id, dns_names(c, att), att.ip)
                user = True
            try:
                sandboxes.republish(att, rec)
            except DockyardError as err:
                log.warning("re-publishing ports of %s failed: %s", c.name, err)
            if att.ports:
                keep_tags.add(endpoint_tag(att.endpoint_id))
        if user:
            try:
                sandboxes.start_dns(c.id)
            except (DockyardError, OSError) as err:
                log.warning("restarting the DNS server of %s failed: %s", c.name, err)
    if nat is not None:
        bridges = {r.bridge for r in records.values() if r.driver == "bridge"}
        nat.reconcile(keep_tags, bridges)
