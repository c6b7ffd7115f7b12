"""Container lifecycle routes: create, list, inspect, start/stop/kill/restart, pause, wait, rm."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from dockyard.api.params import json_body, query_bool, query_int, query_optional_int
from dockyard.api.server import add_route, json_response
from dockyard.apitypes.container_create import ContainerCreateRequest
from dockyard.apitypes.containers import ContainerView, inspect_to_wire, summary_to_wire
from dockyard.apitypes.filters import Filters, parse_filters
from dockyard.errors import InvalidParameter

__all__ = ["ContainerBackend", "setup"]


class CreateResultLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def warnings(self) -> tuple[str, ...]: ...


class ContainerBackend(Protocol):
    async def create(self, req: ContainerCreateRequest, name: str) -> CreateResultLike: ...
    async def start(self, ref: str) -> None: ...
    async def stop(self, ref: str, timeout: int | None, signal: str | None) -> None: ...
    async def restart(self, ref: str, timeout: int | None) -> None: ...
    async def kill(self, ref: str, signal: str | None) -> None: ...
    async def pause(self, ref: str) -> None: ...
    async def unpause(self, ref: str) -> None: ...
    def wait(self, ref: str, condition: str) -> asyncio.Future[Any]: ...
    async def remove(self, ref: str, force: bool, volumes: bool = False) -> None: ...
    def inspect(self, ref: str, size: bool = False) -> ContainerView: ...
    def list(
        self, *, all_: bool, limit: int, size: bool, filters: Filters
    ) -> list[ContainerView]: ...


def _no_content() -> web.Response:
    return web.Response(status=204)


def setup(backend: ContainerBackend) -> Callable[[web.Application], None]:
    async def create(request: web.Request) -> web.StreamResponse:
        body = await json_body(request)
        if body is None:
            raise InvalidParameter("config cannot be empty in order to create a container")
        req = ContainerCreateRequest.from_wire(body, ncpu=os.cpu_count())
        result = await backend.create(req, request.query.get("name", ""))
        return json_response({"Id": result.id, "Warnings": list(result.warnings)}, status=201)

    async def list_(request: web.Request) -> web.StreamResponse:
        views = await asyncio.to_thread(
            backend.list,
            all_=query_bool(request, "all"),
            limit=query_int(request, "limit", -1),
            size=query_bool(request, "size"),
            filters=parse_filters(request.query.get("filters")),
        )
        return json_response([summary_to_wire(v) for v in views])

    async def inspect(request: web.Request) -> web.StreamResponse:
        view = await asyncio.to_thread(
            backend.inspect, request.match_info["id"], query_bool(request, "size")
        )
        return json_response(inspect_to_wire(view))

    async def start(request: web.Request) -> web.StreamResponse:
        await backend.start(request.match_info["id"])
        return _no_content()

    async def stop(request: web.Request) -> web.StreamResponse:
        await backend.stop(
            request.match_info["id"],
            query_optional_int(request, "t"),
            request.query.get("signal") or None,
        )
        return _no_content()

    async def restart(request: web.Request) -> web.StreamResponse:
        await backend.restart(request.match_info["id"], query_optional_int(request, "t"))
        return _no_content()

    async def kill(request: web.Request) -> web.StreamResponse:
        await backend.kill(request.match_info["id"], request.query.get("signal") or None)
        return _no_content()

    async def pause(request: web.Request) -> web.StreamResponse:
        await backend.pause(request.match_info["id"])
        return _no_content()

    async def unpause(request: web.Request) -> web.StreamResponse:
        await backend.unpause(request.match_info["id"])
        return _no_content()

    async def wait(request: web.Request) -> web.StreamResponse:
        future = backend.wait(request.match_info["id"], request.query.get("condition", ""))
        # Headers go out now: `docker run` waits for them before it starts the container.
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        result = await future
        error = {"Message": result.error} if result.error else None
        await response.write(json.dumps({"StatusCode": result.code, "Error": error}).encode())
        await response.write_eof()
        return response

    async def remove(request: web.Request) -> web.StreamResponse:
        await backend.remove(
            request.match_info["id"], query_bool(request, "force"), query_bool(request, "v")
        )
        return _no_content()

    def install(app: web.Application) -> None:
        add_route(app, "POST", "/containers/create", create)
        add_route(app, "GET", "/containers/json", list_)
        add_route(app, "GET", "/containers/{id}/json", inspect)
        add_route(app, "POST", "/containers/{id}/start", start)
        add_route(app, "POST", "/containers/{id}/stop", stop)
        add_route(app, "POST", "/containers/{id}/restart", restart)
        add_route(app, "POST", "/containers/{id}/kill", kill)
        add_route(app, "POST", "/containers/{id}/pause", pause)
        add_route(app, "POST", "/containers/{id}/unpause", unpause)
        add_route(app, "POST", "/containers/{id}/wait", wait)
        add_route(app, "DELETE", "/containers/{id}", remove)

    return install
