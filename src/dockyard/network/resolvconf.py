"""A container's ``/etc/resolv.conf`` and ``/etc/hosts``, derived as Docker derives them.

Pure functions over text: the daemon reads the host's file, calls these and writes the result
into ``containers/<id>/``.

resolv.conf: on the default bridge the container gets the host's nameservers minus loopback
ones (a 127.x resolver on the host is unreachable from another namespace); when none is left,
Google's 8.8.8.8 and 8.8.4.4. On user-defined networks it gets ``nameserver 127.0.0.11`` (the
embedded DNS server, which forwards to the host's resolvers) and ``options ndots:0``. Explicit
``--dns``/``--dns-search``/``--dns-option`` replace the corresponding host lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address

__all__ = [
    "DEFAULT_NAMESERVERS",
    "EMBEDDED_DNS",
    "HostEntry",
    "ResolvConf",
    "container_resolv_conf",
    "hosts_file",
    "parse_resolv_conf",
    "upstream_nameservers",
]

DEFAULT_NAMESERVERS = ("8.8.8.8", "8.8.4.4")
EMBEDDED_DNS = "127.0.0.11"


@dataclass(frozen=True, slots=True)
class ResolvConf:
    nameservers: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    def render(self) -> str:
        lines = [f"nameserver {ns}" for ns in self.nameservers]
        if self.search:
            lines.append("search " + " ".join(self.search))
        if self.options:
            lines.append("options " + " ".join(self.options))
        return "\n".join(lines) + "\n"


def parse_resolv_conf(text: str) -> ResolvConf:
    """Nameservers, the last search/domain line, and every option, in file order."""
    nameservers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        fields = line.split()
        if not fields:
            continue
        key, args = fields[0], fields[1:]
        if key == "nameserver" and args:
            nameservers.append(args[0])
        elif key in ("search", "domain"):
            search = args
        elif key == "options":
            options.extend(args)
    return ResolvConf(tuple(nameservers), tuple(search), tuple(options))


def _is_loopback(ns: str) -> bool:
    try:
        return ip_address(ns.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def container_resolv_conf(
    host_text: str,
    *,
    embedded_dns: bool = False,
    dns: Sequence[str] = (),
    dns_search: Sequence[str] = (),
    dns_options: Sequence[str] = (),
    ipv6: bool = False,
) -> str:
    """The container's resolv.conf text from the host's (see the module docstring)."""
    host = parse_resolv_conf(host_text)
    search = tuple(dns_search) or host.search
    if search == (".",):
        search = ()
    options = tuple(dns_options) or host.options
    if embedded_dns:
        if not any(o.startswith("ndots:") for o in options):
            options = (*options, "ndots:0")
        return ResolvConf((EMBEDDED_DNS,), search, options).render()
    servers = tuple(dns) or tuple(
        ns for ns in host.nameservers if not _is_loopback(ns) and (ipv6 or ":" not in ns)
    )
    if not servers:
        servers = DEFAULT_NAMESERVERS
        if ipv6:
            servers = (*servers, "2001:4860:4860::8888", "2001:4860:4860::8844")
    return ResolvConf(servers, search, options).render()


def upstream_nameservers(host_text: str) -> list[str]:
    """Where the embedded DNS server forwards: the host's nameservers as listed.

    Loopback ones are kept: the server forwards from the daemon's (host) namespace, where a
    127.0.0.53 stub is reachable. Only when the host lists none do Docker's defaults apply.
    """
    found = list(parse_resolv_conf(host_text).nameservers)
    return found or list(DEFAULT_NAMESERVERS)


@dataclass(frozen=True, slots=True)
class HostEntry:
    """One ``/etc/hosts`` line: ``address`` then its names."""

    address: str
    names: tuple[str, ...]

    def render(self) -> str:
        return f"{self.address}\t{' '.join(self.names)}"


_DEFAULT_HOSTS = (
    HostEntry("127.0.0.1", ("localhost",)),
    HostEntry("::1", ("localhost", "ip6-localhost", "ip6-loopback")),
    HostEntry("fe00::0", ("ip6-localnet",)),
    HostEntry("ff00::0", ("ip6-mcastprefix",)),
    HostEntry("ff02::1", ("ip6-allnodes",)),
    HostEntry("ff02::2", ("ip6-allrouters",)),
)


def hosts_file(
    *,
    hostname: str,
    ip: str | None,
    domainname: str = "",
    extra_hosts: Iterable[str] = (),
    links: Iterable[tuple[str, str, str]] = (),
) -> str:
    """Docker's /etc/hosts: localhost lines, ``--add-host`` entries (``name:ip`` or
    ``name=ip``), ``--link`` entries (``(ip, alias, container name)``), then the container's
    own address with its hostname (none on ``--network none``/``host``)."""
    entries = list(_DEFAULT_HOSTS)
    for spec in extra_hosts:
        sep = "=" if "=" in spec else ":"
        name, _, addr = spec.partition(sep)
        entries.append(HostEntry(addr.strip("[]"), (name,)))
    for link_ip, alias, name in links:
        names = (alias,) if alias == name else (alias, name)
        entries.append(HostEntry(link_ip, names))
    if ip:
        names = (f"{hostname}.{domainname}", hostname) if domainname else (hostname,)
        entries.append(HostEntry(ip, names))
    return "\n".join(e.render() for e in entries) + "\n"
