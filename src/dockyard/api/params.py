"""Query parameters as dockerd parses them (Go's strconv rules, Docker's error texts)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from dockyard.errors import InvalidParameter

__all__ = ["json_body", "query_bool", "query_int", "query_optional_int"]

_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False", ""})


def query_bool(request: web.Request, name: str, default: bool = False) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise InvalidParameter(f'invalid value for {name}: strconv.ParseBool: parsing "{raw}"')


def query_optional_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as err:
        raise InvalidParameter(f'invalid value for {name}: strconv.Atoi: parsing "{raw}"') from err


def query_int(request: web.Request, name: str, default: int) -> int:
    value = query_optional_int(request, name)
    return default if value is None else value


async def json_body(request: web.Request) -> Any:
    """The request's JSON body; an empty body is ``None``, bad JSON a 400 naming why."""
    data = await request.read()
    if not data.strip():
        return None
    try:
        return json.loads(data)
    except ValueError as err:
        raise InvalidParameter(f"invalid JSON: {err}") from err
