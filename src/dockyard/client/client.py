"""The Engine API client the CLI uses: versioned requests, JSON, streams and uploads.

Version negotiation follows Docker's: ``GET /_ping`` once, then every path goes under
``/v<min(ours, daemon's Api-Version)>/``; a daemon that advertises nothing gets 1.24.
``DOCKER_API_VERSION`` (or ``version=``) pins the version and skips the ping.
"""

from __future__ import annotations

from dockyard.client.errors import ClientError
from dockyard.client.jsonfast import loads

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, BinaryIO

    from dockyard.client.types import Body, HijackedStream, ResponseLike, Transport

__all__ = ["MAX_API_VERSION", "Client", "encode_query"]

MAX_API_VERSION = "1.45"
FALLBACK_API_VERSION = "1.24"
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
UPLOAD_CHUNK = 256 * 1024


def _quote(text: str) -> str:
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def encode_query(query: dict[str, Any] | list[tuple[str, str]] | None) -> str:
    """``?a=1&b=x`` from pairs; None values are dropped, bools become 1/0, lists repeat."""
    if not query:
        return ""
    pairs = query.items() if isinstance(query, dict) else query
    parts: list[str] = []
    for key, value in pairs:
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            text = ("1" if item else "0") if isinstance(item, bool) else str(item)
            parts.append(f"{_quote(key)}={_quote(text)}")
    return "?" + "&".join(parts) if parts else ""


def _version_key(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (0,)


def error_message(body: bytes, status: int) -> str:
    """The daemon's ``{"message": ...}``, or the raw body when it is not that shape."""
    try:
        doc = loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("message"), str):
        return str(doc["message"])
    text = body.decode("utf-8", "replace").strip()
    return text or f"unexpected status {status}"


def _file_chunks(source: BinaryIO) -> Iterator[bytes]:
    while data := source.read(UPLOAD_CHUNK):
        yield data


class Client:
    """Thin, synchronous, one connection. Every error status raises :class:`ClientError`."""

    def __init__(
        self, transport: Transport, version: str | None = None, user_agent: str = "Dockyard-Client"
    ) -> None:
        self.transport = transport
        self._version = version
        self._user_agent = user_agent
        self._forks: list[Client] = []

    @property
    def api_version(self) -> str:
        if self._version is None:
            self._version = self.negotiate()
        return self._version

    def negotiate(self) -> str:
        response = self.transport.request("GET", "/_ping", {"User-Agent": self._user_agent})
        response.read()
        advertised = response.headers.get("api-version", "")
        if not advertised:
            return FALLBACK_API_VERSION
        if _version_key(advertised) < _version_key(MAX_API_VERSION):
            return advertised
        return MAX_API_VERSION

    def close(self) -> None:
        self.transport.close()
        for other in self._forks:
            other.close()

    def fork(self) -> Client:
        """A client on its own connection, sharing the negotiated version (closed with this
        one): for requests that stay pending while others run (``wait`` during ``run``)."""
        other = Client(self.transport.clone(), self.api_version, self._user_agent)
        self._forks.append(other)
        return other

    def hijack(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | list[tuple[str, str]] | None = None,
        body: Any = None,
    ) -> HijackedStream:
        """``Upgrade: tcp`` request (attach, exec start); the raw stream, or ClientError."""
        payload, extra = _json_payload(body)
        headers = {
            "User-Agent": self._user_agent, "Connection": "Upgrade", "Upgrade": "tcp", **extra
        }  # fmt: skip
        target = f"/v{self.api_version}{path}{encode_query(query)}"
        response, stream = self.transport.hijack(method, target, headers, payload)
        if stream is None:
            data = response.read()
            status = response.status if response.status >= 400 else 500
            raise ClientError(status, error_message(data, status))
        return stream

    def request(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | list[tuple[str, str]] | None = None,
        body: Body = None,
        headers: dict[str, str] | None = None,
    ) -> ResponseLike:
        """Send ``/v<api>/path?query``; raises ClientError for status >= 400."""
        all_headers = {"User-Agent": self._user_agent}
        if headers:
            all_headers.update(headers)
        target = f"/v{self.api_version}{path}{encode_query(query)}"
        response = self.transport.request(method, target, all_headers, body)
        if response.status >= 400:
            raise ClientError(response.status, error_message(response.read(), response.status))
        return response

    def json(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | list[tuple[str, str]] | None = None,
        body: Any = None,
    ) -> Any:
        """The decoded JSON body (None when empty); ``body`` is sent as JSON if not None."""
        payload, headers = _json_payload(body)
        data = self.request(method, path, query, payload, headers).read()
        return loads(data) if data.strip() else None

    def stream_json(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | list[tuple[str, str]] | None = None,
        body: Body = None,
        headers: dict[str, str] | None = None,
    ) -> Iterator[Any]:
        """Decoded JSON-lines objects as the daemon sends them."""
        response = self.request(method, path, query, body, headers)
        try:
            for line in response.iter_lines():
                yield loads(line)
        finally:
            response.close()

    def stream_raw(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | list[tuple[str, str]] | None = None,
    ) -> Iterator[bytes]:
        """The body bytes as they arrive (``save``'s tar stream)."""
        response = self.request(method, path, query)
        try:
            yield from response.iter_chunks()
        finally:
            response.close()

    def upload(
        self,
        method: str,
        path: str,
        source: BinaryIO,
        query: dict[str, Any] | list[tuple[str, str]] | None = None,
        content_type: str = "application/x-tar",
    ) -> ResponseLike:
        """Stream ``source`` as a chunked request body (``load``, ``import``)."""
        return self.request(
            method, path, query, _file_chunks(source), {"Content-Type": content_type}
        )


def _json_payload(body: Any) -> tuple[bytes | None, dict[str, str]]:
    """``body`` as a JSON request body and its header; json is imported only when needed
    (the CLI's start time is measured)."""
    if body is None:
        return None, {}
    import json

    return json.dumps(body).encode(), {"Content-Type": "application/json"}
