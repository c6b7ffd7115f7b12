"""JSON decoding without importing :mod:`json` (whose ``re`` dependency costs ~10 ms).

It drives the same C scanner :mod:`json` uses, so results are identical for valid input.
Encoding is rare on the CLI's hot paths; callers import :mod:`json` for it.
"""

from __future__ import annotations

import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["JSONDecodeError", "loads"]

_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
_WHITESPACE = " \t\n\r"


class JSONDecodeError(ValueError):
    """The text is not one JSON document."""


class _Context:
    """The attributes ``_json.make_scanner`` reads from a decoder."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__
    memo: dict[str, str] = {}


_scan = _json.make_scanner(_Context())  # type: ignore[arg-type]  # duck-typed context


def loads(data: bytes | str) -> Any:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as err:
        raise JSONDecodeError(f"invalid JSON at offset {err.value}") from None
    except ValueError as err:
        raise JSONDecodeError(str(err)) from None
    if text[end:].strip(_WHITESPACE):
        raise JSONDecodeError(f"extra data at offset {end}")
    return value
