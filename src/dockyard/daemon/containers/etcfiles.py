"""The /etc/hostname, /etc/hosts and /etc/resolv.conf a container gets.

They live in the container's data directory and are bind-mounted over the image's files,
as Docker does, so the image's own copies stay untouched in its layers. The network service
rewrites hosts and resolv.conf when it knows the container's address and DNS.
"""

from __future__ import annotations

from collections.abc import Iterable

from dockyard.daemon.containers.layout import ContainerLayout
from dockyard.daemon.containers.store import Container
from dockyard.network.resolvconf import container_resolv_conf, hosts_file
from dockyard.util.atomic import atomic_write

__all__ = ["write_etc_files"]


def _host_resolv_conf() -> str:
    try:
        with open("/etc/resolv.conf") as fh:
            return fh.read()
    except OSError:
        return ""


def write_etc_files(
    layout: ContainerLayout,
    c: Container,
    *,
    ip: str | None = None,
    links: Iterable[tuple[str, str, str]] = (),
    embedded_dns: bool = False,
) -> None:
    atomic_write(layout.hostname_path(c.id), f"{c.config.hostname}\n".encode())
    hosts = hosts_file(
        hostname=c.config.hostname,
        ip=ip,
        domainname=c.config.domainname,
        extra_hosts=c.host_config.extra_hosts or (),
        links=links,
    )
    atomic_write(layout.hosts_path(c.id), hosts.encode())
    resolv = container_resolv_conf(
        _host_resolv_conf(),
        embedded_dns=embedded_dns,
        dns=c.host_config.dns or (),
        dns_search=c.host_config.dns_search or (),
        dns_options=c.host_config.dns_options or (),
    )
    atomic_write(layout.resolv_conf_path(c.id), resolv.encode())
