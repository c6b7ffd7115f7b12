"""System routes and the API's cross-cutting behaviour (versions, errors, hijack)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from dockyard.api.hijack import hijack
from dockyard.api.routes import system
from dockyard.api.server import add_route, create_app
from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.system import ContainerCounts, SystemService
from dockyard.errors import Conflict, NotModified
from dockyard.events.bus import Event, EventBus

ClientFactory = Callable[[web.Application], Any]


class FakeSystem:
    """The SystemBackend over a real SystemService and EventBus, without a data root."""

    def __init__(self) -> None:
        self.events = EventBus()
        self.service = SystemService(
            DaemonConfig(),
            engine_id="engine-1",
            image_count=lambda: 3,
            container_counts=lambda: ContainerCounts(running=1, stopped=2),
            event_listeners=lambda: self.events.listeners,
            storage_driver="overlayfs",
            storage_status=list,
        )

    def version(self) -> Any:
        return self.service.version()

    def info(self) -> Any:
        return self.service.info()

    def disk_usage(self) -> dict[str, Any]:
        return {"LayersSize": 0, "Images": [], "Containers": [], "Volumes": [], "BuildCache": []}

    def subscribe(self, subscriber: Callable[[Event], None]) -> list[Event]:
        return self.events.subscribe(subscriber)

    def unsubscribe(self, subscriber: Callable[[Event], None]) -> None:
        self.events.unsubscribe(subscriber)


def make_app(backend: FakeSystem | None = None) -> web.Application:
    backend = backend or FakeSystem()

    async def conflict(_: web.Request) -> web.StreamResponse:
        raise Conflict('Conflict. The container name "/x" is already in use')

    async def not_modified(_: web.Request) -> web.StreamResponse:
        raise NotModified("already started")

    async def crash(_: web.Request) -> web.StreamResponse:
        raise ValueError("unexpected")

    def extra(app: web.Application) -> None:
        add_route(app, "POST", "/test/conflict", conflict)
        add_route(app, "POST", "/test/not-modified", not_modified)
        add_route(app, "GET", "/test/crash", crash)

    return create_app(system.setup(backend), extra)


async def test_ping_sends_docker_headers(aiohttp_client: ClientFactory) -> None:
    client: TestClient[Any, Any] = await aiohttp_client(make_app())
    for method in ("GET", "HEAD"):
        resp = await client.request(method, "/_ping")
        assert resp.status == 200
        assert resp.headers["Api-Version"] == "1.45"
        assert resp.headers["Ostype"] == "linux"
        assert resp.headers["Docker-Experimental"] == "false"
        assert resp.headers["Builder-Version"] == "1"
    assert await (await client.get("/_ping")).text() == "OK"


async def test_routes_answer_with_and_without_version_prefix(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_app())
    plain = await (await client.get("/version")).json()
    prefixed = await (await client.get("/v1.41/version")).json()
    assert plain["ApiVersion"] == prefixed["ApiVersion"] == "1.45"
    assert plain["MinAPIVersion"] == "1.24"
    assert plain["Os"] == "linux"


async def test_too_new_version_is_docker_400(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.get("/v1.99/version")
    assert resp.status == 400
    assert (await resp.json())["message"] == (
        "client version 1.99 is too new. Maximum supported API version is 1.45"
    )


async def test_too_old_version_is_docker_400(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.get("/v1.12/info")
    assert resp.status == 400
    assert "is too old. Minimum supported API version is 1.24" in (await resp.json())["message"]


async def test_unknown_route_is_json_404(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_app())
    for path in ("/nope", "/v1.45/containers/x/bogus"):
        resp = await client.get(path)
        assert resp.status == 404
        assert await resp.json() == {"message": "page not found"}


async def test_wrong_method_is_json_404(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.delete("/version")
    assert resp.status == 404
    assert await resp.json() == {"message": "page not found"}


async def test_dockyard_error_maps_to_its_status(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.post("/test/conflict")
    assert resp.status == 409
    assert (await resp.json())["message"].startswith("Conflict. The container name")


async def test_errors_are_plain_application_json(aiohttp_client: ClientFactory) -> None:
    """The docker CLI prints the message only for exactly this content type."""
    client = await aiohttp_client(make_app())
    for resp in (await client.post("/test/conflict"), await client.get("/nope")):
        assert resp.headers["Content-Type"] == "application/json"


async def test_not_modified_has_no_body(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.post("/test/not-modified")
    assert resp.status == 304
    assert await resp.read() == b""


async def test_unexpected_exception_is_json_500(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.get("/test/crash")
    assert resp.status == 500
    assert "unexpected" in (await resp.json())["message"]


async def test_info_reports_counts_from_services(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_app())
    info = await (await client.get("/info")).json()
    assert info["Images"] == 3
    assert (info["Containers"], info["ContainersRunning"], info["ContainersStopped"]) == (3, 1, 2)
    assert info["ID"] == "engine-1"
    assert info["OSType"] == "linux"
    assert info["NCPU"] >= 1
    assert info["MemTotal"] > 0
    assert info["CgroupVersion"] in ("1", "2")


async def test_events_replays_history_between_since_and_until(
    aiohttp_client: ClientFactory,
) -> None:
    backend = FakeSystem()
    client = await aiohttp_client(make_app(backend))
    before = time.time()
    backend.events.emit("image", "tag", "sha256:a", name="busybox:latest")
    backend.events.emit("container", "start", "c1", name="web")
    until = time.time()
    resp = await client.get(
        "/events",
        params={
            "since": f"{before - 1:.9f}",
            "until": f"{until:.9f}",
            "filters": json.dumps({"type": ["image"]}),
        },
    )
    lines = [json.loads(line) for line in (await resp.text()).splitlines()]
    assert [(e["Type"], e["Action"], e["Actor"]["ID"]) for e in lines] == [
        ("image", "tag", "sha256:a")
    ]
    assert lines[0]["Actor"]["Attributes"] == {"name": "busybox:latest"}


async def test_events_stream_delivers_new_events(aiohttp_client: ClientFactory) -> None:
    backend = FakeSystem()
    client = await aiohttp_client(make_app(backend))
    resp = await client.get("/events")
    assert resp.status == 200
    while backend.events.listeners == 0:
        await asyncio.sleep(0.01)
    backend.events.emit("container", "die", "c1", exitCode="0")
    line = await asyncio.wait_for(resp.content.readline(), 5)
    event = json.loads(line)
    assert (event["Type"], event["Action"], event["status"]) == ("container", "die", "die")
    resp.close()


async def test_events_rejects_unknown_filter(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.get("/events", params={"filters": json.dumps({"bogus": ["x"]})})
    assert resp.status == 400
    assert (await resp.json())["message"] == "invalid filter 'bogus'"


async def test_hijack_keeps_bytes_sent_with_the_upgrade_headers() -> None:
    """docker sends attach stdin in the same packet as the headers; none may be lost."""

    async def echo(request: web.Request) -> web.StreamResponse:
        conn = await hijack(request, "application/vnd.docker.raw-stream")
        data = await conn.reader.readexactly(11)
        await conn.write(b"echo:" + data)
        await conn.close()
        return conn.response

    def routes(app: web.Application) -> None:
        add_route(app, "POST", "/echo", echo)

    server = TestServer(create_app(routes))
    await server.start_server()
    try:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(
            b"POST /v1.45/echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
            b"Upgrade: tcp\r\nContent-Length: 0\r\n\r\nhello stdin"
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 101")
        assert b"application/vnd.docker.raw-stream" in head
        body = await asyncio.wait_for(reader.read(100), 5)
        assert body == b"echo:hello stdin"
        writer.close()
    finally:
        await server.close()
