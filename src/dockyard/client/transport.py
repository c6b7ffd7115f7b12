"""The real transport: :mod:`dockyard.client.wire` to a unix or tcp socket."""

from __future__ import annotations

from dockyard.client.errors import DaemonUnreachable
from dockyard.client.hosts import parse_host
from dockyard.client.wire import ConnectError, Connection

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.client.types import Body
    from dockyard.client.wire import Hijacked, Response

__all__ = ["SocketTransport"]


class SocketTransport:
    """One keep-alive connection to the daemon at ``host`` (a ``unix://``/``tcp://`` URL)."""

    def __init__(self, host: str, timeout: float | None = None) -> None:
        self.host = host
        self._conn = Connection(parse_host(host), timeout)

    def request(
        self, method: str, path: str, headers: dict[str, str], body: Body = None
    ) -> Response:
        try:
            return self._conn.request(method, path, headers, body)
        except ConnectError as err:
            raise DaemonUnreachable(self.host) from err

    def hijack(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[Response, Hijacked | None]:
        try:
            return self._conn.hijack(method, path, headers, body)
        except ConnectError as err:
            raise DaemonUnreachable(self.host) from err

    def clone(self) -> SocketTransport:
        """Another connection to the same daemon (a pending ``wait`` beside an attach)."""
        return SocketTransport(self.host, self._conn._timeout)

    def close(self) -> None:
        self._conn.close()
