"""Image routes: create (import), list, inspect, history, tag, delete, prune, save, load.

Handlers parse the query, call the narrow :class:`ImageBackend` in a worker thread and
serialize. Two bridges between asyncio and the synchronous service live here:

* a request body becomes a blocking reader (:class:`BodyReader`) that the worker thread
  pulls from the event loop, so a multi-GiB ``load``/``import`` is never buffered whole;
* ``save`` lays the archive out first, so its exact size is the Content-Length, then
  writes the small parts (tar headers, JSON documents) through the response and hands each
  blob to ``loop.sendfile``: the kernel copies it from the store's file to the socket.

Loads and imports do all their work before answering, so a bad archive is a 400 with
``{"message"}``; the 200 JSON-lines stream that follows only reports results.

Image names contain slashes, hence the ``{name:.+}`` patterns (registered after the fixed
paths like ``/images/json``).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, Protocol, cast

from aiohttp import web

from dockyard.api.server import add_route, json_response, request_version
from dockyard.apitypes.filters import Filters, parse_filters
from dockyard.apitypes.images import (
    DeleteItem,
    HistoryItem,
    ImageDetails,
    ImageSummary,
    PruneReport,
    delete_to_wire,
    history_to_wire,
    inspect_to_wire,
    prune_to_wire,
    summary_to_wire,
)
from dockyard.errors import DockyardError, InvalidParameter, NotFound
from dockyard.image.archive_types import ArchiveImage
from dockyard.image.archive_write import ArchiveLayout
from dockyard.image.importer import ImportOptions
from dockyard.image.store import repo_tag_reference
from dockyard.oci.digest import Digest

__all__ = ["BodyReader", "ImageBackend", "setup"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_BODY_BUFFER = 4 << 20


class ImageBackend(Protocol):
    def import_image(self, body: BinaryIO, options: ImportOptions) -> str: ...

    def load(self, body: BinaryIO) -> list[str]: ...

    def save_plan(self, names: Sequence[str]) -> list[ArchiveImage]: ...

    def save_layout(self, images: Sequence[ArchiveImage]) -> ArchiveLayout: ...

    def open_blob(self, digest: Digest) -> BinaryIO: ...

    def saved(self, images: Sequence[ArchiveImage]) -> None: ...

    def list_images(
        self, *, all_images: bool = False, filters: Filters | None = None, shared_size: bool = False
    ) -> list[ImageSummary]: ...

    def inspect(self, name: str) -> ImageDetails: ...

    def history(self, name: str) -> list[HistoryItem]: ...

    def tag(self, name: str, repo: str, tag: str) -> None: ...

    def delete(self, name: str, *, force: bool = False, prune: bool = True) -> list[DeleteItem]: ...

    def prune(self, filters: Filters) -> PruneReport: ...


class BodyReader(io.RawIOBase):
    """A blocking reader of an aiohttp request body, for use from a worker thread only."""

    def __init__(self, request: web.Request, loop: asyncio.AbstractEventLoop) -> None:
        self._content = request.content
        self._loop = loop
        # Let aiohttp buffer this much before it stops reading the socket (64 KiB by
        # default): each hop to the event loop then brings back megabytes, not kilobytes.
        self._content.set_read_chunk_size(_BODY_BUFFER)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        future = asyncio.run_coroutine_threadsafe(self._content.read(len(view)), self._loop)
        data = future.result()
        view[: len(data)] = data
        return len(data)


def body_stream(request: web.Request) -> BinaryIO:
    raw = BodyReader(request, asyncio.get_running_loop())
    return cast(BinaryIO, io.BufferedReader(raw, buffer_size=_CHUNK))


def query_bool(request: web.Request, key: str) -> bool:
    """Docker's ``BoolValue``: anything but "", 0, no, false, none is true."""
    value = request.query.get(key, "").strip().lower()
    return value not in ("", "0", "no", "false", "none")


async def json_lines(request: web.Request, docs: Sequence[dict[str, Any]]) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(b"".join(json.dumps(d).encode() + b"\r\n" for d in docs))
    await response.write_eof()
    return response


async def send_archive(
    request: web.Request, backend: ImageBackend, images: Sequence[ArchiveImage]
) -> web.StreamResponse:
    """Answer with the archive of ``images``: Content-Length, then every part in order.

    A failure before the status line (a blob gone) is an error response; after it, all
    that is left is to cut the connection, so the client sees a short archive.
    """
    layout = await asyncio.to_thread(backend.save_layout, images)
    response = web.StreamResponse(headers={"Content-Type": "application/x-tar"})
    response.content_length = layout.size
    await response.prepare(request)
    try:
        for part in layout.parts:
            if isinstance(part, bytes):
                await response.write(part)
                continue
            blob = await asyncio.to_thread(backend.open_blob, part.digest)
            try:
                await _send_blob(request, blob, part.size, part.digest)
            finally:
                blob.close()
    except (ConnectionError, asyncio.CancelledError):
        raise
    except Exception:
        log.exception("%s %s failed after the response started", request.method, request.path)
        if request.transport is not None:
            request.transport.abort()
        return response
    await response.write_eof()
    await asyncio.to_thread(backend.saved, images)
    return response


async def _send_blob(request: web.Request, blob: BinaryIO, size: int, digest: str) -> None:
    transport = request.transport
    if transport is None:
        raise ConnectionResetError("the client went away")
    sent = await asyncio.get_running_loop().sendfile(transport, blob, 0, size)
    if sent != size:
        raise DockyardError(f"content {digest} is shorter than its recorded size {size}")


def setup(backend: ImageBackend) -> Callable[[web.Application], None]:
    async def create(request: web.Request) -> web.StreamResponse:
        q = request.query
        if q.get("fromImage"):
            raise NotFound(
                f"cannot pull {q['fromImage']!r}: pulling images is not supported yet (Dockyard"
                " has no registry client); use 'docker load' or 'docker import' instead"
            )
        source = q.get("fromSrc", "")
        if not source:
            raise InvalidParameter("fromSrc or fromImage is required")
        repo = q.get("repo", "")
        options = ImportOptions(
            reference=repo_tag_reference(repo, q.get("tag", "")) if repo else None,
            message=q.get("message", ""),
            changes=tuple(c for c in q.getall("changes", []) if c.strip()),
            platform=q.get("platform", ""),
            source=source,
        )
        image_id = await asyncio.to_thread(backend.import_image, body_stream(request), options)
        return await json_lines(request, [{"status": image_id}])

    async def list_images(request: web.Request) -> web.StreamResponse:
        images = await asyncio.to_thread(
            lambda: backend.list_images(
                all_images=query_bool(request, "all"),
                filters=parse_filters(request.query.get("filters")),
                shared_size=query_bool(request, "shared-size"),
            )
        )
        version = request_version(request)
        return json_response([summary_to_wire(i, version) for i in images])

    async def inspect(request: web.Request) -> web.StreamResponse:
        details = await asyncio.to_thread(backend.inspect, request.match_info["name"])
        return json_response(inspect_to_wire(details, request_version(request)))

    async def history(request: web.Request) -> web.StreamResponse:
        items = await asyncio.to_thread(backend.history, request.match_info["name"])
        return json_response(history_to_wire(items))

    async def tag(request: web.Request) -> web.StreamResponse:
        q = request.query
        await asyncio.to_thread(
            backend.tag, request.match_info["name"], q.get("repo", ""), q.get("tag", "")
        )
        return web.Response(status=201)

    async def delete(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        force, prune = query_bool(request, "force"), not query_bool(request, "noprune")
        items = await asyncio.to_thread(lambda: backend.delete(name, force=force, prune=prune))
        return json_response(delete_to_wire(items))

    async def prune(request: web.Request) -> web.StreamResponse:
        filters = parse_filters(request.query.get("filters"))
        return json_response(prune_to_wire(await asyncio.to_thread(backend.prune, filters)))

    async def save(request: web.Request, names: list[str]) -> web.StreamResponse:
        plan = await asyncio.to_thread(backend.save_plan, names)
        return await send_archive(request, backend, plan)

    async def save_one(request: web.Request) -> web.StreamResponse:
        return await save(request, [request.match_info["name"]])

    async def save_many(request: web.Request) -> web.StreamResponse:
        names = [n for value in request.query.getall("names", []) for n in value.split(",") if n]
        return await save(request, names)

    async def load(request: web.Request) -> web.StreamResponse:
        lines = await asyncio.to_thread(backend.load, body_stream(request))
        return await json_lines(request, [{"stream": line + "\n"} for line in lines])

    def install(app: web.Application) -> None:
        add_route(app, "POST", "/images/create", create)
        add_route(app, "GET", "/images/json", list_images)
        add_route(app, "GET", "/images/get", save_many)
        add_route(app, "POST", "/images/load", load)
        add_route(app, "POST", "/images/prune", prune)
        add_route(app, "GET", "/images/{name:.+}/json", inspect)
        add_route(app, "GET", "/images/{name:.+}/history", history)
        add_route(app, "POST", "/images/{name:.+}/tag", tag)
        add_route(app, "GET", "/images/{name:.+}/get", save_one)
        add_route(app, "DELETE", "/images/{name:.+}", delete)

    return install
