"""Signal names as Docker accepts them: ``SIGTERM``, ``TERM``, ``term``, ``15``."""

from __future__ import annotations

import signal

from dockyard.errors import InvalidParameter

__all__ = ["parse_signal"]


def parse_signal(text: str | int) -> int:
    if isinstance(text, int):
        number = text
    else:
        raw = text.strip()
        if raw.isdigit():
            number = int(raw)
        else:
            name = raw.upper()
            if not name.startswith("SIG"):
                name = "SIG" + name
            try:
                number = int(signal.Signals[name])
            except KeyError as err:
                raise InvalidParameter(f"Invalid signal: {text}") from err
    if not 0 < number < 65:
        raise InvalidParameter(f"Invalid signal: {text}")
    return number
