"""Networks and attachments in sqlite (tables ``networks`` and ``endpoints``, migration 4).

The IPAM state of a network (its :class:`~dockyard.network.ipam.Subnet`: every address
handed out) is a column of its row, and it changes in the same transaction as the
attachment that takes or gives back an address, so a crash never leaks or doubles one.
"""

from __future__ import annotations

import builtins
import functools
import json
import sqlite3
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from dockyard.daemon.networks.records import Attachment, NetworkRecord
from dockyard.errors import Conflict, NotFound
from dockyard.metadata.db import Database
from dockyard.network.base import PortMapping, mac_from_ip
from dockyard.network.ipam import AddressSpace, Subnet

__all__ = ["NetworkStore"]


def _net(text: str) -> IPv4Network | None:
    return IPv4Network(text) if text else None


def _addr(text: str) -> IPv4Address | None:
    return IPv4Address(text) if text else None


def _record(row: sqlite3.Row) -> NetworkRecord:
    return _record_of(tuple(row.keys()), tuple(row))


@functools.lru_cache(maxsize=1024)
def _record_of(keys: tuple[str, ...], values: tuple[Any, ...]) -> NetworkRecord:
    """Rows decode once: every container's view looks the networks up again."""
    row = dict(zip(keys, values, strict=True))
    return NetworkRecord(
        id=row["id"],
        name=row["name"],
        driver=row["driver"],
        created=float(row["created"]),
        subnet=_net(row["subnet"]),
        gateway=_addr(row["gateway"]),
        ip_range=_net(row["ip_range"]),
        bridge=row["bridge"],
        internal=bool(row["internal"]),
        attachable=bool(row["attachable"]),
        labels=json.loads(row["labels"]),
        options=json.loads(row["options"]),
    )


def _attachment(row: sqlite3.Row) -> Attachment:
    return _attachment_of(tuple(row.keys()), tuple(row))


@functools.lru_cache(maxsize=8192)
def _attachment_of(keys: tuple[str, ...], values: tuple[Any, ...]) -> Attachment:
    row = dict(zip(keys, values, strict=True))
    return Attachment(
        container_id=row["container_id"],
        network_id=row["network_id"],
        endpoint_id=row["endpoint_id"],
        ip=_addr(row["ip"]),
        mac=row["mac"],
        requested_ip=_addr(row["requested_ip"]),
        aliases=tuple(json.loads(row["aliases"])),
        links=tuple(json.loads(row["links"])),
        ports=tuple(
            PortMapping(proto, IPv4Address(hip), int(hport), IPv4Address(row["ip"]), int(cport))
            for proto, hip, hport, cport in json.loads(row["ports"])
            if row["ip"]
        ),
        position=int(row["position"]),
    )


def _s(value: object | None) -> str:
    return "" if value is None else str(value)


class NetworkStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- networks ---------------------------------------------------------------------------

    def add(self, rec: NetworkRecord, pool: Subnet | None) -> None:
        """Insert ``rec`` with its pool; Conflict (Docker's words) when the name is taken."""
        try:
            with self.db.transaction() as tx:
                tx.execute(
                    "INSERT INTO networks (id, name, driver, subnet, gateway, ip_range, bridge,"
                    " internal, attachable, labels, options, created, ipam)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        rec.id, rec.name, rec.driver, _s(rec.subnet), _s(rec.gateway),
                        _s(rec.ip_range), rec.bridge, int(rec.internal), int(rec.attachable),
                        json.dumps(rec.labels), json.dumps(rec.options), rec.created,
                        json.dumps(pool.to_dict()) if pool else "",
                    ),
                )  # fmt: skip
        except sqlite3.IntegrityError as err:
            raise Conflict(f"network with name {rec.name} already exists") from err

    def delete(self, network_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM endpoints WHERE network_id = ?", (network_id,))
            tx.execute("DELETE FROM networks WHERE id = ?", (network_id,))

    def list(self) -> list[NetworkRecord]:
        return [_record(r) for r in self.db.query("SELECT * FROM networks ORDER BY created")]

    def find(self, ref: str) -> NetworkRecord:
        """Docker's lookup: full id, exact name, then a unique id prefix."""
        rows = self.db.query("SELECT * FROM networks WHERE id = ? OR name = ?", (ref, ref))
        exact = [r for r in rows if r["id"] == ref] or [r for r in rows if r["name"] == ref]
        if exact:
            return _record(exact[0])
        if ref:
            prefixed = self.db.query(
                "SELECT * FROM networks WHERE substr(id, 1, ?) = ?", (len(ref), ref)
            )
            if len(prefixed) == 1:
                return _record(prefixed[0])
            if len(prefixed) > 1:
                raise NotFound(f"network {ref} is ambiguous ({len(prefixed)} matches found)")
        raise NotFound(f"network {ref} not found")

    def address_space(self) -> AddressSpace:
        rows = self.db.query("SELECT id, ipam FROM networks WHERE ipam != ''")
        return AddressSpace(tuple((r["id"], Subnet.from_dict(json.loads(r["ipam"]))) for r in rows))

    def pool(self, network_id: str) -> Subnet | None:
        row = self.db.query_one("SELECT ipam FROM networks WHERE id = ?", (network_id,))
        if row is None or not row["ipam"]:
            return None
        return Subnet.from_dict(json.loads(row["ipam"]))

    # -- attachments ------------------------------------------------------------------------

    def attachments(
        self, *, container_id: str | None = None, network_id: str | None = None
    ) -> builtins.list[Attachment]:
        where: list[str] = []
        args: list[str] = []
        if container_id is not None:
            where.append("container_id = ?")
            args.append(container_id)
        if network_id is not None:
            where.append("network_id = ?")
            args.append(network_id)
        sql = "SELECT * FROM endpoints"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.db.query(sql + " ORDER BY position, rowid", args)
        return [_attachment(r) for r in rows]

    def attach(self, att: Attachment) -> Attachment:
        """Record a new attachment (at the end of the container's list)."""
        with self.db.transaction() as tx:
            row = tx.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM endpoints WHERE container_id = ?",
                (att.container_id,),
            ).fetchone()
            position = int(row[0])
            try:
                tx.execute(
                    "INSERT INTO endpoints (container_id, network_id, requested_ip, aliases,"
                    " links, position) VALUES (?,?,?,?,?,?)",
                    (
                        att.container_id, att.network_id, _s(att.requested_ip),
                        json.dumps(list(att.aliases)), json.dumps(list(att.links)), position,
                    ),
                )  # fmt: skip
            except sqlite3.IntegrityError as err:
                raise Conflict(f"container {att.container_id} is already attached") from err
        return Attachment(
            att.container_id, att.network_id, requested_ip=att.requested_ip,
            aliases=att.aliases, links=att.links, position=position,
        )  # fmt: skip

    def detach(self, container_id: str, network_id: str | None = None) -> None:
        """Forget attachments (all of the container's when ``network_id`` is None)."""
        with self.db.transaction() as tx:
            if network_id is None:
                tx.execute("DELETE FROM endpoints WHERE container_id = ?", (container_id,))
            else:
                tx.execute(
                    "DELETE FROM endpoints WHERE container_id = ? AND network_id = ?",
                    (container_id, network_id),
                )

    def claim(
        self, att: Attachment, endpoint_id: str, requested: IPv4Address | None
    ) -> IPv4Address | None:
        """Mark ``att`` joined and take an address from its network's pool (``requested``
        or the lowest free one) in one transaction; None for a network without a pool.
        The MAC is Docker's, derived from the address."""
        with self.db.transaction() as tx:
            pool = self._pool_in(tx, att.network_id)
            ip: IPv4Address | None = None
            if pool is not None:
                pool, ip = pool.allocate(requested)
                self._save_pool(tx, att.network_id, pool)
            tx.execute(
                "UPDATE endpoints SET endpoint_id = ?, ip = ?, mac = ?"
                " WHERE container_id = ? AND network_id = ?",
                (
                    endpoint_id, _s(ip), mac_from_ip(ip) if ip else "",
                    att.container_id, att.network_id,
                ),
            )  # fmt: skip
        return ip

    def set_left(self, att: Attachment) -> None:
        """Clear the join and give the address back (no-op when not joined)."""
        with self.db.transaction() as tx:
            row = tx.execute(
                "SELECT ip FROM endpoints WHERE container_id = ? AND network_id = ?",
                (att.container_id, att.network_id),
            ).fetchone()
            if row is None:
                return
            pool = self._pool_in(tx, att.network_id)
            if pool is not None and row["ip"]:
                self._save_pool(tx, att.network_id, pool.release(IPv4Address(row["ip"])))
            tx.execute(
                "UPDATE endpoints SET endpoint_id = '', ip = '', mac = '', ports = '[]'"
                " WHERE container_id = ? AND network_id = ?",
                (att.container_id, att.network_id),
            )

    def set_ports(self, att: Attachment, ports: Iterable[PortMapping]) -> None:
        doc = [[p.proto, str(p.host_ip), p.host_port, p.container_port] for p in ports]
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE endpoints SET ports = ? WHERE container_id = ? AND network_id = ?",
                (json.dumps(doc), att.container_id, att.network_id),
            )

    def release_all(self, network_id: str, ips: Iterable[IPv4Address]) -> None:
        with self.db.transaction() as tx:
            pool = self._pool_in(tx, network_id)
            if pool is None:
                return
            for ip in ips:
                pool = pool.release(ip)
            self._save_pool(tx, network_id, pool)

    @staticmethod
    def _pool_in(tx: sqlite3.Connection, network_id: str) -> Subnet | None:
        row = tx.execute("SELECT ipam FROM networks WHERE id = ?", (network_id,)).fetchone()
        if row is None or not row["ipam"]:
            return None
        doc: dict[str, Any] = json.loads(row["ipam"])
        return Subnet.from_dict(doc)

    @staticmethod
    def _save_pool(tx: sqlite3.Connection, network_id: str, pool: Subnet) -> None:
        tx.execute(
            "UPDATE networks SET ipam = ? WHERE id = ?", (json.dumps(pool.to_dict()), network_id)
        )
