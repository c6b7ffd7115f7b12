"""What the client raises.

These stand apart from :mod:`dockyard.errors` on purpose: that module imports ``typing`` at
run time, and the CLI's start-up budget cannot pay for it. They describe the *remote* side::

    ClientError            the daemon answered with an error status (status, message)
    └── DaemonUnreachable  no daemon at the host (status 0)
"""

from __future__ import annotations

__all__ = ["ClientError", "DaemonUnreachable"]


class ClientError(Exception):
    """An error response; ``message`` is the daemon's ``{"message": ...}`` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DaemonUnreachable(ClientError):
    def __init__(self, host: str) -> None:
        super().__init__(
            0,
            f"Cannot connect to the Dockyard daemon at {host}. Is the dockyard daemon running?",
        )
        self.host = host
