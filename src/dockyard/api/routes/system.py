"""/_ping, /version, /info, /events, /system/df."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from dockyard.api.server import add_route, json_response
from dockyard.apitypes.filters import parse_filters, validate_keys
from dockyard.apitypes.system import event_to_wire, info_to_wire, version_to_wire
from dockyard.apitypes.versioning import MAX_VERSION
from dockyard.errors import InvalidParameter
from dockyard.events.bus import Event, matches
from dockyard.util.timefmt import parse_rfc3339

__all__ = ["SystemBackend", "setup"]

EVENT_FILTERS = (
    "config container daemon event image label network node plugin scope secret service type volume"
).split()


class SystemBackend(Protocol):
    def version(self) -> Any: ...

    def info(self) -> Any: ...

    def disk_usage(self) -> dict[str, Any]:
        """The /system/df document (each service contributes its section)."""
        ...

    def subscribe(self, subscriber: Callable[[Event], None]) -> list[Event]: ...

    def unsubscribe(self, subscriber: Callable[[Event], None]) -> None: ...


PING_HEADERS = {
    "Api-Version": MAX_VERSION,
    "Ostype": "linux",
    "Docker-Experimental": "false",
    "Builder-Version": "1",
    "Cache-Control": "no-cache, no-store, must-revalidate",
    "Pragma": "no-cache",
}


def parse_event_time(text: str, name: str) -> float:
    """``since``/``until``: Unix seconds with an optional fraction, or RFC 3339."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_rfc3339(text)
    except ValueError as err:
        raise InvalidParameter(f"invalid value for {name}: {text!r}") from err


def setup(backend: SystemBackend) -> Callable[[web.Application], None]:
    async def ping(request: web.Request) -> web.StreamResponse:
        body = b"" if request.method == "HEAD" else b"OK"
        return web.Response(body=body, content_type="text/plain", headers=PING_HEADERS)

    async def version(_: web.Request) -> web.StreamResponse:
        return json_response(version_to_wire(await asyncio.to_thread(backend.version)))

    async def info(_: web.Request) -> web.StreamResponse:
        return json_response(info_to_wire(await asyncio.to_thread(backend.info)))

    async def disk_usage(_: web.Request) -> web.StreamResponse:
        return json_response(await asyncio.to_thread(backend.disk_usage))

    async def events(request: web.Request) -> web.StreamResponse:
        filters = parse_filters(request.query.get("filters"))
        validate_keys(filters, EVENT_FILTERS)
        now = time.time()
        since = request.query.get("since")
        until = request.query.get("until")
        since_t = parse_event_time(since, "since") if since else None
        until_t = parse_event_time(until, "until") if until else None
        if since_t is not None and until_t is not None and since_t > until_t:
            raise InvalidParameter("`since` time must be before `until`")
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Event] = asyncio.Queue()

        def deliver(event: Event) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, event)

        history = backend.subscribe(deliver)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        try:
            await response.prepare(request)

            async def send(event: Event) -> None:
                line = json.dumps(event_to_wire(event)) + "\n"
                await response.write(line.encode())

            if since_t is not None:
                for event in history:
                    t = event.time_nano / 1e9
                    if (
                        t >= since_t
                        and (until_t is None or t <= until_t)
                        and matches(event, filters)
                    ):
                        await send(event)
            if until_t is not None and until_t <= now:
                return response
            while True:
                timeout = None if until_t is None else max(0.0, until_t - time.time())
                try:
                    event = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    break
                if until_t is not None and event.time_nano / 1e9 > until_t:
                    break
                if matches(event, filters):
                    await send(event)
        finally:
            backend.unsubscribe(deliver)
        return response

    def install(app: web.Application) -> None:
        app.router.add_route("GET", "/_ping", ping)
        app.router.add_route("HEAD", "/_ping", ping)
        app.router.add_route("GET", r"/v{api_version:[0-9]+\.[0-9]+}/_ping", ping)
        app.router.add_route("HEAD", r"/v{api_version:[0-9]+\.[0-9]+}/_ping", ping)
        add_route(app, "GET", "/version", version)
        add_route(app, "GET", "/info", info)
        add_route(app, "GET", "/events", events)
        add_route(app, "GET", "/system/df", disk_usage)

    return install
