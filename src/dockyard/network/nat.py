"""Dockyard's own nftables table: masquerade, published ports, isolation between networks.

Dockyard never touches another table (iptables-nft's, firewalld's, the admin's): everything
lives in ``table ip <name>`` (``dockyard`` by default; tests pass their own name)::

    table ip dockyard
      set bridges          names of every Dockyard bridge (isolation matches on it)
      chain prerouting     nat/dstnat:  fib daddr type local -> jump publish
      chain output         nat/dstnat:  same, so host-local clients (127.0.0.1 too) hit DNAT
      chain publish        one dnat rule per published port        [ep:<endpoint id>]
      chain postrouting    nat/srcnat:  masquerade subnet -> outside    [net:<network id>]
                           masquerade 127.0.0.0/8 -> bridge (localhost DNAT replies)
                           hairpin masquerade container -> itself   [ep:<endpoint id>]
      chain forward        filter:      bridge -> other Dockyard bridge: drop  [net:<id>]
                           internal network: drop what leaves its subnet

Each rule carries a comment ``dockyard <tag>``; removing a network or endpoint deletes exactly
the rules with its tag (looked up by handle), and :meth:`NatTable.reconcile` deletes the
tags nobody owns any more after a crash. Every change is one ``nft -f -`` transaction.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from dockyard.errors import InvalidParameter
from dockyard.network.base import PortMapping
from dockyard.util.proc import run

__all__ = [
    "NatTable",
    "Rule",
    "endpoint_tag",
    "network_rules",
    "network_tag",
    "port_rules",
    "resolver_redirect_script",
]

log = logging.getLogger(__name__)

Runner = Callable[[Sequence[str], bytes | None], bytes]

_SAFE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
_PREFIX = "dockyard "


def _nft(argv: Sequence[str], script: bytes | None) -> bytes:
    return run(["nft", *argv], input=script, timeout=30).stdout


def _safe(value: str, pattern: re.Pattern[str] = _SAFE) -> str:
    if not pattern.match(value):
        raise InvalidParameter(f"invalid name for a firewall rule: {value!r}")
    return value


def network_tag(network_id: str) -> str:
    return f"net:{_safe(network_id)}"


def endpoint_tag(endpoint_id: str) -> str:
    return f"ep:{_safe(endpoint_id)}"


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule of our table as listed: where it is, its handle, its tag ('' if untagged)."""

    chain: str
    handle: int
    tag: str


def _comment(tag: str) -> str:
    return f'comment "{_PREFIX}{tag}"'


def network_rules(
    table: str, network_id: str, bridge: str, subnet: IPv4Network, *, internal: bool
) -> list[str]:
    """The ``add rule`` lines for one bridge network (pure; golden-testable)."""
    br = _safe(bridge, _IFNAME)
    c = _comment(network_tag(network_id))
    t = f"ip {_safe(table)}"
    rules = [
        f'add rule {t} postrouting ip saddr 127.0.0.0/8 oifname "{br}" masquerade {c}',
        f'add rule {t} forward iifname "{br}" oifname @bridges oifname != "{br}" drop {c}',
    ]
    if internal:
        rules += [
            f'add rule {t} forward iifname "{br}" ip daddr != {subnet} drop {c}',
            f'add rule {t} forward oifname "{br}" ip saddr != {subnet} drop {c}',
        ]
    else:
        rules.append(f'add rule {t} postrouting ip saddr {subnet} oifname != "{br}" masquerade {c}')
    return rules


def port_rules(table: str, endpoint_id: str, mappings: Iterable[PortMapping]) -> list[str]:
    """DNAT (and hairpin masquerade) lines for one endpoint's published ports (pure)."""
    c = _comment(endpoint_tag(endpoint_id))
    t = f"ip {_safe(table)}"
    rules = []
    for m in mappings:
        match_ip = "" if m.host_ip.is_unspecified else f"ip daddr {m.host_ip} "
        rules.append(
            f"add rule {t} publish {match_ip}{m.proto} dport {m.host_port} "
            f"dnat to {m.container_ip}:{m.container_port} {c}"
        )
        rules.append(
            f"add rule {t} postrouting ip saddr {m.container_ip} ip daddr {m.container_ip} "
            f"{m.proto} dport {m.container_port} masquerade {c}"
        )
    return rules


def resolver_redirect_script(table: str, udp_port: int, tcp_port: int) -> str:
    """A container-netns table sending 127.0.0.11:53 to the embedded DNS server's ports."""
    t = f"ip {_safe(table)}"
    return "\n".join(
        [
            f"add table {t}",
            f"add chain {t} output {{ type nat hook output priority -100; policy accept; }}",
            f"flush chain {t} output",
            f"add rule {t} output ip daddr 127.0.0.11 udp dport 53 dnat to 127.0.0.11:{udp_port}",
            f"add rule {t} output ip daddr 127.0.0.11 tcp dport 53 dnat to 127.0.0.11:{tcp_port}",
            "",
        ]
    )


class NatTable:
    """Dockyard's table, created on first use; all methods are idempotent."""

    def __init__(self, name: str = "dockyard", runner: Runner = _nft) -> None:
        self.name = _safe(name)
        self._run = runner
        self._ready = False

    @property
    def _t(self) -> str:
        return f"ip {self.name}"

    def _apply(self, lines: Iterable[str]) -> None:
        script = "\n".join(lines) + "\n"
        log.debug("nft script:\n%s", script)
        self._run(["-f", "-"], script.encode())

    def _skeleton(self) -> list[str]:
        t = self._t
        return [
            f"add table {t}",
            f"add set {t} bridges {{ type ifname; }}",
            f"add chain {t} publish",
            f"add chain {t} prerouting {{ type nat hook prerouting priority dstnat; "
            "policy accept; }",
            f"add chain {t} output {{ type nat hook output priority -100; policy accept; }}",
            f"add chain {t} postrouting {{ type nat hook postrouting priority srcnat; "
            "policy accept; }",
            f"add chain {t} forward {{ type filter hook forward priority filter; policy accept; }}",
        ]

    def ensure(self, *, force: bool = False) -> None:
        """Create the table and its chains if missing (the jump rules exactly once).

        Checked once per object (the daemon is the table's only writer); ``force`` checks
        again, as the daemon does when it reconciles at start.
        """
        if self._ready and not force:
            return
        self._apply(self._skeleton())
        jumps = [r for r in self.rules() if r.tag == "jump"]
        if len(jumps) < 2:
            deletes = [f"delete rule {self._t} {r.chain} handle {r.handle}" for r in jumps]
            self._apply(
                [
                    *deletes,
                    *(
                        f"add rule {self._t} {chain} fib daddr type local jump publish "
                        f"{_comment('jump')}"
                        for chain in ("prerouting", "output")
                    ),
                ]
            )
        self._ready = True

    def exists(self) -> bool:
        out = self._run(["-j", "list", "tables"], None)
        tables = json.loads(out or b"{}").get("nftables", [])
        return any(
            item.get("table", {}).get("name") == self.name and item["table"].get("family") == "ip"
            for item in tables
        )

    def delete(self) -> None:
        """Drop the whole table (tests; ``dockyardd --reset``); absent is fine."""
        self._ready = False
        if self.exists():
            self._apply([f"delete table {self._t}"])

    def rules(self) -> list[Rule]:
        """Every rule of the table (none when the table does not exist)."""
        if not self.exists():
            return []
        out = self._run(["-j", "list", "table", "ip", self.name], None)
        items: list[dict[str, Any]] = json.loads(out).get("nftables", [])
        found = []
        for item in items:
            rule = item.get("rule")
            if rule is None:
                continue
            comment = str(rule.get("comment", ""))
            tag = comment[len(_PREFIX) :] if comment.startswith(_PREFIX) else ""
            found.append(Rule(str(rule["chain"]), int(rule["handle"]), tag))
        return found

    def _replace(self, tag: str, lines: list[str], extra: Iterable[str] = ()) -> None:
        deletes = [
            f"delete rule {self._t} {r.chain} handle {r.handle}"
            for r in self.rules()
            if r.tag == tag
        ]
        self._apply([*deletes, *extra, *lines])

    def add_network(
        self, network_id: str, bridge: str, subnet: IPv4Network, *, internal: bool = False
    ) -> None:
        """Masquerade and isolation for a bridge network (replaces earlier rules)."""
        self.ensure()
        br = _safe(bridge, _IFNAME)
        self._replace(
            network_tag(network_id),
            network_rules(self.name, network_id, br, subnet, internal=internal),
            [f'add element {self._t} bridges {{ "{br}" }}'],
        )

    def remove_network(self, network_id: str, bridge: str) -> None:
        if not self.exists():
            return
        br = _safe(bridge, _IFNAME)
        # "add" first makes the "delete" of the element safe when it is already gone.
        self._replace(
            network_tag(network_id),
            [],
            [
                f'add element {self._t} bridges {{ "{br}" }}',
                f'delete element {self._t} bridges {{ "{br}" }}',
            ],
        )

    def add_ports(self, endpoint_id: str, mappings: Sequence[PortMapping]) -> None:
        self.ensure()
        self._replace(endpoint_tag(endpoint_id), port_rules(self.name, endpoint_id, mappings))

    def remove_ports(self, endpoint_id: str) -> None:
        if self.exists():
            self._replace(endpoint_tag(endpoint_id), [])

    def bridges(self) -> set[str]:
        out = self._run(["-j", "list", "set", "ip", self.name, "bridges"], None)
        for item in json.loads(out).get("nftables", []):
            if "set" in item:
                return {str(e) for e in item["set"].get("elem", [])}
        return set()

    def reconcile(self, keep_tags: set[str], keep_bridges: set[str]) -> list[Rule]:
        """Delete tagged rules and bridge entries nobody owns (after a crash); returns the
        removed rules. Untagged rules and the jump rules stay."""
        if not self.exists():
            return []
        orphans = [r for r in self.rules() if r.tag and r.tag != "jump" and r.tag not in keep_tags]
        stale = sorted(self.bridges() - keep_bridges)
        lines = [f"delete rule {self._t} {r.chain} handle {r.handle}" for r in orphans]
        lines += [f'delete element {self._t} bridges {{ "{_safe(b, _IFNAME)}" }}' for b in stale]
        if lines:
            self._apply(lines)
            log.info("nft reconcile removed %d rules, %d bridges", len(orphans), len(stale))
        return orphans


def host_address(ip: str) -> IPv4Address:
    """Parse a ``-p`` host address for NAT; only IPv4 is programmed here."""
    try:
        return IPv4Address(ip or "0.0.0.0")
    except ValueError as err:
        raise InvalidParameter(f"invalid host IP {ip!r} for a published port") from err
