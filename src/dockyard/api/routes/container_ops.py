"""Container routes beyond the lifecycle: top, stats, update, rename, prune."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncGenerator, Callable
from typing import Protocol

from aiohttp import web

from dockyard.api.params import json_body, query_bool
from dockyard.api.server import add_route, json_response
from dockyard.apitypes.filters import Filters, parse_filters
from dockyard.apitypes.gojson import decode
from dockyard.apitypes.host_config import Resources, RestartPolicy
from dockyard.apitypes.stats import Stats, TopResult, stats_to_wire, top_to_wire
from dockyard.errors import InvalidParameter

__all__ = ["ContainerOpsBackend", "setup"]


class PruneReportLike(Protocol):
    @property
    def deleted(self) -> tuple[str, ...]: ...

    @property
    def space_reclaimed(self) -> int: ...


class ContainerOpsBackend(Protocol):
    async def top(self, ref: str, ps_args: str) -> TopResult: ...
    def stats(self, ref: str, *, stream: bool, one_shot: bool) -> AsyncGenerator[Stats, None]: ...
    async def update(
        self, ref: str, resources: Resources, restart_policy: RestartPolicy, ncpu: int | None
    ) -> tuple[str, ...]: ...
    async def rename(self, ref: str, new_name: str) -> None: ...
    async def prune(self, filters: Filters) -> PruneReportLike: ...


def _line(stats: Stats) -> bytes:
    return json.dumps(stats_to_wire(stats)).encode() + b"\n"


def setup(backend: ContainerOpsBackend) -> Callable[[web.Application], None]:
    async def top(request: web.Request) -> web.StreamResponse:
        result = await backend.top(request.match_info["id"], request.query.get("ps_args", ""))
        return json_response(top_to_wire(result))

    async def stats(request: web.Request) -> web.StreamResponse:
        samples = backend.stats(
            request.match_info["id"],
            stream=query_bool(request, "stream", True),
            one_shot=query_bool(request, "one-shot"),
        )
        try:
            first = await anext(samples)  # errors (no such container) before any header
        except StopAsyncIteration:
            return json_response(None)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            await response.write(_line(first))
            async for sample in samples:
                await response.write(_line(sample))
        except ConnectionResetError:
            return response
        finally:
            await samples.aclose()
        await response.write_eof()
        return response

    async def update(request: web.Request) -> web.StreamResponse:
        body = await json_body(request)
        if body is None:
            raise InvalidParameter("EOF")
        resources = Resources.from_wire(body, "UpdateConfig")
        policy = decode(
            RestartPolicy,
            body.get("RestartPolicy") if isinstance(body, dict) else None,
            "UpdateConfig.RestartPolicy",
        )
        warnings = await backend.update(request.match_info["id"], resources, policy, os.cpu_count())
        # dockerd 20.10 sends null, not [], when there is nothing to warn about
        return json_response({"Warnings": list(warnings) or None})

    async def rename(request: web.Request) -> web.StreamResponse:
        await backend.rename(request.match_info["id"], request.query.get("name", ""))
        return web.Response(status=204)

    async def prune(request: web.Request) -> web.StreamResponse:
        report = await backend.prune(parse_filters(request.query.get("filters")))
        return json_response(
            {
                "ContainersDeleted": list(report.deleted) or None,
                "SpaceReclaimed": report.space_reclaimed,
            }
        )

    def install(app: web.Application) -> None:
        add_route(app, "GET", "/containers/{id}/top", top)
        add_route(app, "GET", "/containers/{id}/stats", stats)
        add_route(app, "POST", "/containers/{id}/update", update)
        add_route(app, "POST", "/containers/{id}/rename", rename)
        add_route(app, "POST", "/containers/prune", prune)

    return install
