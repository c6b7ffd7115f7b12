"""The /etc/hostname, /etc/hosts and /etc/resolv.conf a container gets.

They live in the container's data directory and are bind-mounted over the image's files,
as Docker does, so the image's own copies stay untouched in its layers. The network service
rewrites hosts and resolv.conf when it knows the container's address and DNS.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from dockyard.daemon.containers.layout import ContainerLayout
from dockyard.daemon.containers.store import Container
from dockyard.network.resolvconf import container_resolv_conf, hosts_file
from dockyard.util.atomic import atomic_write

__all__ = ["write_etc_files", "write_resolv_conf"]


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
    write_resolv_conf(layout, c, embedded_dns=embedded_dns)


def write_resolv_conf(
    layout: ContainerLayout, c: Container, *, embedded_dns: bool, in_place: bool = False
) -> None:
    """The container's resolv.conf; ``in_place`` for a running container, whose bind mount
    holds the file's inode: an atomic rename would leave the container reading the old one."""
    resolv = container_resolv_conf(
        _host_resolv_conf(),
        embedded_dns=embedded_dns,
        dns=c.host_config.dns or (),
        dns_search=c.host_config.dns_search or (),
        dns_options=c.host_config.dns_options or (),
    ).encode()
    path = layout.resolv_conf_path(c.id)
    if not in_place:
        atomic_write(path, resolv)
        return
    with path.open("r+b") as fh:
        fh.truncate(0)
        fh.write(resolv)
        fh.flush()
        os.fsync(fh.fileno())
