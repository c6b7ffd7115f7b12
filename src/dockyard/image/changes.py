"""``--change`` instructions of ``docker import``/``commit``: Dockerfile lines -> image config.

Supported, as Docker does for commit/import: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD,
STOPSIGNAL, USER, VOLUME, WORKDIR. CMD/ENTRYPOINT/VOLUME take the JSON-array form or the
shell form (``/bin/sh -c``); ENV/LABEL take ``k=v ...`` with quotes or the legacy
``ENV k value with spaces``; ``$VAR``/``${VAR}``/``${VAR:-x}``/``${VAR:+x}`` expand from the
image's environment as the builder does. Pure functions: config in, config out.
"""

from __future__ import annotations

import json
import posixpath
import re
import signal
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from dockyard.errors import InvalidParameter
from dockyard.oci.image import ContainerConfig

__all__ = ["apply_changes", "parse_json_array", "process_word", "split_words"]

ALLOWED = frozenset(
    "CMD ENTRYPOINT ENV EXPOSE LABEL ONBUILD STOPSIGNAL USER VOLUME WORKDIR".split()
)
KNOWN = ALLOWED | frozenset("ADD ARG COPY FROM HEALTHCHECK MAINTAINER RUN SHELL".split())
DEFAULT_SHELL = ["/bin/sh", "-c"]
_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_json_array(text: str) -> list[str] | None:
    """The exec form ``["a", "b"]``, or None when ``text`` is not a JSON array of strings."""
    text = text.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value


def split_words(text: str) -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes for :func:`process_word`."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quote != "'" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch.isspace():
            if current:
                words.append("".join(current))
                current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    if quote:
        raise InvalidParameter(f"unexpected end of statement while looking for matching {quote}")
    if current:
        words.append("".join(current))
    return words


def _lookup(env: Sequence[str], name: str) -> str | None:
    for entry in reversed(env):
        key, sep, value = entry.partition("=")
        if key == name:
            return value if sep else ""
    return None


def _expand_braced(text: str, i: int, env: Sequence[str]) -> tuple[str, int]:
    """``${...}`` starting after ``${``; returns the value and the index after ``}``."""
    end = text.find("}", i)
    if end < 0:
        raise InvalidParameter(f"missing '}}' in {text!r}")
    body = text[i:end]
    match = _VAR.match(body)
    if match is None:
        raise InvalidParameter(f"bad substitution: ${{{body}}}")
    name, rest = match.group(0), body[match.end() :]
    value = _lookup(env, name)
    if rest.startswith(":-"):
        return (value if value else process_word(rest[2:], env)), end + 1
    if rest.startswith(":+"):
        return (process_word(rest[2:], env) if value else ""), end + 1
    if rest:
        raise InvalidParameter(f"bad substitution: ${{{body}}}")
    return value or "", end + 1


def process_word(word: str, env: Sequence[str]) -> str:
    """Remove quotes and escapes and expand variables (not inside single quotes)."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(word):
        ch = word[i]
        if ch == "\\" and quote != "'" and i + 1 < len(word):
            out.append(word[i + 1])
            i += 2
        elif quote and ch == quote:
            quote = ""
            i += 1
        elif not quote and ch in "'\"":
            quote = ch
            i += 1
        elif ch == "$" and quote != "'" and i + 1 < len(word):
            if word[i + 1] == "{":
                value, i = _expand_braced(word, i + 2, env)
                out.append(value)
                continue
            match = _VAR.match(word, i + 1)
            if match is None:
                out.append(ch)
                i += 1
                continue
            out.append(_lookup(env, match.group(0)) or "")
            i = match.end()
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _pairs(instruction: str, args: str, env: Sequence[str]) -> list[tuple[str, str]]:
    words = split_words(args)
    if not words:
        raise InvalidParameter(f"{instruction} requires at least one argument")
    if "=" not in words[0]:
        # Legacy form: the first word is the key, the rest of the line the value.
        key, *rest = re.split(r"\s+", args.strip(), maxsplit=1)
        if not rest:
            raise InvalidParameter(f"{instruction} must have two arguments")
        return [(process_word(key, env), process_word(rest[0], env))]
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise InvalidParameter(f"{instruction} names can not be blank or lack '=': {word!r}")
        pairs.append((process_word(key, env), process_word(value, env)))
    return pairs


def _command(args: str) -> list[str]:
    exec_form = parse_json_array(args)
    if exec_form is not None:
        return exec_form
    return [*DEFAULT_SHELL, args.strip()]


def _ports(args: str, env: Sequence[str]) -> list[str]:
    out: list[str] = []
    for word in split_words(args):
        spec = process_word(word, env)
        port, _, proto = spec.partition("/")
        proto = proto.lower() or "tcp"
        if proto not in ("tcp", "udp", "sctp"):
            raise InvalidParameter(f"invalid proto: {proto}")
        low, _, high = port.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise InvalidParameter(f"invalid containerPort: {port}")
        start, end = int(low), int(high or low)
        if not 0 < start <= end <= 65535:
            raise InvalidParameter(f"invalid containerPort: {port}")
        out.extend(f"{p}/{proto}" for p in range(start, end + 1))
    if not out:
        raise InvalidParameter("EXPOSE requires at least one argument")
    return out


def _stop_signal(text: str) -> str:
    if text.isdigit():
        if not 0 < int(text) < signal.NSIG:
            raise InvalidParameter(f"Invalid signal: {text}")
        return text
    name = text.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    if not hasattr(signal.Signals, name) and not re.fullmatch(r"SIGRTM(IN|AX)([+-]\d+)?", name):
        raise InvalidParameter(f"Invalid signal: {text}")
    return text


def _logical_lines(changes: Sequence[str]) -> list[str]:
    lines: list[str] = []
    pending = ""
    for raw in "\n".join(changes).splitlines():
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        lines.append((pending + line).strip())
        pending = ""
    if pending.strip():
        lines.append(pending.strip())
    return lines


def apply_changes(config: ContainerConfig, changes: Sequence[str]) -> ContainerConfig:
    """Apply the instructions in order; InvalidParameter names a bad one."""
    fields: dict[str, Any] = {}
    current = config
    cmd_set = False
    for line in _logical_lines(changes):
        word, _, args = line.partition(" ")
        instruction = word.upper()
        args = args.strip()
        if instruction not in ALLOWED:
            if instruction in KNOWN:
                raise InvalidParameter(f"{instruction} is not a valid change command")
            raise InvalidParameter(f"dockerfile parse error: unknown instruction: {word}")
        if not args:
            raise InvalidParameter(f"{instruction} requires at least one argument")
        env = current.env
        if instruction == "CMD":
            fields = {"cmd": _command(args)}
            cmd_set = True
        elif instruction == "ENTRYPOINT":
            fields = {"entrypoint": _command(args)}
            if not cmd_set:
                fields["cmd"] = None
        elif instruction == "ENV":
            new_env = list(env)
            for key, value in _pairs(instruction, args, env):
                new_env = [e for e in new_env if e.partition("=")[0] != key]
                new_env.append(f"{key}={value}")
            fields = {"env": new_env}
        elif instruction == "LABEL":
            fields = {"labels": {**current.labels, **dict(_pairs(instruction, args, env))}}
        elif instruction == "EXPOSE":
            ports = dict(current.exposed_ports)
            ports.update({p: {} for p in _ports(args, env)})
            fields = {"exposed_ports": ports}
        elif instruction == "USER":
            fields = {"user": process_word(args, env)}
        elif instruction == "VOLUME":
            paths = parse_json_array(args)
            if paths is None:
                paths = [process_word(w, env) for w in split_words(args)]
            if not paths or any(not p.strip() for p in paths):
                raise InvalidParameter("VOLUME specified can not be an empty string")
            fields = {"volumes": {**current.volumes, **{p: {} for p in paths}}}
        elif instruction == "WORKDIR":
            path = process_word(args, env)
            fields = {"working_dir": posixpath.join(current.working_dir or "/", path)}
        elif instruction == "STOPSIGNAL":
            fields = {"stop_signal": _stop_signal(process_word(args, env))}
        elif instruction == "ONBUILD":
            inner = args.split(None, 1)[0].upper()
            if inner == "ONBUILD":
                raise InvalidParameter("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
            if inner in ("FROM", "MAINTAINER"):
                raise InvalidParameter(f"{inner} isn't allowed as an ONBUILD trigger")
            fields = {"on_build": [*(current.on_build or []), args]}
        current = replace(current, **fields)
    return current
