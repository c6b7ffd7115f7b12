"""The DNS codec and the resolver logic (no sockets except a loopback fake upstream)."""

from __future__ import annotations

import asyncio
import struct
from ipaddress import IPv4Address
from typing import cast

import pytest

from dockyard.network import dns_message as dm
from dockyard.network.dns import NameTable, Resolver


def test_query_round_trips() -> None:
    msg = dm.parse_message(dm.encode_query(0x1234, "Web.Example.", dm.TYPE_A))
    assert msg.id == 0x1234
    assert msg.recursion_desired
    assert msg.questions == (dm.Question("web.example", dm.TYPE_A, dm.CLASS_IN),)


def test_response_carries_a_records_for_the_question() -> None:
    query = dm.parse_message(dm.encode_query(7, "web"))
    reply = dm.parse_message(
        dm.encode_response(query, addresses=(IPv4Address("172.30.0.2"),), ttl=600)
    )
    assert reply.is_response and reply.rcode == dm.NOERROR and reply.id == 7
    assert [(a.name, a.ttl, a.address) for a in reply.answers] == [
        ("web", 600, IPv4Address("172.30.0.2"))
    ]


def test_response_echoes_rd_and_sets_rcode() -> None:
    query = dm.parse_message(dm.encode_query(7, "web"))
    reply = dm.parse_message(dm.encode_response(query, rcode=dm.NXDOMAIN))
    assert reply.rcode == dm.NXDOMAIN and reply.recursion_desired


def test_compression_pointer_is_followed() -> None:
    header = struct.pack(">HHHHHH", 1, 0, 2, 0, 0, 0)
    first = b"\x03web\x07example\x00" + struct.pack(">HH", 1, 1)
    second = b"\x03www\xc0\x10" + struct.pack(">HH", 1, 1)  # www + pointer to "example"
    msg = dm.parse_message(header + first + second)
    assert [q.name for q in msg.questions] == ["web.example", "www.example"]


def test_pointer_loop_is_a_format_error() -> None:
    data = struct.pack(">HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c" + struct.pack(">HH", 1, 1)
    with pytest.raises(dm.DnsFormatError, match="loop"):
        dm.parse_message(data)


def test_truncated_question_is_a_format_error() -> None:
    with pytest.raises(dm.DnsFormatError):
        dm.parse_message(dm.encode_query(1, "web")[:-3])


def test_short_header_is_a_format_error() -> None:
    with pytest.raises(dm.DnsFormatError):
        dm.parse_message(b"\x00\x01")


def test_error_response_echoes_the_id() -> None:
    reply = dm.error_response(b"\xab\xcd\xff", dm.FORMERR)
    assert reply is not None
    msg = dm.parse_message(reply)
    assert (msg.id, msg.rcode) == (0xABCD, dm.FORMERR)


def _table() -> NameTable:
    table = NameTable()
    table.add("web", IPv4Address("172.30.0.2"))
    table.add("web-alias", IPv4Address("172.30.0.2"))
    return table


async def test_resolver_answers_known_name() -> None:
    resolver = Resolver(_table().lookup, [])
    reply = await resolver.answer(dm.encode_query(3, "WEB."))
    assert reply is not None
    assert [a.address for a in dm.parse_message(reply).answers] == [IPv4Address("172.30.0.2")]


async def test_resolver_answers_aaaa_for_known_name_with_empty_noerror() -> None:
    resolver = Resolver(_table().lookup, [])
    reply = await resolver.answer(dm.encode_query(3, "web", dm.TYPE_AAAA))
    assert reply is not None
    msg = dm.parse_message(reply)
    assert (msg.rcode, msg.answers) == (dm.NOERROR, ())


async def test_resolver_servfail_when_no_upstream_answers() -> None:
    resolver = Resolver(_table().lookup, [])
    reply = await resolver.answer(dm.encode_query(3, "elsewhere.test"))
    assert reply is not None
    assert dm.parse_message(reply).rcode == dm.SERVFAIL


async def test_resolver_answers_formerr_to_garbage() -> None:
    reply = await Resolver(_table().lookup, []).answer(b"\x00\x09garbage")
    assert reply is not None
    assert dm.parse_message(reply).rcode == dm.FORMERR


class _FakeUpstream(asyncio.DatagramProtocol):
    """Answers every query with 192.0.2.99 (a loopback-only fake of a host resolver)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dm.parse_message(data)
        self.transport.sendto(
            dm.encode_response(query, addresses=(IPv4Address("192.0.2.99"),)), addr
        )


async def test_resolver_forwards_unknown_names_to_upstream() -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_FakeUpstream, local_addr=("127.0.0.1", 0))
    try:
        port = transport.get_extra_info("sockname")[1]
        resolver = Resolver(_table().lookup, [("127.0.0.1", port)])
        reply = await resolver.answer(dm.encode_query(9, "example.org"))
        assert reply is not None
        msg = dm.parse_message(reply)
        assert (msg.id, [a.address for a in msg.answers]) == (9, [IPv4Address("192.0.2.99")])
    finally:
        transport.close()


def test_name_table_remove_drops_empty_names() -> None:
    table = _table()
    table.remove("web", IPv4Address("172.30.0.2"))
    assert table.lookup("web") == []
    assert table.lookup("web-alias") == [IPv4Address("172.30.0.2")]
