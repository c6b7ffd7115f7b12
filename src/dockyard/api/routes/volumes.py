"""``/volumes`` routes: list, create, inspect, rm, prune (wire shapes in apitypes.volumes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from aiohttp import web

from dockyard.api.params import json_body, query_bool
from dockyard.api.server import add_route, json_response, request_version
from dockyard.apitypes.filters import Filters, parse_filters
from dockyard.apitypes.volumes import (
    PruneReport,
    VolumeLike,
    create_request_from_wire,
    list_to_wire,
    prune_to_wire,
    volume_to_wire,
)

__all__ = ["VolumeBackend", "setup"]


class VolumeBackend(Protocol):
    def create(
        self,
        name: str | None,
        labels: Mapping[str, str] | None = None,
        options: Mapping[str, str] | None = None,
    ) -> VolumeLike: ...
    def get(self, name: str) -> VolumeLike: ...
    def list(self, filters: Filters) -> Sequence[VolumeLike]: ...
    def remove(self, name: str, force: bool = False) -> None: ...
    def prune(self, filters: Filters, api_version: str) -> PruneReport: ...


def setup(backend: VolumeBackend) -> Callable[[web.Application], None]:
    async def list_(request: web.Request) -> web.StreamResponse:
        filters = parse_filters(request.query.get("filters"))
        return json_response(list_to_wire(await asyncio.to_thread(backend.list, filters)))

    async def create(request: web.Request) -> web.StreamResponse:
        req = create_request_from_wire(await json_body(request) or {})
        volume = await asyncio.to_thread(
            backend.create, req.name or None, req.labels, req.driver_opts
        )
        return json_response(volume_to_wire(volume), status=201)

    async def inspect(request: web.Request) -> web.StreamResponse:
        volume = await asyncio.to_thread(backend.get, request.match_info["name"])
        return json_response(volume_to_wire(volume))

    async def remove(request: web.Request) -> web.StreamResponse:
        await asyncio.to_thread(
            backend.remove, request.match_info["name"], query_bool(request, "force")
        )
        return web.Response(status=204)

    async def prune(request: web.Request) -> web.StreamResponse:
        filters = parse_filters(request.query.get("filters"))
        report = await asyncio.to_thread(backend.prune, filters, request_version(request))
        return json_response(prune_to_wire(report))

    def install(app: web.Application) -> None:
        add_route(app, "GET", "/volumes", list_)
        add_route(app, "POST", "/volumes/create", create)
        add_route(app, "POST", "/volumes/prune", prune)
        add_route(app, "GET", "/volumes/{name}", inspect)
        add_route(app, "DELETE", "/volumes/{name}", remove)

    return install
