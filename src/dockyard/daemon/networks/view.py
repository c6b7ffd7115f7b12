"""A container's ``NetworkSettings`` (inspect) and ``Ports`` (ps), from its attachments.

Docker's shape: every attached network appears under ``Networks`` (addresses empty while
the container is not running); ``Ports`` lists exposed ports (``null`` when unpublished) and
each published binding; ``SandboxKey`` is the namespace path while it exists. Aliases and
DNS names appear only on user-defined networks, as in Docker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from dockyard.apitypes.containers import ContainerView, EndpointView, NetworkSettingsView, PortView
from dockyard.daemon.containers.store import Container
from dockyard.daemon.networks.records import Attachment, NetworkRecord

__all__ = ["network_view"]


def network_view(
    records: Mapping[str, NetworkRecord],
    attachments: Sequence[Attachment],
    netns: Path,
    c: Container,
    view: ContainerView,
) -> ContainerView:
    """``c``'s part of inspect/ps from its attachments (in their order) and the networks."""
    networks: dict[str, EndpointView] = {}
    published: list[PortView] = []
    joined = False
    for att in attachments:
        rec = records.get(att.network_id)
        if rec is None:
            continue
        joined = joined or att.joined
        user = rec.user_defined
        networks[rec.name] = EndpointView(
            network_id=rec.id,
            endpoint_id=att.endpoint_id,
            gateway=str(rec.gateway) if att.ip is not None and rec.gateway else "",
            ip_address=str(att.ip) if att.ip is not None else "",
            ip_prefix_len=rec.subnet.prefixlen if att.ip is not None and rec.subnet else 0,
            mac_address=att.mac,
            aliases=att.aliases if user else None,
            links=att.links or None,
            dns_names=(c.name, c.id[:12], *att.aliases) if user and att.joined else None,
        )
        published += [
            PortView(p.container_port, p.proto, str(p.host_ip), p.host_port) for p in att.ports
        ]
    ports = view.network.ports
    if published:
        bound = {(p.container_port, p.proto) for p in published}
        ports = (
            *(p for p in ports if (p.container_port, p.proto) not in bound),
            *published,
        )
    settings = NetworkSettingsView(
        sandbox_id=c.id if joined else "",
        sandbox_key=str(netns) if joined else "",
        ports=tuple(ports),
        networks=networks,
    )
    return dataclasses.replace(view, network=settings)
