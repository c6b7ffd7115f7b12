"""``dockyard port``: the published ports of a container, naturally sorted."""

from __future__ import annotations

from dockyard.cli.flags import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "natural_key", "run"]


def command(path: str) -> Command:
    return Command(
        path,
        "CONTAINER [PRIVATE_PORT[/PROTO]]",
        "List port mappings or a specific mapping for the container",
        [],
        min_args=1,
        max_args=2,
    )


def natural_key(text: str) -> list[Any]:
    """sortorder.NaturalLess: digit runs compare as numbers."""
    import re

    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.findall(r"\d+|\D+", text)
    ]


def _join(host: str, port: str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.containers import inspect_container
    from dockyard.cli.context import CommandError

    info = inspect_container(ctx, args[0])
    ports = (info.get("NetworkSettings") or {}).get("Ports") or {}
    out = []
    if len(args) == 2:
        port, _, proto = args[1].partition("/")
        if not (port.isascii() and port.isdigit() and int(port) < 65536):
            raise CommandError(
                f'Error: invalid port ({port}): strconv.ParseUint: parsing "{port}": invalid syntax'
            )
        frontends = ports.get(f"{port}/{proto or 'tcp'}") or []
        if not frontends:
            raise CommandError(f"Error: No public port '{args[1]}' published for {args[0]}")
        out = [_join(f.get("HostIp", ""), f.get("HostPort", "")) for f in frontends]
    else:
        for private, frontends in ports.items():
            for f in frontends or []:
                out.append(f"{private} -> {_join(f.get('HostIp', ''), f.get('HostPort', ''))}")
    if out:
        ctx.write("\n".join(sorted(out, key=natural_key)) + "\n")
    return 0
