"""Decode and encode Docker's wire structs the way Go's encoding/json does.

Docker's request and inspect bodies are Go structs, and clients depend on details of how Go
marshals them: a nil slice is ``null`` but an empty one is ``[]``, ``omitempty`` fields vanish
when zero, a ``null`` for a non-pointer field leaves its zero value, keys match
case-insensitively, unknown keys are ignored. Declaring each dataclass field with
:func:`wf` (wire name + Go type) lets one codec reproduce all of that, and reject a wrong
JSON type with Go's own message::

    json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64

Python shapes of the Go types (the zero value is the field default):

    string / bool / int*, uint*     str / bool / int
    *int64, *bool                   int | None, bool | None
    []string, StrSlice              tuple[str, ...] | None    (StrSlice also accepts "x")
    [][]string                      tuple[tuple[str, ...], ...] | None
    map[string]string               dict[str, str] | None
    PortSet (map[string]struct{})   tuple[str, ...] | None    (the keys)
    [2]uint                         tuple[int, int]
    <Struct>, *<Struct>             the dataclass, dataclass | None
    []<Struct>                      tuple[dataclass, ...] | None
    map[string]<Struct>             dict[str, dataclass] | None
    map[string][]<Struct>           dict[str, tuple[dataclass, ...] | None] | None  (PortMap)
    embed (Go embedded struct)      the dataclass; its keys sit in the parent object
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import MISSING, dataclass
from typing import Any, TypeVar

from dockyard.errors import InvalidParameter

__all__ = ["decode", "encode", "wf"]

T = TypeVar("T")

_INT_RANGES: dict[str, tuple[int, int]] = {
    "int": (-(2**63), 2**63 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint": (0, 2**64 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}


@dataclass(frozen=True, slots=True)
class _Spec:
    wire: str
    go: str
    cls: type[Any] | None
    omitempty: bool


def wf(
    wire: str,
    go: str,
    *,
    cls: type[Any] | None = None,
    omitempty: bool = False,
    default: Any = MISSING,
) -> Any:
    """A dataclass field carried on the wire as ``wire`` with Go type ``go``."""
    spec = _Spec(wire, go, cls, omitempty)
    meta = {"go": spec}
    if default is not MISSING:
        return dataclasses.field(default=default, metadata=meta)
    base = go.lstrip("*")
    if go.startswith("*") or go.startswith(("[]", "map[", "[][]")) or go in ("StrSlice", "PortSet"):
        return dataclasses.field(default=None, metadata=meta)
    if go == "[2]uint":
        return dataclasses.field(default=(0, 0), metadata=meta)
    if base == "string":
        return dataclasses.field(default="", metadata=meta)
    if base == "bool":
        return dataclasses.field(default=False, metadata=meta)
    if base in _INT_RANGES:
        return dataclasses.field(default=0, metadata=meta)
    if cls is not None:
        return dataclasses.field(default_factory=cls, metadata=meta)
    raise TypeError(f"no zero value for Go type {go}")


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _fail(value: Any, path: str, go: str) -> InvalidParameter:
    kind = _json_kind(value)
    if kind == "number" and go.lstrip("*") in _INT_RANGES:
        kind = f"number {value!r}"
    return InvalidParameter(
        f"json: cannot unmarshal {kind} into Go struct field {path} of type {go.lstrip('*')}"
    )


def _scalar(go: str, value: Any, path: str) -> Any:
    base = go.lstrip("*")
    if base == "string":
        if not isinstance(value, str):
            raise _fail(value, path, go)
        return value
    if base == "bool":
        if not isinstance(value, bool):
            raise _fail(value, path, go)
        return value
    low, high = _INT_RANGES[base]
    if isinstance(value, float) and value.is_integer() and low <= value <= high:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(value, path, go)
    return value


def _str_list(value: Any, path: str, go: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail(value, path, go)
    for item in value:
        if not isinstance(item, str):
            raise _fail(item, path, "string")
    return tuple(value)


def _object(value: Any, path: str, go: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(value, path, go)
    return value


def _decode_value(spec: _Spec, value: Any, path: str) -> Any:
    go = spec.go
    if go == "StrSlice":
        return (value,) if isinstance(value, str) else _str_list(value, path, "[]string")
    if go == "[]string":
        return _str_list(value, path, go)
    if go == "[][]string":
        if not isinstance(value, list):
            raise _fail(value, path, go)
        return tuple(() if v is None else _str_list(v, path, "[]string") for v in value)
    if go == "map[string]string":
        return {k: _scalar("string", v, path) for k, v in _object(value, path, go).items()}
    if go == "PortSet":
        return tuple(_object(value, path, "nat.PortSet"))
    if go == "[2]uint":
        if not isinstance(value, list):
            raise _fail(value, path, go)
        nums = [*(_scalar("uint", v, path) for v in value[:2]), 0, 0]
        return nums[0], nums[1]
    if spec.cls is None:
        return _scalar(go, value, path)
    cls = spec.cls
    if go.startswith("map[string][]"):
        return {
            k: None if v is None else _struct_list(cls, v, path, go[len("map[string]") :])
            for k, v in _object(value, path, go).items()
        }
    if go.startswith("map[string]"):
        return {
            k: _decode_struct(cls, _object(v, path, go), path)
            for k, v in _object(value, path, go).items()
            if v is not None
        }
    if go.startswith("[]"):
        return _struct_list(cls, value, path, go)
    return _decode_struct(cls, _object(value, path, go), path)


def _struct_list(cls: type[Any], value: Any, path: str, go: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise _fail(value, path, go)
    return tuple(
        _decode_struct(cls, _object(v, path, go[2:]), path) for v in value if v is not None
    )


def _decode_struct(cls: type[T], doc: Mapping[str, Any], path: str) -> T:
    folded = {k.lower(): v for k, v in doc.items()}
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        spec: _Spec | None = f.metadata.get("go")
        if spec is None:
            continue
        if spec.go == "embed" and spec.cls is not None:
            kwargs[f.name] = _decode_struct(spec.cls, doc, path)
            continue
        value = doc[spec.wire] if spec.wire in doc else folded.get(spec.wire.lower())
        if value is None:
            continue  # Go leaves the zero value (nil for pointers, slices and maps)
        kwargs[f.name] = _decode_value(spec, value, f"{path}.{spec.wire}")
    return cls(**kwargs)


def decode(cls: type[T], doc: Any, struct: str) -> T:
    """``cls`` from a JSON object; ``struct`` names it in errors (``HostConfig``)."""
    if doc is None:
        return cls()
    if not isinstance(doc, dict):
        raise InvalidParameter(
            f"json: cannot unmarshal {_json_kind(doc)} into Go value of type {struct}"
        )
    return _decode_struct(cls, doc, struct)


def _empty(value: Any) -> bool:
    return value is None or value is False or value == 0 or value == "" or value in ((), {})


def _encode_value(spec: _Spec, value: Any) -> Any:
    if value is None:
        return None
    go = spec.go
    if go == "PortSet":
        return {k: {} for k in value}
    if go == "[2]uint":
        return list(value)
    if go == "[][]string":
        return [list(v) for v in value]
    if go in ("[]string", "StrSlice"):
        return list(value)
    if go == "map[string]string":
        return dict(value)
    if spec.cls is None:
        return value
    if go.startswith("map[string][]"):
        return {k: None if v is None else [encode(i) for i in v] for k, v in value.items()}
    if go.startswith("map[string]"):
        return {k: encode(v) for k, v in value.items()}
    if go.startswith("[]"):
        return [encode(v) for v in value]
    return encode(value)


def encode(obj: Any) -> dict[str, Any]:
    """The JSON object Go would marshal for ``obj`` (fields in declaration order)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        spec: _Spec | None = f.metadata.get("go")
        if spec is None:
            continue
        value = getattr(obj, f.name)
        if spec.go == "embed":
            out.update(encode(value))
            continue
        if spec.omitempty and _empty(value):
            continue
        out[spec.wire] = _encode_value(spec, value)
    return out
