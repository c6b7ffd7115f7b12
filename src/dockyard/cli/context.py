"""What a verb runs with: streams, the daemon client, the clock, and local failures.

The client is built on first use, so verbs that fail early never connect; tests pass a
``transport`` (see :mod:`dockyard.testing.fake_engine_api`) instead of a socket.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO, TextIO

    from dockyard.client.client import Client
    from dockyard.client.types import Transport

__all__ = ["CommandError", "Context"]


class CommandError(Exception):
    """A failure on the client side (bad template, refusing a terminal): message + exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Context:
    __slots__ = ("_client", "environ", "host", "now", "stderr", "stdin", "stdout", "transport")

    def __init__(
        self,
        host: str,
        stdout: TextIO,
        stderr: TextIO,
        stdin: BinaryIO,
        environ: dict[str, str],
        transport: Transport | None = None,
        now: float | None = None,
    ) -> None:
        self.host = host
        self.stdout = stdout
        self.stderr = stderr
        self.stdin = stdin
        self.environ = environ
        self.transport = transport
        self.now = now
        self._client: Client | None = None

    def client(self) -> Client:
        if self._client is None:
            from dockyard.client.client import Client

            transport = self.transport
            if transport is None:
                from dockyard.client.transport import SocketTransport

                transport = SocketTransport(self.host)
            self._client = Client(transport, self.environ.get("DOCKER_API_VERSION") or None)
        return self._client

    def clock(self) -> float:
        if self.now is not None:
            return self.now
        import time

        return time.time()

    def write(self, text: str) -> None:
        self.stdout.write(text)
