"""A minimal DNS message codec (RFC 1035): enough to answer A queries and relay the rest.

Parsing follows compression pointers (bounded, so a pointer loop is a format error, not a
hang). Encoding never compresses except the answer names, which point at the question name
(offset 12), as every server does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv4Address

__all__ = [
    "CLASS_IN",
    "FORMERR",
    "NOERROR",
    "NOTIMP",
    "NXDOMAIN",
    "REFUSED",
    "SERVFAIL",
    "TYPE_A",
    "TYPE_AAAA",
    "DnsFormatError",
    "Message",
    "Question",
    "Record",
    "encode_query",
    "encode_response",
    "error_response",
    "parse_message",
]

TYPE_A = 1
TYPE_AAAA = 28
CLASS_IN = 1
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5

_QR = 0x8000
_AA = 0x0400
_TC = 0x0200
_RD = 0x0100
_RA = 0x0080
_HEADER = struct.Struct(">HHHHHH")
_MAX_POINTERS = 32


class DnsFormatError(ValueError):
    """The bytes are not a well-formed DNS message."""


@dataclass(frozen=True, slots=True)
class Question:
    name: str  # lower case, no trailing dot
    qtype: int
    qclass: int = CLASS_IN


@dataclass(frozen=True, slots=True)
class Record:
    name: str
    rtype: int
    rclass: int
    ttl: int
    rdata: bytes

    @property
    def address(self) -> IPv4Address:
        return IPv4Address(self.rdata)


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    flags: int
    questions: tuple[Question, ...]
    answers: tuple[Record, ...] = ()

    @property
    def is_response(self) -> bool:
        return bool(self.flags & _QR)

    @property
    def opcode(self) -> int:
        return (self.flags >> 11) & 0xF

    @property
    def rcode(self) -> int:
        return self.flags & 0xF

    @property
    def recursion_desired(self) -> bool:
        return bool(self.flags & _RD)

    @property
    def truncated(self) -> bool:
        return bool(self.flags & _TC)


def _read_name(data: bytes, offset: int) -> tuple[str, int]:
    """The name at ``offset`` and the offset just after it (after the first pointer)."""
    labels: list[str] = []
    end: int | None = None
    jumps = 0
    while True:
        if offset >= len(data):
            raise DnsFormatError("name runs past the end of the message")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data):
                raise DnsFormatError("truncated compression pointer")
            jumps += 1
            if jumps > _MAX_POINTERS:
                raise DnsFormatError("compression pointer loop")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | data[offset + 1]
            continue
        if length & 0xC0:
            raise DnsFormatError(f"unsupported label type 0x{length:02x}")
        offset += 1
        if length == 0:
            break
        label = data[offset : offset + length]
        if len(label) != length:
            raise DnsFormatError("label runs past the end of the message")
        labels.append(label.decode("ascii", errors="replace"))
        offset += length
    name = ".".join(labels).lower()
    if len(name) > 253:
        raise DnsFormatError("name longer than 253 characters")
    return name, end if end is not None else offset


def _encode_name(name: str) -> bytes:
    out = bytearray()
    for label in name.rstrip(".").split("."):
        if not label:
            continue
        raw = label.encode("ascii")
        if len(raw) > 63:
            raise DnsFormatError(f"label {label!r} longer than 63 bytes")
        out += bytes([len(raw)]) + raw
    return bytes(out) + b"\0"


def parse_message(data: bytes) -> Message:
    """Header, questions and answers (authority and additional sections are skipped)."""
    if len(data) < _HEADER.size:
        raise DnsFormatError("message shorter than a DNS header")
    ident, flags, qdcount, ancount, _ns, _ar = _HEADER.unpack_from(data)
    offset = _HEADER.size
    questions = []
    for _ in range(qdcount):
        name, offset = _read_name(data, offset)
        if offset + 4 > len(data):
            raise DnsFormatError("question runs past the end of the message")
        qtype, qclass = struct.unpack_from(">HH", data, offset)
        offset += 4
        questions.append(Question(name, qtype, qclass))
    answers = []
    for _ in range(ancount):
        name, offset = _read_name(data, offset)
        if offset + 10 > len(data):
            raise DnsFormatError("record runs past the end of the message")
        rtype, rclass, ttl, rdlen = struct.unpack_from(">HHIH", data, offset)
        offset += 10
        rdata = data[offset : offset + rdlen]
        if len(rdata) != rdlen:
            raise DnsFormatError("record data runs past the end of the message")
        offset += rdlen
        answers.append(Record(name, rtype, rclass, ttl, rdata))
    return Message(ident, flags, tuple(questions), tuple(answers))


def encode_query(ident: int, name: str, qtype: int = TYPE_A) -> bytes:
    """A recursive query for one name (clients and tests)."""
    return (
        _HEADER.pack(ident, _RD, 1, 0, 0, 0)
        + _encode_name(name)
        + struct.pack(">HH", qtype, CLASS_IN)
    )


def encode_response(
    query: Message,
    *,
    rcode: int = NOERROR,
    addresses: tuple[IPv4Address, ...] = (),
    ttl: int = 600,
    authoritative: bool = False,
) -> bytes:
    """The answer to ``query``: its id, question and RD echoed, RA set, A records added."""
    flags = _QR | (query.opcode << 11) | (query.flags & _RD) | _RA | (rcode & 0xF)
    if authoritative:
        flags |= _AA
    question = query.questions[0] if query.questions else None
    out = bytearray(_HEADER.pack(query.id, flags, 1 if question else 0, len(addresses), 0, 0))
    if question is not None:
        out += _encode_name(question.name) + struct.pack(">HH", question.qtype, question.qclass)
    for addr in addresses:
        out += struct.pack(">HHHIH", 0xC00C, TYPE_A, CLASS_IN, ttl, 4) + addr.packed
    return bytes(out)


def error_response(data: bytes, rcode: int) -> bytes | None:
    """A bare error answer echoing the header id of unparseable ``data`` (None if too short)."""
    if len(data) < 2:
        return None
    ident = struct.unpack_from(">H", data)[0]
    return _HEADER.pack(ident, _QR | _RA | (rcode & 0xF), 0, 0, 0, 0)
