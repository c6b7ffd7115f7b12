"""``/networks`` routes: list, inspect, create, rm, prune, connect, disconnect.

Wire shapes are dockerd's (20.10 / API 1.41+): a network is ``Name``, ``Id``, ``Created``,
``Scope``, ``Driver``, ``EnableIPv6``, ``IPAM`` {Driver, Options, Config [{Subnet, Gateway,
IPRange}]}, ``Internal``, ``Attachable``, ``Ingress``, ``ConfigFrom``, ``ConfigOnly``,
``Containers`` (inspect only: the running containers' endpoints), ``Options``, ``Labels``.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from dockyard.api.params import json_body
from dockyard.api.server import add_route, json_response
from dockyard.apitypes.filters import Filters, parse_filters
from dockyard.apitypes.networking_config import EndpointSettings
from dockyard.daemon.networks.records import NetworkRecord
from dockyard.daemon.networks.service import IpamConfig, NetworkCreate, NetworkDetails
from dockyard.errors import InvalidParameter
from dockyard.util.timefmt import rfc3339_nano

__all__ = ["NetworkBackend", "create_request", "network_to_wire", "setup"]


class NetworkBackend(Protocol):
    def list(self, filters: Filters) -> list[NetworkDetails]: ...
    def inspect(self, ref: str) -> NetworkDetails: ...
    def create(self, req: NetworkCreate) -> NetworkRecord: ...
    def remove(self, ref: str) -> None: ...
    def prune(self, filters: Filters) -> builtins.list[str]: ...
    def connect(self, net: str, container: str, settings: EndpointSettings | None) -> None: ...
    def disconnect(self, net: str, container: str, force: bool) -> None: ...


def network_to_wire(d: NetworkDetails, *, containers: bool = True) -> dict[str, Any]:
    r = d.record
    config: list[dict[str, str]] = []
    if r.subnet is not None:
        entry = {"Subnet": str(r.subnet)}
        if r.ip_range is not None:
            entry["IPRange"] = str(r.ip_range)
        if r.gateway is not None:
            entry["Gateway"] = str(r.gateway)
        config.append(entry)
    default_bridge = r.name == "bridge"
    members: dict[str, Any] = {}
    for cid, name, att in d.containers if containers else ():
        prefix = r.subnet.prefixlen if r.subnet is not None else 0
        members[cid] = {
            "Name": name,
            "EndpointID": att.endpoint_id,
            "MacAddress": att.mac,
            "IPv4Address": f"{att.ip}/{prefix}" if att.ip is not None else "",
            "IPv6Address": "",
        }
    return {
        "Name": r.name,
        "Id": r.id,
        "Created": rfc3339_nano(r.created),
        "Scope": "local",
        "Driver": r.driver,
        "EnableIPv6": False,
        "IPAM": {
            "Driver": "default",
            "Options": None if r.builtin else {},
            "Config": config,
        },
        "Internal": r.internal,
        "Attachable": r.attachable,
        "Ingress": False,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": members,
        "Options": dict(r.options) if r.options or not default_bridge else {},
        "Labels": dict(r.labels),
    }


def _str_map(doc: Any, key: str) -> dict[str, str]:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise InvalidParameter(f"json: cannot unmarshal {key} into map[string]string")
    return {str(k): str(v) for k, v in value.items()}


def create_request(doc: Any) -> NetworkCreate:
    if not isinstance(doc, dict):
        raise InvalidParameter("invalid JSON: expected an object")
    ipam_doc = doc.get("IPAM") or {}
    if not isinstance(ipam_doc, dict):
        raise InvalidParameter("json: cannot unmarshal IPAM into network.IPAM")
    if ipam_doc.get("Driver") not in (None, "", "default"):
        raise InvalidParameter(f'plugin "{ipam_doc["Driver"]}" not found')
    configs = tuple(
        IpamConfig(
            subnet=str(c.get("Subnet") or ""),
            ip_range=str(c.get("IPRange") or ""),
            gateway=str(c.get("Gateway") or ""),
        )
        for c in ipam_doc.get("Config") or ()
        if isinstance(c, dict)
    )
    return NetworkCreate(
        name=str(doc.get("Name") or ""),
        driver=str(doc.get("Driver") or "bridge"),
        internal=bool(doc.get("Internal")),
        attachable=bool(doc.get("Attachable")),
        enable_ipv6=bool(doc.get("EnableIPv6")),
        ipam=configs,
        labels=_str_map(doc, "Labels"),
        options=_str_map(doc, "Options"),
    )


def setup(backend: NetworkBackend) -> Callable[[web.Application], None]:
    async def list_(request: web.Request) -> web.StreamResponse:
        filters = parse_filters(request.query.get("filters"))
        found = await asyncio.to_thread(backend.list, filters)
        return json_response([network_to_wire(d, containers=False) for d in found])

    async def inspect(request: web.Request) -> web.StreamResponse:
        details = await asyncio.to_thread(backend.inspect, request.match_info["id"])
        return json_response(network_to_wire(details))

    async def create(request: web.Request) -> web.StreamResponse:
        req = create_request(await json_body(request) or {})
        rec = await asyncio.to_thread(backend.create, req)
        return json_response({"Id": rec.id, "Warning": ""}, status=201)

    async def remove(request: web.Request) -> web.StreamResponse:
        await asyncio.to_thread(backend.remove, request.match_info["id"])
        return web.Response(status=204)

    async def prune(request: web.Request) -> web.StreamResponse:
        filters = parse_filters(request.query.get("filters"))
        removed = await asyncio.to_thread(backend.prune, filters)
        return json_response({"NetworksDeleted": removed or None})

    async def connect(request: web.Request) -> web.StreamResponse:
        body = await json_body(request) or {}
        if not isinstance(body, dict) or not body.get("Container"):
            raise InvalidParameter("no container specified")
        raw = body.get("EndpointConfig")
        settings = EndpointSettings.from_wire(raw) if raw else None
        await asyncio.to_thread(
            backend.connect, request.match_info["id"], str(body["Container"]), settings
        )
        return web.Response(status=200)

    async def disconnect(request: web.Request) -> web.StreamResponse:
        body = await json_body(request) or {}
        if not isinstance(body, dict) or not body.get("Container"):
            raise InvalidParameter("no container specified")
        await asyncio.to_thread(
            backend.disconnect,
            request.match_info["id"],
            str(body["Container"]),
            bool(body.get("Force")),
        )
        return web.Response(status=200)

    def install(app: web.Application) -> None:
        add_route(app, "GET", "/networks", list_)
        add_route(app, "GET", "/networks/", list_)
        add_route(app, "POST", "/networks/create", create)
        add_route(app, "POST", "/networks/prune", prune)
        add_route(app, "GET", "/networks/{id}", inspect)
        add_route(app, "DELETE", "/networks/{id}", remove)
        add_route(app, "POST", "/networks/{id}/connect", connect)
        add_route(app, "POST", "/networks/{id}/disconnect", disconnect)

    return install
