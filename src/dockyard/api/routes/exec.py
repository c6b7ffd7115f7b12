"""Exec routes: create, start (detached, or hijacked like attach), resize, inspect.

dockerd parses the start request and looks the exec up before it hijacks; every later error
of an attached start is written into the stream (the backend does that), a detached one's is
a plain JSON error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from dockyard.api.hijack import hijack
from dockyard.api.params import json_body
from dockyard.api.routes.attach import (
    HijackedConn,
    dimension,
    end_hijack,
    stream_content_type,
)
from dockyard.api.server import add_route, json_response
from dockyard.daemon.containers.attach import ClientConn
from dockyard.daemon.containers.exec import ExecStartOptions, ExecView
from dockyard.daemon.containers.store import ExecProcess
from dockyard.errors import InvalidParameter

__all__ = ["ExecBackend", "exec_process_from_wire", "exec_view_to_wire", "setup"]


class ExecBackend(Protocol):
    async def exec_create(self, ref: str, process: ExecProcess) -> str: ...
    async def exec_start(self, eid: str, opts: ExecStartOptions) -> None: ...
    async def exec_run_attached(
        self, eid: str, opts: ExecStartOptions, conn: ClientConn
    ) -> None: ...
    def exec_inspect(self, eid: str) -> ExecView: ...
    async def exec_resize(self, eid: str, height: int, width: int) -> None: ...


def _strings(doc: dict[str, Any], key: str) -> tuple[str, ...]:
    value = doc.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameter(f"json: cannot unmarshal {key} into a list of strings")
    return tuple(value)


def _bool(doc: dict[str, Any], key: str) -> bool:
    value = doc.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidParameter(f"json: cannot unmarshal {key} into Go value of type bool")
    return value


def _str(doc: dict[str, Any], key: str) -> str:
    value = doc.get(key) or ""
    if not isinstance(value, str):
        raise InvalidParameter(f"json: cannot unmarshal {key} into Go value of type string")
    return value


def _console_size(doc: dict[str, Any]) -> tuple[int, int] | None:
    size = doc.get("ConsoleSize")
    if size is None:
        return None
    if (
        not isinstance(size, list)
        or len(size) != 2
        or not all(isinstance(n, int) and n >= 0 for n in size)
    ):
        raise InvalidParameter("ConsoleSize must be an array of two non-negative integers")
    return size[0], size[1]


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidParameter("invalid JSON: expected an object")
    return body


def exec_process_from_wire(body: Any) -> ExecProcess:
    doc = _object(body)
    return ExecProcess(
        cmd=_strings(doc, "Cmd"),
        env=_strings(doc, "Env"),
        user=_str(doc, "User"),
        working_dir=_str(doc, "WorkingDir"),
        tty=_bool(doc, "Tty"),
        privileged=_bool(doc, "Privileged"),
        attach_stdin=_bool(doc, "AttachStdin"),
        attach_stdout=_bool(doc, "AttachStdout"),
        attach_stderr=_bool(doc, "AttachStderr"),
        detach_keys=_str(doc, "DetachKeys"),
        console_size=_console_size(doc),
    )


def exec_view_to_wire(view: ExecView) -> dict[str, Any]:
    p = view.process
    return {
        "ID": view.id,
        "Running": view.running,
        "ExitCode": view.exit_code,
        "ProcessConfig": {
            "tty": p.tty,
            "entrypoint": p.cmd[0] if p.cmd else "",
            "arguments": list(p.cmd[1:]),
            "privileged": p.privileged,
            "user": p.user,
        },
        "OpenStdin": p.attach_stdin,
        "OpenStderr": p.attach_stderr,
        "OpenStdout": p.attach_stdout,
        "CanRemove": False,
        "ContainerID": view.container_id,
        "DetachKeys": p.detach_keys,
        "Pid": view.pid,
    }


def setup(backend: ExecBackend) -> Callable[[web.Application], None]:
    async def create(request: web.Request) -> web.StreamResponse:
        process = exec_process_from_wire(await json_body(request))
        eid = await backend.exec_create(request.match_info["id"], process)
        return json_response({"Id": eid}, status=201)

    async def start(request: web.Request) -> web.StreamResponse:
        doc = _object(await json_body(request))
        opts = ExecStartOptions(
            detach=_bool(doc, "Detach"), tty=_bool(doc, "Tty"), console_size=_console_size(doc)
        )
        eid = request.match_info["id"]
        await asyncio.to_thread(backend.exec_inspect, eid)  # NotFound before any hijack
        if opts.detach:
            await backend.exec_start(eid, opts)
            return web.Response(status=200)
        hijacked = await hijack(request, stream_content_type(request, opts.tty))
        try:
            await backend.exec_run_attached(eid, opts, HijackedConn(hijacked))
        finally:
            await end_hijack(request, hijacked)
        return hijacked.response

    async def resize(request: web.Request) -> web.StreamResponse:
        height, width = dimension(request, "h"), dimension(request, "w")
        await backend.exec_resize(request.match_info["id"], height, width)
        return web.Response(status=200)

    async def inspect(request: web.Request) -> web.StreamResponse:
        view = await asyncio.to_thread(backend.exec_inspect, request.match_info["id"])
        return json_response(exec_view_to_wire(view))

    def install(app: web.Application) -> None:
        add_route(app, "POST", "/containers/{id}/exec", create)
        add_route(app, "POST", "/exec/{id}/start", start)
        add_route(app, "POST", "/exec/{id}/resize", resize)
        add_route(app, "GET", "/exec/{id}/json", inspect)

    return install
