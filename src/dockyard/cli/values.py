"""Flag value parsers of the docker CLI (go-units, go-connections/nat, cli/opts), pure.

Each parser raises :class:`ValueError` whose text is the reason docker prints after
``invalid argument "<value>" for "<flag>" flag:`` (or inside its parse-time errors), so a
caller only adds the flag's name. Numbers follow Go's ``strconv`` (no ``+``/``_``/spaces).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "go_duration",
    "go_int",
    "nano_cpus",
    "parse_device",
    "parse_mount",
    "parse_port_specs",
    "parse_ulimit",
    "parse_volume",
    "ram_in_bytes",
    "split_proto_port",
]

_BINARY = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
ULIMIT_NAMES = frozenset(
    "core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime "
    "sigpending stack".split()
)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def go_int(text: str, bits: int = 64, unsigned: bool = False) -> int:
    """``strconv.ParseInt``/``ParseUint`` with Go's error text."""
    name = "ParseUint" if unsigned else "ParseInt"
    body = text[1:] if (text[:1] in "+-" and not unsigned) else text
    if not _digits(body):
        raise ValueError(f'strconv.{name}: parsing "{text}": invalid syntax')
    value = int(text)
    low, high = (0, (1 << bits) - 1) if unsigned else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    if not low <= value <= high:
        raise ValueError(f'strconv.{name}: parsing "{text}": value out of range')
    return value


def _go_float(text: str) -> float:
    try:
        if not text or text.strip() != text or "_" in text:
            raise ValueError
        return float(text)
    except ValueError:
        raise ValueError(f'strconv.ParseFloat: parsing "{text}": invalid syntax') from None


def ram_in_bytes(size: str) -> int:
    """go-units ``RAMInBytes``: ``512``, ``64m``, ``1.5GiB`` -> bytes (binary multiples)."""
    sep = max(size.rfind(c) for c in "0123456789. ")
    if sep == -1:
        raise ValueError(f"invalid size: '{size}'")
    num, sfx = (
        (size[: sep + 1], size[sep + 1 :]) if size[sep] != " " else (size[:sep], size[sep + 1 :])
    )
    value = _go_float(num)
    if value < 0:
        raise ValueError(f"invalid size: '{size}'")
    if not sfx:
        return int(value)
    lowered = sfx.lower()
    ok = len(lowered) <= 3
    if ok and lowered[0] == "b":
        ok = len(lowered) == 1
        mul = 1
    elif ok and lowered[0] in _BINARY:
        mul = _BINARY[lowered[0]]
        ok = len(lowered) == 1 or lowered[1:] in ("b", "ib")
    else:
        ok = False
    if not ok:
        raise ValueError(f"invalid suffix: '{lowered if len(sfx) <= 3 else sfx}'")
    return int(value * mul)


def nano_cpus(value: str) -> int:
    """``--cpus 1.5`` -> 1500000000, as a big.Rat: exact, or "value is too precise"."""
    from fractions import Fraction

    try:
        if not value or value.strip() != value or "_" in value:
            raise ValueError
        cpus = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"failed to parse {value} as a rational number") from None
    nano = cpus * 1_000_000_000
    if nano.denominator != 1:
        raise ValueError("value is too precise")
    return int(nano)


_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


def go_duration(text: str) -> int:
    """``time.ParseDuration`` in nanoseconds (``1m30s``, ``-1.5h``, ``0``)."""
    import re

    err = ValueError(f'time: invalid duration "{text}"')
    body = text[1:] if text[:1] in "+-" else text
    sign = -1 if text[:1] == "-" else 1
    if body == "0":
        return 0
    parts = re.findall(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)?", body)
    total = 0.0
    consumed = ""
    for number, unit in parts:
        if not number and not unit:
            continue
        if number in ("", "."):
            raise err
        if not unit:
            raise ValueError(f'time: missing unit in duration "{text}"')
        total += float(number) * _DURATION_UNITS[unit]
        consumed += number + unit
    if not body or consumed != body:
        raise err
    return sign * round(total)


def split_proto_port(raw: str) -> tuple[str, str]:
    """nat.SplitProtoPort: ``80/udp`` -> ("udp", "80"); the protocol defaults to tcp."""
    parts = raw.split("/")
    if not raw or not parts[0]:
        return "", ""
    if len(parts) == 1 or not parts[1]:
        return "tcp", parts[0]
    return parts[1], parts[0]


def parse_port_range(ports: str) -> tuple[int, int]:
    """nat.ParsePortRange: ``8000`` or ``8000-8010`` (uint16 each, end >= start)."""
    if not ports:
        raise ValueError("empty string specified for ports")
    if "-" not in ports:
        port = go_int(ports, 16, unsigned=True)
        return port, port
    parts = ports.split("-")
    start = go_int(parts[0], 16, unsigned=True)
    end = go_int(parts[1], 16, unsigned=True)
    if end < start:
        raise ValueError(f"invalid range specified for port: {ports}")
    return start, end


def _valid_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _split_port_parts(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    n = len(parts)
    if n == 1:
        return "", "", parts[0]
    if n == 2:
        return "", parts[0], parts[1]
    if n == 3:
        return parts[0], parts[1], parts[2]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def parse_port_spec(raw: str) -> list[tuple[str, str, str]]:
    """nat.ParsePortSpec: ``[ip:][hostPort:]containerPort[/proto]`` with ranges, as
    (``"80/tcp"``, host ip, host port) triples, one per container port."""
    ip, host_port, container = _split_port_parts(raw)
    proto, container = split_proto_port(container)
    if ip.startswith("["):
        if not ip.endswith("]"):
            raise ValueError(f"invalid IP address {ip}: missing ']' in address")
        ip = ip[1:-1]
    if ip and not _valid_ip(ip):
        raise ValueError(f"invalid IP address: {ip}")
    if not container:
        raise ValueError(f"no port specified: {raw}<empty>")
    try:
        start, end = parse_port_range(container)
    except ValueError:
        raise ValueError(f"invalid containerPort: {container}") from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = parse_port_range(host_port)
        except ValueError:
            raise ValueError(f"invalid hostPort: {host_port}") from None
        if end - start != host_end - host_start and end != start:
            raise ValueError(
                f"invalid ranges specified for container and host Ports: {container} and "
                f"{host_port}"
            )
    proto = proto.lower()
    if proto not in ("tcp", "udp", "sctp"):
        raise ValueError(f"invalid proto: {proto}")
    out = []
    for i in range(end - start + 1):
        port = f"{start + i}/{proto}"
        host = str(host_start + i) if host_port else ""
        if start == end and host_start != host_end:
            host = f"{host}-{host_end}"
        out.append((port, ip, host))
    return out


def parse_port_specs(specs: list[str]) -> tuple[list[str], dict[str, list[dict[str, str]]]]:
    """Exposed ports (in first-seen order) and ``PortBindings`` for ``-p`` values."""
    exposed: list[str] = []
    bindings: dict[str, list[dict[str, str]]] = {}
    for spec in specs:
        for port, ip, host in parse_port_spec(spec):
            if port not in exposed:
                exposed.append(port)
            bindings.setdefault(port, []).append({"HostIp": ip, "HostPort": host})
    return exposed, bindings


def convert_publish(value: str) -> str:
    """cli's convertToStandardNotation: ``target=80,published=8080`` -> ``8080:80/tcp``."""
    if "=" not in value:
        return value
    params = {"protocol": "tcp"}
    for param in value.split(","):
        key, sep, val = param.partition("=")
        if not sep or not key:
            raise ValueError(
                f"invalid publish opts format (should be name=value but got '{param}')"
            )
        params[key] = val
    return f"{params.get('published', '')}:{params.get('target', '')}/{params['protocol']}"


def parse_volume(spec: str) -> tuple[str, str, str]:
    """compose's volumespec.Parse, reduced to (type, source, target) for ``-v``.

    A source starting with ``/``, ``.`` or ``~`` is a bind; any other source names a volume;
    no source is an anonymous volume.
    """
    if not spec:
        raise ValueError("invalid empty volume spec")
    if len(spec) <= 2:
        return "volume", "", spec
    fields = spec.split(":")
    source = target = ""
    for i, field in enumerate(fields):
        last = i == len(fields) - 1
        if not field:
            raise ValueError(f"invalid spec: {spec}: empty section between colons")
        if not source and last:
            target = field
        elif not source:
            source = field
        elif not target:
            target = field
        elif not last:
            raise ValueError(f"invalid spec: {spec}: too many colons")
    if not source:
        return "volume", "", target
    return ("bind" if source[0] in "./~" else "volume"), source, target


def _parse_bool(text: str) -> bool:
    lowered = text
    if lowered in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if lowered in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise ValueError(text)


def parse_mount(value: str, cwd: str) -> dict[str, Any]:
    """opts.MountOpt.Set: ``type=bind,src=/a,dst=/b,ro`` -> a HostConfig ``Mounts`` entry."""
    import csv
    import posixpath

    try:
        fields = next(csv.reader([value]))
    except (csv.Error, StopIteration) as err:
        raise ValueError(str(err)) from None
    mount: dict[str, Any] = {"Type": "volume"}
    volume: dict[str, Any] | None = None
    bind: dict[str, Any] | None = None
    tmpfs: dict[str, Any] | None = None

    def vol() -> dict[str, Any]:
        nonlocal volume
        if volume is None:
            volume = {"Labels": {}, "DriverConfig": {}}
        return volume

    def bnd() -> dict[str, Any]:
        nonlocal bind
        if bind is None:
            bind = {}
        return bind

    def tmp() -> dict[str, Any]:
        nonlocal tmpfs
        if tmpfs is None:
            tmpfs = {}
        return tmpfs

    for field in fields:
        key, sep, val = field.partition("=")
        if not sep:
            if key in ("readonly", "ro"):
                mount["ReadOnly"] = True
            elif key == "volume-nocopy":
                vol()["NoCopy"] = True
            elif key == "bind-nonrecursive":
                bnd()["NonRecursive"] = True
            else:
                raise ValueError(f"invalid field '{field}' must be a key=value pair")
            continue
        try:
            if key == "type":
                mount["Type"] = val.lower()
            elif key in ("source", "src"):
                mount["Source"] = val
                if val == "." or val.startswith("./"):
                    mount["Source"] = posixpath.normpath(posixpath.join(cwd, val))
            elif key in ("target", "dst", "destination"):
                mount["Target"] = val
            elif key in ("readonly", "ro"):
                mount["ReadOnly"] = _parse_bool(val)
            elif key == "consistency":
                mount["Consistency"] = val.lower()
            elif key == "bind-propagation":
                bnd()["Propagation"] = val.lower()
            elif key == "bind-nonrecursive":
                bnd()["NonRecursive"] = _parse_bool(val)
            elif key == "volume-nocopy":
                vol()["NoCopy"] = _parse_bool(val)
            elif key == "volume-label":
                k, _, v = val.partition("=")
                if k:
                    vol()["Labels"][k] = v
            elif key == "volume-driver":
                vol()["DriverConfig"]["Name"] = val
            elif key == "volume-opt":
                k, _, v = val.partition("=")
                options = vol()["DriverConfig"].setdefault("Options", {})
                if k:
                    options[k] = v
            elif key == "volume-subpath":
                vol()["Subpath"] = val
            elif key == "tmpfs-size":
                tmp()["SizeBytes"] = ram_in_bytes(val)
            elif key == "tmpfs-mode":
                if not val or any(c not in "01234567" for c in val) or int(val, 8) >= 1 << 32:
                    raise ValueError(val)
                tmp()["Mode"] = int(val, 8)
            else:
                raise LookupError
        except LookupError:
            raise ValueError(f"unexpected key '{key}' in '{field}'") from None
        except ValueError:
            if key == "volume-nocopy":
                raise ValueError(f"invalid value for volume-nocopy: {val}") from None
            raise ValueError(f"invalid value for {key}: {val}") from None
    if not mount.get("Target"):
        raise ValueError("target is required")
    kind = mount["Type"]
    if volume is not None and kind != "volume":
        raise ValueError(f"cannot mix 'volume-*' options with mount type '{kind}'")
    if bind is not None and kind != "bind":
        raise ValueError(f"cannot mix 'bind-*' options with mount type '{kind}'")
    if tmpfs is not None and kind != "tmpfs":
        raise ValueError(f"cannot mix 'tmpfs-*' options with mount type '{kind}'")
    if volume is not None:
        mount["VolumeOptions"] = volume
    if bind is not None:
        mount["BindOptions"] = bind
    if tmpfs is not None:
        mount["TmpfsOptions"] = tmpfs
    return mount


def parse_ulimit(value: str) -> dict[str, Any]:
    """go-units ``ParseUlimit``: ``nofile=1024[:2048]`` -> ``{"Name","Soft","Hard"}``."""
    name, sep, limits = value.partition("=")
    if not sep:
        raise ValueError(f"invalid ulimit argument: {value}")
    if name not in ULIMIT_NAMES:
        raise ValueError(f"invalid ulimit type: {name}")
    parts = limits.split(":")
    if len(parts) > 2:
        raise ValueError(
            f"too many limit value arguments - {limits}, can only have up to two, `soft[:hard]`"
        )
    hard = go_int(parts[1]) if len(parts) == 2 else None
    soft = go_int(parts[0])
    if hard is None:
        hard = soft
    if hard != -1 and soft > hard:
        raise ValueError(
            f"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
        )
    return {"Name": name, "Soft": soft, "Hard": hard}


def _valid_device_mode(mode: str) -> bool:
    if not mode or len(mode) > 3:
        return False
    return all(c in "rwm" for c in mode) and len(set(mode)) == len(mode)


def parse_device(device: str) -> dict[str, str]:
    """``/dev/x[:/dev/y][:rwm]`` -> a ``DeviceMapping`` (cli's validateLinuxPath then
    parseDevice: the container path defaults to the host path, permissions to ``rwm``)."""
    import posixpath

    if device.count(":") > 2 or not device.split(":", 1)[0]:
        raise ValueError(f"bad format for path: {device}")
    parts = device.split(":")
    src, dst, perms = parts[0], "", "rwm"
    if len(parts) == 2:
        if _valid_device_mode(parts[1]):
            perms = parts[1]
        else:
            dst = parts[1]
    elif len(parts) == 3:
        dst, perms = parts[1], parts[2]
        if not _valid_device_mode(perms):
            raise ValueError(f"bad mode specified: {perms}")
    container_path = dst or src
    if not container_path.startswith("/"):
        raise ValueError(f"{container_path} is not an absolute path")
    return {
        "PathOnHost": src,
        "PathInContainer": dst or posixpath.normpath(container_path),
        "CgroupPermissions": perms,
    }
