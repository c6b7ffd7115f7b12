"""``-p``/``--expose`` and ``--network``/``--network-alias``/``--ip``/``--link`` of
``create``/``run``, translated as docker CLI 28 does (see :mod:`dockyard.cli.runopts`)."""

from __future__ import annotations

from dockyard.cli import values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["is_user_defined", "network_config", "parse_network_opt", "port_config"]


def port_config(
    publish: list[str], expose: list[str]
) -> tuple[list[str], dict[str, list[dict[str, str]]]]:
    """(exposed ports, ``PortBindings``): published ports are exposed too."""
    from dockyard.cli.runopts import OptionsError

    try:
        specs = [values.convert_publish(p) for p in publish]
        exposed, bindings = values.parse_port_specs(specs)
    except ValueError as err:
        raise OptionsError(str(err)) from None
    for item in expose:
        if ":" in item:
            raise OptionsError(f"invalid port format for --expose: {item}")
        proto, port = values.split_proto_port(item)
        try:
            start, end = values.parse_port_range(port)
        except ValueError as err:
            raise OptionsError(f"invalid range format for --expose: {item}, error: {err}") from None
        for number in range(start, end + 1):
            key = f"{number}/{proto.lower()}"
            if key not in exposed:
                exposed.append(key)
    return exposed, bindings


def is_user_defined(mode: str) -> bool:
    return mode not in ("default", "bridge", "host", "none") and not mode.startswith("container:")


def parse_network_opt(value: str) -> dict[str, Any]:
    """opts.NetworkOpt.Set: a name, or ``name=x,alias=y,ip=...,driver-opt=k=v,...``."""
    import csv
    import re

    from dockyard.cli.runopts import FlagValueError

    if not re.search(r"\w+=\w+(,\w+=\w+)*", value):
        return {"Target": value}
    opt: dict[str, Any] = {"Target": "", "Aliases": []}
    for field in next(csv.reader([value])):
        key, sep, val = field.lower().partition("=")
        if not sep or not key:
            raise FlagValueError("network", value, f"invalid field {field}")
        key, val = key.strip(), val.strip()
        if key == "name":
            opt["Target"] = val
        elif key == "alias":
            opt["Aliases"].append(val)
        elif key == "ip":
            opt["IPv4Address"] = val
        elif key == "ip6":
            opt["IPv6Address"] = val
        elif key == "mac-address":
            opt["MacAddress"] = val
        elif key == "link-local-ip":
            opt.setdefault("LinkLocalIPs", []).append(val)
        elif key == "driver-opt":
            k, _, v = val.partition("=")
            opt.setdefault("DriverOpts", {})[k.strip()] = v.strip()
        elif key == "gw-priority":
            try:
                opt["GwPriority"] = values.go_int(val)
            except ValueError:
                raise FlagValueError(
                    "network", value, f"invalid gw-priority ({val}): invalid syntax"
                ) from None
        else:
            raise FlagValueError("network", value, f"invalid field key {key}")
    if not opt["Target"]:
        raise FlagValueError("network", value, "network name/id is not specified")
    return opt


def _apply_container_options(net: dict[str, Any], opts: dict[str, Any]) -> None:
    from dockyard.cli.runopts import OptionsError

    pairs = (
        ("Aliases", "network_alias", "--network-alias", "per-network alias"),
        ("Links", "link", "--link", "per-network links"),
        ("IPv4Address", "ip", "--ip", "per-network IPv4 address"),
        ("IPv6Address", "ip6", "--ip6", "per-network IPv6 address"),
        ("MacAddress", "mac_address", "--mac-address", "per-network MAC address"),
        ("LinkLocalIPs", "link_local_ip", "--link-local-ip", "per-network link-local IP addresses"),
    )
    for key, dest, flag, what in pairs:
        if net.get(key) and opts[dest]:
            raise OptionsError(f"conflicting options: cannot specify both {flag} and {what}")
    if opts["network_alias"]:
        net["Aliases"] = list(opts["network_alias"])
    if is_user_defined(net["Target"]) and opts["link"]:
        net["Links"] = list(opts["link"])
    for key, dest in (("IPv4Address", "ip"), ("IPv6Address", "ip6"), ("MacAddress", "mac_address")):
        if opts[dest]:
            net[key] = opts[dest]
    if opts["link_local_ip"]:
        net["LinkLocalIPs"] = list(opts["link_local_ip"])


def _endpoint(net: dict[str, Any]) -> dict[str, Any]:
    from dockyard.cli.runopts import OptionsError

    target = net["Target"]
    if not target.strip():
        raise OptionsError("no name set for network")
    if not is_user_defined(target):
        if net.get("Aliases"):
            raise OptionsError(
                "network-scoped aliases are only supported for user-defined networks"
            )
        if net.get("Links"):
            raise OptionsError("links are only supported for user-defined networks")
    ep: dict[str, Any] = {}
    if net.get("Aliases"):
        ep["Aliases"] = list(net["Aliases"])
    if net.get("DriverOpts"):
        ep["DriverOpts"] = net["DriverOpts"]
    if net.get("Links"):
        ep["Links"] = net["Links"]
    if net.get("IPv4Address") or net.get("IPv6Address") or net.get("LinkLocalIPs"):
        ipam = {}
        for key in ("IPv4Address", "IPv6Address", "LinkLocalIPs"):
            if net.get(key):
                ipam[key] = net[key]
        ep["IPAMConfig"] = ipam
    if net.get("MacAddress"):
        from dockyard.cli.runopts import _mac

        ep["MacAddress"] = _mac(net["MacAddress"])
    if net.get("GwPriority"):
        ep["GwPriority"] = net["GwPriority"]
    return ep


def network_config(opts: dict[str, Any]) -> tuple[str, dict[str, dict[str, Any]]]:
    """(``HostConfig.NetworkMode``, ``NetworkingConfig.EndpointsConfig``): cli's
    parseNetworkOpts. The first network takes the ``--ip``/``--network-alias``/... flags;
    a lone network without options sends no endpoint (the daemon makes it)."""
    from dockyard.cli.runopts import OptionsError

    nets = [parse_network_opt(v) for v in opts["network"]]
    endpoints: dict[str, dict[str, Any]] = {}
    if not nets:
        default = {"Target": "default"}
        _apply_container_options(default, opts)
        endpoints["default"] = _endpoint(default)
        return "default", endpoints
    user, system = False, False
    for i, net in enumerate(nets):
        if is_user_defined(net["Target"]):
            user = True
        else:
            system = True
        if i == 0:
            _apply_container_options(net, opts)
        ep = _endpoint(net)
        if net["Target"] in endpoints:
            raise OptionsError(f'network "{net["Target"]}" is specified multiple times')
        if i == 0 and len(nets) == 1 and not ep:
            continue
        endpoints[net["Target"]] = ep
    if user and system:
        raise OptionsError(
            "conflicting options: cannot attach both user-defined and non-user-defined "
            "network-modes"
        )
    return nets[0]["Target"], endpoints
