"""The one exception tree of Dockyard.

Every failure a user can see is a :class:`DockyardError`. Each class carries, as data, the
HTTP status the API answers with and the exit code the CLI ends with, so that the mapping
happens in exactly one place (the API's error middleware) and never ad hoc::

    DockyardError                500  generic failure inside the engine
    ├── NotModified              304  start when running, stop when stopped
    ├── InvalidParameter         400  bad request input (reference, filter, archive, config)
    ├── Unauthorized             401
    ├── Forbidden                403
    ├── NotFound                 404  no such container / image / volume / network / route
    ├── Conflict                 409  name in use, image in use, state does not allow it
    ├── NotImplementedYet        501  a documented feature this engine does not offer
    └── Unavailable              503  a dependency (runtime, monitor) cannot be reached

Messages name the object, in Docker's words where clients print them.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "Conflict",
    "DockyardError",
    "Forbidden",
    "InvalidParameter",
    "NotFound",
    "NotImplementedYet",
    "NotModified",
    "Unauthorized",
    "Unavailable",
]


class DockyardError(Exception):
    """Base of every error Dockyard reports; ``str(err)`` is the message users see."""

    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 125

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotModified(DockyardError):
    http_status = 304


class InvalidParameter(DockyardError):
    http_status = 400


class Unauthorized(DockyardError):
    http_status = 401


class Forbidden(DockyardError):
    http_status = 403


class NotFound(DockyardError):
    http_status = 404


class Conflict(DockyardError):
    http_status = 409


class NotImplementedYet(DockyardError):
    http_status = 501


class Unavailable(DockyardError):
    http_status = 503
