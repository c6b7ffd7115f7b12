"""The daemon's configuration: command-line flags merged with daemon.json.

As in Docker, an unknown key or a value of the wrong type in daemon.json stops the start
with a message naming it, and an option given both as a flag and in the file is an error
(which one should win is ambiguous, so neither does).

Networking keys: ``bridge`` names the default bridge's link (Docker's ``-b``; default
``dockyard0``), ``nft-table`` names Dockyard's own nftables table (default ``dockyard``),
``iptables`` false programs no firewall at all (published ports then use the userland
proxy), ``ip-forward`` false leaves ``net.ipv4.ip_forward`` alone. Two daemons on one host
must differ in ``bridge`` and ``nft-table`` (test daemons set both).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dockyard.errors import InvalidParameter

__all__ = ["AddressPool", "DaemonConfig", "load_file", "merge"]

DEFAULT_SOCKET = "unix:///run/dockyard.sock"
LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")


@dataclass(frozen=True, slots=True)
class AddressPool:
    base: str
    size: int


@dataclass(frozen=True, slots=True)
class DaemonConfig:
    hosts: tuple[str, ...] = (DEFAULT_SOCKET,)
    data_root: str = "/var/lib/dockyard"
    exec_root: str = "/run/dockyard"
    debug: bool = False
    log_level: str = "info"
    insecure_registries: tuple[str, ...] = ()
    registry_mirrors: tuple[str, ...] = ()
    default_runtime: str = "runc"
    runtimes: dict[str, dict[str, Any]] = field(default_factory=dict)
    bip: str = ""
    default_address_pools: tuple[AddressPool, ...] = ()
    live_restore: bool = False
    log_driver: str = "json-file"
    log_opts: dict[str, str] = field(default_factory=dict)
    pidfile: str = "/run/dockyard.pid"
    bridge: str = ""
    nft_table: str = ""
    iptables: bool = True
    ip_forward: bool = True


# daemon.json key -> (field name, expected JSON type(s))
_KEYS: dict[str, tuple[str, tuple[type, ...]]] = {
    "hosts": ("hosts", (list,)),
    "data-root": ("data_root", (str,)),
    "exec-root": ("exec_root", (str,)),
    "debug": ("debug", (bool,)),
    "log-level": ("log_level", (str,)),
    "insecure-registries": ("insecure_registries", (list,)),
    "registry-mirrors": ("registry_mirrors", (list,)),
    "default-runtime": ("default_runtime", (str,)),
    "runtimes": ("runtimes", (dict,)),
    "bip": ("bip", (str,)),
    "default-address-pools": ("default_address_pools", (list,)),
    "live-restore": ("live_restore", (bool,)),
    "log-driver": ("log_driver", (str,)),
    "log-opts": ("log_opts", (dict,)),
    "pidfile": ("pidfile", (str,)),
    "bridge": ("bridge", (str,)),
    "nft-table": ("nft_table", (str,)),
    "iptables": ("iptables", (bool,)),
    "ip-forward": ("ip_forward", (bool,)),
}


def _str_tuple(key: str, value: list[Any]) -> tuple[str, ...]:
    if not all(isinstance(v, str) for v in value):
        raise InvalidParameter(f"invalid value for {key!r}: every entry must be a string")
    return tuple(value)


def _pools(value: list[Any]) -> tuple[AddressPool, ...]:
    pools = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("base"), str):
            raise InvalidParameter(
                "invalid value for 'default-address-pools': each entry needs a 'base' string"
            )
        size = entry.get("size", 24)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 32:
            raise InvalidParameter(
                f"invalid value for 'default-address-pools': size {size!r} is not 1..32"
            )
        pools.append(AddressPool(base=entry["base"], size=size))
    return tuple(pools)


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    """JSON types as daemon.json means them: a bool is not an int here."""
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def parse_mapping(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Turn daemon.json keys into DaemonConfig field values, validating each."""
    unknown = sorted(k for k in doc if k not in _KEYS)
    if unknown:
        raise InvalidParameter(
            "the following directives don't match any configuration option: " + ", ".join(unknown)
        )
    values: dict[str, Any] = {}
    for key, raw_value in doc.items():
        raw: Any = raw_value
        name, types = _KEYS[key]
        if not _type_ok(raw, types):
            kind = " or ".join(t.__name__ for t in types)
            raise InvalidParameter(f"invalid value for {key!r}: expected {kind}, got {raw!r}")
        if name in ("hosts", "insecure_registries", "registry_mirrors"):
            values[name] = _str_tuple(key, raw)
        elif name == "default_address_pools":
            values[name] = _pools(raw)
        elif name == "log_level":
            if raw not in LOG_LEVELS:
                raise InvalidParameter(
                    f"invalid value for 'log-level': {raw!r} (one of {', '.join(LOG_LEVELS)})"
                )
            values[name] = raw
        elif name == "log_opts":
            values[name] = {str(k): str(v) for k, v in raw.items()}
        else:
            values[name] = raw
    return values


def load_file(path: Path) -> dict[str, Any]:
    """Read daemon.json; a syntax error names the file and the position."""
    try:
        text = path.read_text()
    except OSError as err:
        raise InvalidParameter(f"unable to read configuration file {path}: {err}") from err
    try:
        doc = json.loads(text) if text.strip() else {}
    except ValueError as err:
        raise InvalidParameter(f"configuration file {path} is not valid JSON: {err}") from err
    if not isinstance(doc, dict):
        raise InvalidParameter(f"configuration file {path} must hold a JSON object")
    try:
        return parse_mapping(doc)
    except InvalidParameter as err:
        raise InvalidParameter(
            f"unable to configure the Dockyard daemon with file {path}: {err}"
        ) from err


def merge(flags: Mapping[str, Any], file_values: Mapping[str, Any]) -> DaemonConfig:
    """Flags and file values together; the same option in both is an error, as in Docker."""
    both = sorted(set(flags) & set(file_values))
    if both:
        detail = ", ".join(
            f"{name}: (from flag: {flags[name]}, from file: {file_values[name]})" for name in both
        )
        raise InvalidParameter(
            "the following directives are specified both as a flag and in the "
            f"configuration file: {detail}"
        )
    known = {f.name for f in fields(DaemonConfig)}
    values = {k: v for k, v in {**file_values, **flags}.items() if k in known}
    config = replace(DaemonConfig(), **values)
    if config.debug:
        config = replace(config, log_level="debug")
    return config
