"""Container fields as the docker CLI prints them: ps columns, status text, ports.

``status_text`` is dockerd's ``State.String()`` (the daemon sends it as ``Status``; the
CLI falls back to computing it from an inspect ``State``); ``display_ports`` is the CLI's
``DisplayablePorts`` (consecutive ports grouped, ``net.JoinHostPort`` brackets for IPv6).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.output.gotemplate import Struct

__all__ = [
    "PS_HEADERS",
    "container_row",
    "display_ports",
    "ellipsis",
    "go_quote",
    "parse_time",
    "status_text",
]

PS_HEADERS = {
    "ID": "CONTAINER ID",
    "Image": "IMAGE",
    "Command": "COMMAND",
    "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED",
    "Ports": "PORTS",
    "State": "STATE",
    "Status": "STATUS",
    "Size": "SIZE",
    "Names": "NAMES",
    "Labels": "LABELS",
    "Mounts": "MOUNTS",
    "LocalVolumes": "LOCAL VOLUMES",
    "Networks": "NETWORKS",
    "Platform": "PLATFORM",
}

_ZERO_TIME = "0001-01-01T00:00:00Z"


def parse_time(text: str | None) -> float | None:
    """RFC 3339 (nanoseconds allowed) -> Unix seconds; None for Go's zero time or empty."""
    import datetime

    if not text or text.startswith("0001-01-01"):
        return None
    main, _, frac = text.partition(".")
    zone = ""
    if frac:
        digits = ""
        for i, c in enumerate(frac):
            if not c.isdigit():
                zone = frac[i:]
                break
            digits += c
        fraction = float("0." + (digits or "0"))
    else:
        fraction = 0.0
        for marker in ("Z", "+", "-"):
            idx = main.find(marker, 10)
            if idx >= 0:
                main, zone = main[:idx], main[idx:]
                break
    zone = "+00:00" if zone in ("Z", "") else zone
    moment = datetime.datetime.fromisoformat(main + zone)
    return moment.timestamp() + fraction


def status_text(state: dict[str, Any], now: float) -> str:
    """dockerd's State.String(): ``Up 2 minutes (healthy)``, ``Exited (0) 3 seconds ago``."""
    from dockyard.cli.output.units import human_duration

    started = parse_time(state.get("StartedAt"))
    finished = parse_time(state.get("FinishedAt"))
    code = int(state.get("ExitCode") or 0)
    if state.get("Running"):
        up = human_duration(now - (started or now))
        if state.get("Paused"):
            return f"Up {up} (Paused)"
        if state.get("Restarting"):
            return f"Restarting ({code}) {human_duration(now - (finished or now))} ago"
        health = (state.get("Health") or {}).get("Status")
        if health and health != "none":
            return f"Up {up} ({'health: starting' if health == 'starting' else health})"
        return f"Up {up}"
    if state.get("Status") == "removing":
        return "Removal In Progress"
    if state.get("Dead"):
        return "Dead"
    if started is None:
        return "Created"
    if finished is None:
        return ""
    return f"Exited ({code}) {human_duration(now - finished)} ago"


def _join_host_port(host: str, port: str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def display_ports(ports: list[dict[str, Any]]) -> str:
    """The PORTS column: ``0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 443/tcp``."""

    def key(p: dict[str, Any]) -> tuple[int, str, int, str]:
        return (
            int(p.get("PrivatePort") or 0),
            str(p.get("IP") or ""),
            int(p.get("PublicPort") or 0),
            str(p.get("Type") or ""),
        )

    groups: dict[str, list[int]] = {}
    order: list[str] = []
    result: list[str] = []
    mappings: list[str] = []
    for port in sorted(ports, key=key):
        current, ip, public, kind = key(port)
        group_key = kind
        if ip:
            if public != current:
                mappings.append(f"{_join_host_port(ip, str(public))}->{current}/{kind}")
                continue
            group_key = f"{ip}/{kind}"
        group = groups.get(group_key)
        if group is None:
            groups[group_key] = [current, current]
            order.append(group_key)
            continue
        if current == group[1] + 1:
            group[1] = current
            continue
        result.append(_form_group(group_key, group[0], group[1]))
        groups[group_key] = [current, current]
    result += [_form_group(k, groups[k][0], groups[k][1]) for k in order]
    result += mappings
    return ", ".join(result)


def _form_group(key: str, first: int, last: int) -> str:
    ip, _, kind = key.rpartition("/")
    group = str(first) if first == last else f"{first}-{last}"
    if ip:
        group = f"{_join_host_port(ip, group)}->{group}"
    return f"{group}/{kind}"


def ellipsis(text: str, width: int) -> str:
    """The CLI's formatter.Ellipsis for ASCII/narrow text: cut to ``width`` with ``…``."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: width - 1] + "…"


def go_quote(text: str) -> str:
    """Go's ``strconv.Quote``."""
    out = ['"']
    named = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    named |= {"\v": "\\v", '"': '\\"', "\\": "\\\\"}
    for ch in text:
        if ch in named:
            out.append(named[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _image(summary: dict[str, Any], trunc: bool) -> str:
    from dockyard.cli.output.units import truncate_id

    image = str(summary.get("Image") or "")
    if not image:
        return "<no image>"
    if not trunc:
        return image
    if truncate_id(str(summary.get("ImageID") or "")) == truncate_id(image):
        return truncate_id(image)
    if "@" in image:
        name = image.partition("@")[0]
        slash, colon = name.rfind("/"), name.rfind(":")
        if colon <= slash:
            from dockyard.cli.commands.images import split_reference

            return split_reference(name)[0]
    return image


def _names(names: list[str], trunc: bool) -> str:
    stripped = [n[1:] if n.startswith("/") else n for n in names]
    if trunc:
        for name in stripped:
            if "/" not in name:
                return name
    return ",".join(stripped)


def container_row(summary: dict[str, Any], trunc: bool, now: float) -> Struct:
    """One ``GET /containers/json`` entry as docker's containerContext fields."""
    from dockyard.cli.commands.images import created_at
    from dockyard.cli.output.gotemplate import Struct
    from dockyard.cli.output.units import human_size, since, truncate_id

    cid = str(summary.get("Id") or "")
    command = str(summary.get("Command") or "")
    labels = summary.get("Labels") or {}
    size_rw = int(summary.get("SizeRw") or 0)
    size_root = int(summary.get("SizeRootFs") or 0)
    size = human_size(size_rw, 3)
    if size_root > 0:
        size = f"{size} (virtual {human_size(size_root, 3)})"
    mounts = []
    for mount in summary.get("Mounts") or []:
        name = str(mount.get("Name") or mount.get("Source") or "")
        mounts.append(ellipsis(name, 15) if trunc else name)
    networks = sorted(((summary.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    created = float(summary.get("Created") or 0)
    status = summary.get("Status")
    if status is None and isinstance(summary.get("State"), dict):
        status = status_text(summary["State"], now)
    state = summary.get("State")
    return Struct(
        "*formatter.ContainerContext",
        {
            "ID": truncate_id(cid) if trunc else cid,
            "Names": _names(list(summary.get("Names") or []), trunc),
            "Image": _image(summary, trunc),
            "Command": go_quote(ellipsis(command, 20) if trunc else command),
            "CreatedAt": created_at(created),
            "RunningFor": since(created, now),
            "Ports": display_ports(list(summary.get("Ports") or [])),
            "State": state.get("Status", "") if isinstance(state, dict) else str(state or ""),
            "Status": str(status or ""),
            "Size": size,
            "Labels": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
            "Mounts": ",".join(mounts),
            "LocalVolumes": str(
                sum(1 for m in summary.get("Mounts") or [] if m.get("Driver") == "local")
            ),
            "Networks": ",".join(networks),
            "Platform": "",
        },
    )
