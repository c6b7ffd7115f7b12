"""The transport seam of :class:`dockyard.client.client.Client` (typing only).

Import this module only under ``TYPE_CHECKING``: ``typing.Protocol`` is too costly for the
CLI's start-up path. ``dockyard.client.transport.SocketTransport`` is the real transport and
``dockyard.testing.fake_engine_api.FakeEngine`` the in-memory one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

__all__ = ["Body", "ResponseLike", "Transport"]

Body = bytes | Iterable[bytes] | None


class ResponseLike(Protocol):
    """A response whose body can be read once, whole or piece by piece."""

    status: int
    headers: dict[str, str]  # lower-case names

    def read(self) -> bytes: ...

    def iter_chunks(self) -> Iterator[bytes]: ...

    def iter_lines(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class Transport(Protocol):
    """Carries one request (``path`` includes the query) and returns the response head.

    Raises :class:`dockyard.client.errors.DaemonUnreachable` when no daemon answers.
    """

    def request(
        self, method: str, path: str, headers: dict[str, str], body: Body = None
    ) -> ResponseLike: ...

    def close(self) -> None: ...
