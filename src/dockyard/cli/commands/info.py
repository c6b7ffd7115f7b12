"""``dockyard info``: client and server information in docker's layout."""

from __future__ import annotations

from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run", "server_text"]


def command(path: str) -> Command:
    from dockyard.cli.commands.image_inspect import INSPECT_FORMAT_HELP

    return Command(
        path,
        "[OPTIONS]",
        "Display system-wide information",
        [Flag("format", "f", "str", INSPECT_FORMAT_HELP)],
        max_args=0,
    )


def binary_size(size: float) -> str:
    """go-units ``BytesSize``: binary units, 4 significant digits (``15.5GiB``)."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
    i = 0
    while size >= 1024.0 and i < len(units) - 1:
        size /= 1024.0
        i += 1
    return f"{size:.4g}{units[i]}"


def server_text(info: dict[str, Any]) -> str:
    def get(key: str) -> Any:
        return info.get(key, "")

    plugins = info.get("Plugins") or {}
    lines = [
        "Server:",
        f" Containers: {get('Containers')}",
        f"  Running: {get('ContainersRunning')}",
        f"  Paused: {get('ContainersPaused')}",
        f"  Stopped: {get('ContainersStopped')}",
        f" Images: {get('Images')}",
        f" Server Version: {get('ServerVersion')}",
        f" Storage Driver: {get('Driver')}",
    ]
    lines += [f"  {pair[0]}: {pair[1]}" for pair in info.get("DriverStatus") or []]
    lines += [
        f" Logging Driver: {get('LoggingDriver')}",
        f" Cgroup Driver: {get('CgroupDriver')}",
        f" Cgroup Version: {get('CgroupVersion')}",
        " Plugins:",
        f"  Volume: {' '.join(plugins.get('Volume') or [])}",
        f"  Network: {' '.join(plugins.get('Network') or [])}",
        f"  Log: {' '.join(plugins.get('Log') or [])}",
        f" Swarm: {(info.get('Swarm') or {}).get('LocalNodeState') or 'inactive'}",
        f" Runtimes: {' '.join(sorted(info.get('Runtimes') or {}))}",
        f" Default Runtime: {get('DefaultRuntime')}",
        f" Init Binary: {get('InitBinary')}",
        f" containerd version: {(info.get('ContainerdCommit') or {}).get('ID', '')}",
        f" runc version: {(info.get('RuncCommit') or {}).get('ID', '')}",
        f" init version: {(info.get('InitCommit') or {}).get('ID', '')}",
    ]
    options = info.get("SecurityOptions") or []
    if options:
        lines.append(" Security Options:")
    for option in options:
        pairs = dict(p.partition("=")[::2] for p in str(option).split(","))
        lines.append(f"  {pairs.pop('name', option)}")
        lines += [f"   {key.capitalize()}: {value}" for key, value in pairs.items()]
    lines += [
        f" Kernel Version: {get('KernelVersion')}",
        f" Operating System: {get('OperatingSystem')}",
        f" OSType: {get('OSType')}",
        f" Architecture: {get('Architecture')}",
        f" CPUs: {get('NCPU')}",
        f" Total Memory: {binary_size(float(info.get('MemTotal') or 0))}",
        f" Name: {get('Name')}",
        f" ID: {get('ID')}",
        f" Docker Root Dir: {get('DockerRootDir')}",
        f" Debug Mode: {'true' if info.get('Debug') else 'false'}",
        f" Experimental: {'true' if info.get('ExperimentalBuild') else 'false'}",
    ]
    registry = info.get("RegistryConfig") or {}
    insecure = list(registry.get("InsecureRegistryCIDRs") or [])
    insecure += [
        name for name, cfg in (registry.get("IndexConfigs") or {}).items() if not cfg.get("Secure")
    ]
    if insecure:
        lines.append(" Insecure Registries:")
        lines += [f"  {entry}" for entry in insecure]
    mirrors = registry.get("Mirrors") or []
    if mirrors:
        lines.append(" Registry Mirrors:")
        lines += [f"  {entry}" for entry in mirrors]
    lines.append(f" Live Restore Enabled: {'true' if info.get('LiveRestoreEnabled') else 'false'}")
    if info.get("ProductLicense"):
        lines.append(f" Product License: {info['ProductLicense']}")
    return "\n".join(lines) + "\n\n"


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard import __version__

    client_info = {"Version": __version__, "Context": "default", "Debug": False, "Plugins": []}
    fmt: str = opts["format"]
    if fmt:
        from dockyard.cli.output.formatter import compile_format
        from dockyard.cli.output.gotemplate import Struct, TemplateError

        template = compile_format(fmt)
        info = ctx.client().json("GET", "/info") or {}
        fields = {**info, "ClientInfo": client_info, "ClientErrors": [], "ServerErrors": []}
        try:
            ctx.write(template.execute(Struct("command.dockerInfo", fields)) + "\n")
        except TemplateError as err:
            raise TemplateError(f"template parsing error: {err}") from None
        return 0
    ctx.write(f"Client:\n Version:    {__version__}\n Context:    default\n Debug Mode: false\n\n")
    ctx.write(server_text(ctx.client().json("GET", "/info") or {}))
    return 0
