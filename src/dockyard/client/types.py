"""The transport seam of :class:`dockyard.client.client.Client` (typing only).

Import this module only under ``TYPE_CHECKING``: ``typing.Protocol`` is too costly for the
CLI's start-up path. ``dockyard.client.transport.SocketTransport`` is the real transport and
``dockyard.testing.fake_engine_api.FakeEngine`` the in-memory one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

__all__ = ["Body", "HijackedStream", "ResponseLike", "Transport"]

Body = bytes | Iterable[bytes] | None


class ResponseLike(Protocol):
    """A response whose body can be read once, whole or piece by piece."""

    status: int
    headers: dict[str, str]  # lower-case names

    def read(self) -> bytes: ...

    def iter_chunks(self) -> Iterator[bytes]: ...

    def iter_lines(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class HijackedStream(Protocol):
    """The bidirectional raw stream of an attach or exec start (after ``101 UPGRADED``)."""

    def recv(self, size: int = 65536) -> bytes:
        """Next bytes from the daemon; ``b""`` at the end of the stream."""
        ...

    def sendall(self, data: bytes) -> None: ...

    def close_write(self) -> None:
        """EOF for the container's stdin; output keeps flowing."""
        ...

    def close(self) -> None: ...


class Transport(Protocol):
    """Carries one request (``path`` includes the query) and returns the response head.

    Raises :class:`dockyard.client.errors.DaemonUnreachable` when no daemon answers.
    """

    def request(
        self, method: str, path: str, headers: dict[str, str], body: Body = None
    ) -> ResponseLike: ...

    def hijack(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[ResponseLike, HijackedStream | None]:
        """Send an ``Upgrade: tcp`` request; the stream is None unless it was upgraded."""
        ...

    def clone(self) -> Transport:
        """A transport on a new connection to the same daemon."""
        ...

    def close(self) -> None: ...
