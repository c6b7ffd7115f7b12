"""Byte-stream helpers for attach/exec/logs: stdcopy framing and detach keys, pure.

Non-TTY streams are multiplexed: each frame is an 8-byte header ``>BxxxI`` (stream type:
0 stdin, 1 stdout, 2 stderr, 3 a daemon-side error; then the payload length) and the
payload. TTY streams are raw bytes. Detach keys (default ctrl-p ctrl-q) are watched in
what the user types; the bytes of a complete sequence are never sent.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_DETACH_KEYS",
    "EscapeProxy",
    "FrameDemuxer",
    "StreamError",
    "frame",
    "parse_detach_keys",
]

DEFAULT_DETACH_KEYS = b"\x10\x11"  # ctrl-p, ctrl-q
STDIN, STDOUT, STDERR, SYSTEMERR = 0, 1, 2, 3
_CTRL = ["ctrl-@", *(f"ctrl-{chr(c)}" for c in range(ord("a"), ord("z") + 1))]
_CTRL += ["ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"]


class StreamError(Exception):
    """A frame of type 3 (the daemon's error inside a stream) or a broken header."""


def frame(stream: int, payload: bytes) -> bytes:
    """One multiplexed frame (what the daemon sends; used by fakes and tests)."""
    return bytes((stream, 0, 0, 0)) + len(payload).to_bytes(4, "big") + payload


class FrameDemuxer:
    """Feed arbitrary chunks; get back complete ``(stream, payload)`` frames in order."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        buf = self._pending + data
        out = []
        pos = 0
        while len(buf) - pos >= 8:
            kind = buf[pos]
            size = int.from_bytes(buf[pos + 4 : pos + 8], "big")
            if len(buf) - pos - 8 < size:
                break
            payload = buf[pos + 8 : pos + 8 + size]
            pos += 8 + size
            if kind == SYSTEMERR:
                raise StreamError(payload.decode("utf-8", "replace"))
            if kind not in (STDIN, STDOUT, STDERR):
                raise StreamError(f"Unrecognized input header: {kind}")
            out.append((kind, payload))
        self._pending = buf[pos:]
        return out

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame (non-zero at EOF means a truncated stream)."""
        return len(self._pending)


def parse_detach_keys(keys: str) -> bytes:
    """moby/term ToBytes: ``ctrl-p,ctrl-q`` -> ``b"\\x10\\x11"``; single characters as-is."""
    codes = bytearray()
    for key in keys.split(","):
        if len(key) == 1:
            codes += key.encode()
        elif key in _CTRL:
            codes.append(_CTRL.index(key))
        elif key == "DEL":
            codes.append(127)
        else:
            raise ValueError(f"Unknown character: '{key}'")
    return bytes(codes)


class EscapeProxy:
    """Watches typed bytes for the detach sequence.

    ``feed`` returns the bytes to forward and whether the sequence completed; a partial
    match is held back until the next byte shows whether it was the sequence.
    """

    __slots__ = ("_held", "_keys")

    def __init__(self, keys: bytes = DEFAULT_DETACH_KEYS) -> None:
        self._keys = keys
        self._held = 0

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        keys = self._keys
        if not keys:
            return data, False
        out = bytearray()
        for byte in data:
            if byte == keys[self._held]:
                self._held += 1
                if self._held == len(keys):
                    self._held = 0
                    return bytes(out), True
                continue
            if self._held:
                out += keys[: self._held]
                self._held = 0
                if byte == keys[0]:
                    self._held = 1
                    continue
            out.append(byte)
        return bytes(out), False
