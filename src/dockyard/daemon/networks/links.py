"""Legacy ``--link``: the alias in /etc/hosts and Docker's ``<ALIAS>_PORT_...`` variables (pure).

A link ``web:db`` in a container named ``app`` gives, when ``web`` runs at 172.17.0.2 and
exposes 5432/tcp::

    DB_NAME=/app/db
    DB_PORT=tcp://172.17.0.2:5432
    DB_PORT_5432_TCP=tcp://172.17.0.2:5432
    DB_PORT_5432_TCP_ADDR=172.17.0.2
    DB_PORT_5432_TCP_PORT=5432
    DB_PORT_5432_TCP_PROTO=tcp
    DB_ENV_<KEY>=<value>      for web's own variables but HOME and PATH
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dockyard.errors import InvalidParameter

__all__ = ["LinkSpec", "link_env", "parse_link"]


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """``name`` is the linked container (name or id), ``alias`` the name it gets here."""

    name: str
    alias: str


def parse_link(text: str) -> LinkSpec:
    """``name:alias``, ``name``, or Docker's stored ``/name:/parent/alias`` form."""
    name, _, alias = text.partition(":")
    name = name.lstrip("/")
    alias = alias.rsplit("/", 1)[-1] if alias else name
    if not name or not alias:
        raise InvalidParameter(f"invalid link format: {text!r}")
    return LinkSpec(name, alias)


def _port_key(spec: str) -> tuple[int, str]:
    port, _, proto = spec.partition("/")
    return (int(port) if port.isdigit() else 0, proto or "tcp")


def link_env(
    parent: str, alias: str, ip: str, exposed: Iterable[str], child_env: Iterable[str]
) -> list[str]:
    prefix = alias.upper().replace("-", "_")
    env = [f"{prefix}_NAME=/{parent}/{alias}"]
    ports = sorted(_port_key(p) for p in exposed)
    if ports:
        port, proto = ports[0]
        env.append(f"{prefix}_PORT={proto}://{ip}:{port}")
    for port, proto in ports:
        key = f"{prefix}_PORT_{port}_{proto.upper()}"
        env += [
            f"{key}={proto}://{ip}:{port}",
            f"{key}_ADDR={ip}",
            f"{key}_PORT={port}",
            f"{key}_PROTO={proto}",
        ]
    for item in child_env:
        key, sep, value = item.partition("=")
        if sep and key not in ("HOME", "PATH"):
            env.append(f"{prefix}_ENV_{key}={value}")
    return env
