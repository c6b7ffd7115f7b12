"""A push-style tar parser: feed it bytes as they arrive, it reports logical entries.

Why push and not ``tarfile``: an image archive is read once from a socket and every member
is spooled to the content store while a second parser, fed from inside the first, scans
each layer for path escapes. Both need bytes as they pass, never a seek.

Understood: ustar (with ``prefix``), GNU (``L``/``K`` long names, base-256 sizes) and PAX
(``x`` local and ``g`` global records for ``path``, ``linkpath``, ``size``). Every header's
checksum is verified. The first zero block ends the archive (as ``tarfile`` does); the
stream may also end at a header boundary without one (as Go's ``archive/tar`` allows). A
stream that ends inside a header, entry data or padding is truncated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "BLOCK",
    "DIRECTORY",
    "HARDLINK",
    "MAX_ENTRY_SIZE",
    "REGULAR",
    "SYMLINK",
    "Entry",
    "EntrySink",
    "TarError",
    "TarParser",
]

BLOCK = 512
MAX_ENTRY_SIZE = 1 << 40  # 1 TiB: anything claiming more is a forged header
_MAX_META_SIZE = 1 << 20  # PAX records and GNU long names

REGULAR = frozenset({b"0", b"\0", b"7"})
HARDLINK = b"1"
SYMLINK = b"2"
DIRECTORY = b"5"
# Types whose size field is ignored: no data follows them (as in Go's archive/tar).
_HEADER_ONLY = frozenset({b"1", b"2", b"3", b"4", b"5", b"6"})
_META = frozenset({b"x", b"g", b"L", b"K"})
_ZERO_BLOCK = bytes(BLOCK)


class TarError(Exception):
    """The byte stream is not a well-formed tar; callers name the archive member."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A logical entry, PAX and GNU long-name records already applied."""

    name: str
    type: bytes
    size: int  # data bytes following the header (0 for header-only types)
    linkname: str


class EntrySink(Protocol):
    def data(self, chunk: memoryview) -> None:
        """Receive the next slice of the entry's data; valid only during the call."""
        ...

    def end(self) -> None: ...


def _text(field: bytes | memoryview) -> str:
    raw = bytes(field)
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _number(field: bytes) -> int:
    if field[0] & 0x80:  # GNU base-256
        if field[0] == 0xFF:
            raise TarError("negative number in tar header")
        return int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError as err:
        raise TarError(f"invalid number {text!r} in tar header") from err


def _check_sum(block: bytes) -> None:
    try:
        stored = _number(block[148:156])
    except TarError as err:
        raise TarError("not a tar stream (invalid header checksum field)") from err
    unsigned = sum(block) - sum(block[148:156]) + 8 * 0x20
    if stored == unsigned:
        return
    signed = unsigned - 256 * sum(1 for b in block if b > 127)
    signed += 256 * sum(1 for b in block[148:156] if b > 127)
    if stored != signed:
        raise TarError("not a tar stream (header checksum mismatch)")


def parse_pax(data: bytes) -> dict[str, str]:
    """Parse PAX records ``"<len> key=value\\n"``."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data) and data[pos] != 0:
        space = data.find(b" ", pos)
        length_text = data[pos:space] if space > 0 else b""
        if not length_text.isdigit():
            raise TarError("malformed PAX record length")
        length = int(length_text)
        end = pos + length
        if end > len(data) or end <= space or data[end - 1] != 0x0A:
            raise TarError("malformed PAX record")
        key, eq, value = data[space + 1 : end - 1].partition(b"=")
        if not eq:
            raise TarError("malformed PAX record without '='")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos = end
    return out


class TarParser:
    """Feed bytes with :meth:`feed`, then :meth:`close`; ``on_entry`` sees each entry.

    ``on_entry`` returns a sink for the entry's data, or None to skip it; it may raise to
    stop parsing. ``limit``, when the total stream length is known, rejects an entry that
    claims more data than the stream still holds before any of that data is read.
    """

    def __init__(
        self, on_entry: Callable[[Entry], EntrySink | None], limit: int | None = None
    ) -> None:
        self._on_entry = on_entry
        self._limit = limit
        self._offset = 0  # stream position of the next byte fed
        self._header = bytearray()
        self._remaining = 0  # data bytes of the current entry still to come
        self._pad = 0
        self._sink: EntrySink | None = None
        self._meta: bytearray | None = None
        self._meta_type = b""
        self._global: dict[str, str] = {}
        self._local: dict[str, str] = {}
        self._long_name: str | None = None
        self._long_link: str | None = None
        self._name = ""  # of the current entry, for messages
        self.done = False  # the end-of-archive block was seen

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        pos, n = 0, len(view)
        while pos < n:
            if self._remaining:
                take = min(self._remaining, n - pos)
                if self._sink is not None:
                    self._sink.data(view[pos : pos + take])
                elif self._meta is not None:
                    self._meta += view[pos : pos + take]
                pos += take
                self._remaining -= take
                if not self._remaining:
                    self._end_data()
            elif self._pad:
                take = min(self._pad, n - pos)
                pos += take
                self._pad -= take
            elif self.done:
                break  # after the end marker: padding to the record size, ignored
            elif not self._header and n - pos >= BLOCK:
                self._parse_header(bytes(view[pos : pos + BLOCK]), self._offset + pos + BLOCK)
                pos += BLOCK
            else:
                take = min(BLOCK - len(self._header), n - pos)
                self._header += view[pos : pos + take]
                pos += take
                if len(self._header) == BLOCK:
                    block = bytes(self._header)
                    self._header.clear()
                    self._parse_header(block, self._offset + pos)
        self._offset += n

    def close(self) -> None:
        """Raise TarError when the stream ended inside a header, entry data or padding."""
        if self._remaining or self._pad:
            raise TarError(
                f"truncated: entry {self._name!r} is missing {self._remaining + self._pad} "
                "bytes of data"
            )
        if self._header.strip(b"\0") or self._meta is not None:
            raise TarError("truncated inside a tar header")

    def _parse_header(self, block: bytes, data_offset: int) -> None:
        if block == _ZERO_BLOCK:
            self.done = True
            return
        _check_sum(block)
        typ = block[156:157]
        size = _number(block[124:136])
        if typ in _META:
            if size > _MAX_META_SIZE:
                raise TarError(f"tar metadata entry of {size} bytes is too large")
            self._meta, self._meta_type = bytearray(), typ
            self._start_data(size)
            return
        name = _text(block[0:100])
        if block[257:263] == b"ustar\0":
            prefix = _text(block[345:500])
            if prefix:
                name = f"{prefix}/{name}"
        linkname = _text(block[157:257])
        pax = {**self._global, **self._local}
        name = self._long_name if self._long_name is not None else pax.get("path", name)
        linkname = self._long_link if self._long_link is not None else pax.get("linkpath", linkname)
        if "size" in pax:
            if not pax["size"].isdigit():
                raise TarError(f"invalid PAX size {pax['size']!r} for {name!r}")
            size = int(pax["size"])
        self._local, self._long_name, self._long_link = {}, None, None
        self._name = name
        if typ in _HEADER_ONLY:
            size = 0
        if size > MAX_ENTRY_SIZE:
            raise TarError(f"entry {name!r} claims an absurd size of {size} bytes")
        if self._limit is not None and data_offset + size > self._limit:
            raise TarError(
                f"entry {name!r} claims {size} bytes but only "
                f"{max(self._limit - data_offset, 0)} remain (truncated or forged)"
            )
        self._sink = self._on_entry(Entry(name=name, type=typ, size=size, linkname=linkname))
        self._start_data(size)

    def _start_data(self, size: int) -> None:
        self._pad = -size % BLOCK
        self._remaining = size
        if not size:
            self._end_data()

    def _end_data(self) -> None:
        if self._sink is not None:
            sink, self._sink = self._sink, None
            sink.end()
        elif self._meta is not None:
            meta, self._meta = bytes(self._meta), None
            if self._meta_type == b"x":
                self._local = parse_pax(meta)
            elif self._meta_type == b"g":
                self._global.update(parse_pax(meta))
            elif self._meta_type == b"L":
                self._long_name = _text(meta)
            else:
                self._long_link = _text(meta)
