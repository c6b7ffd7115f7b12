"""Encoding and decoding of the monitor protocol's lines (the shapes are in protocol.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from dockyard.runtime.monitor.protocol import (
    HELLO,
    REQUEST_TYPES,
    VERSION,
    AttachStreams,
    ContainerInfo,
    ExecInfo,
    ExitEvent,
    Hello,
    Message,
    ProtocolError,
    Reply,
    Request,
    RuntimeRef,
)

__all__ = ["decode_hello", "decode_request", "decode_server_message", "encode"]


# -- encoding ------------------------------------------------------------------------------


def _streams_json(s: AttachStreams) -> dict[str, bool]:
    return {"stdin": s.stdin, "stdout": s.stdout, "stderr": s.stderr}


def _to_json(msg: Message) -> dict[str, Any]:
    if isinstance(msg, Hello):
        return msg.to_json()
    if isinstance(msg, ExitEvent):
        out: dict[str, Any] = {"event": "exit", "cid": msg.cid, "exec_id": msg.exec_id}
        return {**out, "status": msg.status, "oom": msg.oom, "time": msg.time}
    if isinstance(msg, Reply):
        out = {"id": msg.id, "ok": msg.ok}
        if not msg.ok:
            out |= {"error": msg.error, "kind": msg.kind}
        if msg.pid is not None:
            out["pid"] = msg.pid
        if msg.containers is not None:
            out["containers"] = [_container_json(c) for c in msg.containers]
        return out
    out = {"op": msg.OP}
    for f in fields(msg):
        name, value = f.name, getattr(msg, f.name)
        if isinstance(value, RuntimeRef):
            value = {"name": value.name, "binary": value.binary, "root": value.root}
        elif isinstance(value, AttachStreams):
            value = _streams_json(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[name] = value
    return out


def _container_json(c: ContainerInfo) -> dict[str, Any]:
    execs = [
        {
            "exec_id": e.exec_id,
            "pid": e.pid,
            "status": e.status,
            "exit_code": e.exit_code,
            "exited_at": e.exited_at,
        }
        for e in c.execs
    ]
    return {
        "cid": c.cid,
        "pid": c.pid,
        "status": c.status,
        "exit_code": c.exit_code,
        "exited_at": c.exited_at,
        "oom": c.oom,
        "execs": execs,
    }


def encode(msg: Message) -> bytes:
    return json.dumps(_to_json(msg), separators=(",", ":")).encode() + b"\n"


# -- decoding ------------------------------------------------------------------------------


def _load(line: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(line)
    except ValueError as err:
        raise ProtocolError(f"monitor protocol: not JSON: {line[:80]!r}") from err
    if not isinstance(raw, dict):
        raise ProtocolError(f"monitor protocol: not an object: {line[:80]!r}")
    return raw


def decode_hello(line: bytes) -> Hello:
    raw = _load(line)
    if raw.get("hello") != HELLO:
        raise ProtocolError(f"monitor protocol: expected a hello, got {line[:80]!r}")
    if raw.get("version") != VERSION:
        raise ProtocolError(f"monitor protocol: version {raw.get('version')} != {VERSION}")
    return Hello()


def decode_request(line: bytes) -> Request:
    raw = _load(line)
    cls = REQUEST_TYPES.get(str(raw.get("op")))
    if cls is None or not isinstance(raw.get("id"), int):
        raise ProtocolError(f"monitor protocol: unknown request {line[:80]!r}")
    try:
        return cls(**_request_kwargs(cls, raw))
    except (TypeError, KeyError, AttributeError) as err:
        message = f"monitor protocol: bad {cls.OP} request: {err}"
        raise ProtocolError(message, raw["id"]) from err


def _request_kwargs(cls: type[Request], raw: Mapping[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in raw:
            continue
        value = raw[f.name]
        if f.name == "runtime":
            value = RuntimeRef(str(value["name"]), str(value["binary"]), str(value["root"]))
        elif f.name in ("attach", "streams") and value is not None:
            value = AttachStreams(
                bool(value.get("stdin")), bool(value.get("stdout")), bool(value.get("stderr"))
            )
        kwargs[f.name] = value
    return kwargs


def _container_from_json(raw: Mapping[str, Any]) -> ContainerInfo:
    return ContainerInfo(
        cid=raw["cid"],
        pid=raw["pid"],
        status=raw["status"],
        exit_code=raw.get("exit_code"),
        exited_at=raw.get("exited_at"),
        oom=bool(raw.get("oom")),
        execs=tuple(
            ExecInfo(e["exec_id"], e["pid"], e["status"], e.get("exit_code"), e.get("exited_at"))
            for e in raw.get("execs", ())
        ),
    )


def decode_server_message(line: bytes) -> Reply | ExitEvent:
    raw = _load(line)
    try:
        if raw.get("event") == "exit":
            return ExitEvent(
                cid=raw["cid"],
                exec_id=raw.get("exec_id"),
                status=raw.get("status"),
                time=float(raw["time"]),
                oom=bool(raw.get("oom")),
            )
        containers = raw.get("containers")
        return Reply(
            id=int(raw["id"]),
            ok=bool(raw["ok"]),
            error=raw.get("error"),
            kind=raw.get("kind"),
            pid=raw.get("pid"),
            containers=None
            if containers is None
            else tuple(_container_from_json(c) for c in containers),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ProtocolError(f"monitor protocol: bad message {line[:80]!r}: {err}") from err
