"""Container filesystem routes: cp (archive HEAD/GET/PUT), export, changes, commit.

Booleans are dockerd's ``BoolValue`` (anything but "", 0, no, false, none is true). Tars
stream out of a worker thread through a pipe into a chunked response while the
backend's ``async with`` holds the container's rootfs; ``PUT`` reads the body from the
worker thread (:func:`~dockyard.api.routes.images.body_stream`), never buffering it whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import BinaryIO, Protocol, cast

from aiohttp import web

from dockyard.api.params import json_body
from dockyard.api.routes.images import body_stream, query_bool
from dockyard.api.server import add_route, json_response
from dockyard.apitypes.container_config import ContainerConfig
from dockyard.apitypes.container_fs import (
    PATH_STAT_HEADER,
    Change,
    CommitOptions,
    PathStat,
    PutArchiveOptions,
    changes_to_wire,
    path_stat_header,
)
from dockyard.errors import InvalidParameter

__all__ = ["ContainerFsBackend", "setup"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_F_SETPIPE_SZ = 1031

TarWriter = Callable[[BinaryIO], None]


class ArchiveStreamLike(Protocol):
    @property
    def stat(self) -> PathStat: ...

    @property
    def write(self) -> TarWriter: ...


class ContainerFsBackend(Protocol):
    async def path_stat(self, ref: str, path: str) -> PathStat: ...
    def open_archive(
        self, ref: str, path: str
    ) -> AbstractAsyncContextManager[ArchiveStreamLike]: ...
    async def extract_archive(
        self, ref: str, body: BinaryIO, options: PutArchiveOptions
    ) -> None: ...
    def open_export(self, ref: str) -> AbstractAsyncContextManager[TarWriter]: ...
    async def changes(self, ref: str) -> list[Change]: ...
    async def commit(self, options: CommitOptions) -> str: ...


async def stream_tar(
    request: web.Request, write: TarWriter, headers: dict[str, str]
) -> web.StreamResponse:
    """Run ``write(out)`` in a thread and copy what it writes to a chunked response.

    An error after the 200 went out can only cut the stream (the client sees a short tar).
    """
    response = web.StreamResponse(headers={"Content-Type": "application/x-tar", **headers})
    response.enable_chunked_encoding()
    await response.prepare(request)
    read_fd, write_fd = os.pipe()
    with contextlib.suppress(OSError):
        fcntl.fcntl(write_fd, _F_SETPIPE_SZ, _CHUNK)

    def run() -> None:
        with open(write_fd, "wb", buffering=0) as out:
            write(cast(BinaryIO, out))

    loop = asyncio.get_running_loop()
    task = loop.run_in_executor(None, run)
    failed = False
    try:
        while chunk := await loop.run_in_executor(None, os.read, read_fd, _CHUNK):
            await response.write(chunk)
    except (ConnectionResetError, asyncio.CancelledError):
        failed = True
        raise
    finally:
        os.close(read_fd)
        try:
            await task
        except Exception:
            if not failed:
                log.exception(
                    "%s %s failed after the response started", request.method, request.path
                )
                if request.transport is not None:
                    request.transport.abort()
            failed = True
    if not failed:
        await response.write_eof()
    return response


def _path(request: web.Request) -> str:
    return request.query.get("path", "")


def setup(backend: ContainerFsBackend) -> Callable[[web.Application], None]:
    async def head_archive(request: web.Request) -> web.StreamResponse:
        stat = await backend.path_stat(request.match_info["id"], _path(request))
        return web.Response(status=200, headers={PATH_STAT_HEADER: path_stat_header(stat)})

    async def get_archive(request: web.Request) -> web.StreamResponse:
        async with backend.open_archive(request.match_info["id"], _path(request)) as plan:
            headers = {PATH_STAT_HEADER: path_stat_header(plan.stat)}
            return await stream_tar(request, plan.write, headers)

    async def put_archive(request: web.Request) -> web.StreamResponse:
        options = PutArchiveOptions(
            path=_path(request),
            no_overwrite_dir_non_dir=query_bool(request, "noOverwriteDirNonDir"),
            copy_uid_gid=query_bool(request, "copyUIDGID"),
        )
        await backend.extract_archive(request.match_info["id"], body_stream(request), options)
        return web.Response(status=200)

    async def export(request: web.Request) -> web.StreamResponse:
        async with backend.open_export(request.match_info["id"]) as write:
            return await stream_tar(request, write, {})

    async def changes(request: web.Request) -> web.StreamResponse:
        return json_response(changes_to_wire(await backend.changes(request.match_info["id"])))

    async def commit(request: web.Request) -> web.StreamResponse:
        q = request.query
        body = await json_body(request)
        if body is not None and not isinstance(body, dict):
            raise InvalidParameter("commit body must be a container Config object")
        pause = q.get("pause", "").strip()
        options = CommitOptions(
            container=q.get("container", ""),
            repo=q.get("repo", ""),
            tag=q.get("tag", ""),
            comment=q.get("comment", ""),
            author=q.get("author", ""),
            pause=True if pause == "" else query_bool(request, "pause"),
            changes=tuple(c for c in q.getall("changes", []) if c.strip()),
            config=ContainerConfig.from_wire(body) if body else None,
        )
        image_id = await backend.commit(options)
        return json_response({"Id": image_id}, status=201)

    def install(app: web.Application) -> None:
        add_route(app, "HEAD", "/containers/{id}/archive", head_archive)
        add_route(app, "GET", "/containers/{id}/archive", get_archive)
        add_route(app, "PUT", "/containers/{id}/archive", put_archive)
        add_route(app, "GET", "/containers/{id}/export", export)
        add_route(app, "GET", "/containers/{id}/changes", changes)
        add_route(app, "POST", "/commit", commit)

    return install
