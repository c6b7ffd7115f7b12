"""The aiohttp application: route table, version prefix, and the ONE error mapping.

Every route is served at ``/PATH`` and ``/v1.xx/PATH``. Errors become HTTP here and only
here: a :class:`~dockyard.errors.DockyardError` answers with its ``http_status`` and
``{"message": ...}``; an unknown route answers 404 ``page not found`` in JSON too, because
docker-compose crashes on non-JSON errors.

aiohttp's C request parser drops bytes pipelined after the headers of an ``Upgrade: tcp``
request (the docker CLI sends attach/exec stdin that way), so the pure-Python parser is
installed for every connection this server accepts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import http_parser, web, web_protocol

from dockyard.apitypes.versioning import MAX_VERSION, check_version
from dockyard.errors import DockyardError

__all__ = ["Handler", "add_route", "create_app", "json_response"]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# See the module docstring: the pure-Python parser keeps bytes that follow an Upgrade.
web_protocol.HttpRequestParser = http_parser.HttpRequestParserPy  # type: ignore[attr-defined]


def add_route(app: web.Application, method: str, path: str, handler: Handler) -> None:
    """Register ``path`` with and without the ``/v{version}`` prefix."""
    app.router.add_route(method, path, handler)
    app.router.add_route(method, r"/v{api_version:[0-9]+\.[0-9]+}" + path, handler)


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON as dockerd sends it: ``Content-Type: application/json`` with no charset.

    The docker CLI parses an error's message only when the type is exactly that; with a
    charset it prints the raw JSON body instead.
    """
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json"
    )


def request_version(request: web.Request) -> str:
    """The API version the client asked for (its prefix) or the newest we speak."""
    return request.match_info.get("api_version") or MAX_VERSION


def error_body(message: str) -> dict[str, str]:
    return {"message": message}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        version = request.match_info.get("api_version")
        if version is not None:
            check_version(version)
        return await handler(request)
    except DockyardError as err:
        if err.http_status == 304:
            return web.Response(status=304)
        log.debug("%s %s -> %d %s", request.method, request.path, err.http_status, err)
        return json_response(error_body(err.message), status=err.http_status)
    except web.HTTPNotFound:
        return json_response(error_body("page not found"), status=404)
    except web.HTTPMethodNotAllowed:
        return json_response(error_body("page not found"), status=404)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        return json_response(error_body(err.reason or str(err)), status=err.status)
    except ConnectionResetError:
        raise
    except Exception as err:
        log.exception("%s %s failed", request.method, request.path)
        return json_response(error_body(f"internal error: {err}"), status=500)


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Docker answers every request with its API version and an OSType."""
    log.debug("%s %s", request.method, request.path_qs)
    response = await handler(request)
    if not response.prepared:
        response.headers.setdefault("Api-Version", MAX_VERSION)
        response.headers.setdefault("Ostype", "linux")
        response.headers.setdefault("Server", "Docker/28.0.0 (linux)")
    return response


RouteSetup = Callable[[web.Application], None]


def create_app(*setups: RouteSetup, client_max_size: int = 1 << 40) -> web.Application:
    """Build the app; each ``setup`` adds one section's routes bound to its backend."""
    app = web.Application(
        middlewares=[headers_middleware, error_middleware], client_max_size=client_max_size
    )
    for setup in setups:
        setup(app)
    return app
