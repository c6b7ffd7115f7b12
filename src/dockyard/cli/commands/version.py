"""``dockyard version``: client and server versions in docker's layout."""

from __future__ import annotations

import sys

from dockyard import __version__
from dockyard.cli.flags import Command, Flag
from dockyard.client.client import MAX_API_VERSION
from dockyard.client.errors import ClientError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run"]

FORMAT_HELP = (
    "Format output using a custom template:\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template."
)


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS]",
        "Show the Dockyard version information",
        [Flag("format", "f", "str", FORMAT_HELP)],
        max_args=0,
    )


def _arch() -> str:
    import os

    machine = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
        machine, machine
    )


def _client_fields(ctx: Context, api_version: str) -> dict[str, Any]:
    return {
        "Platform": None,
        "Version": __version__,
        "APIVersion": api_version,
        "DefaultAPIVersion": MAX_API_VERSION,
        "GitCommit": "dockyard",
        "GoVersion": "python" + ".".join(str(p) for p in sys.version_info[:3]),
        "Os": sys.platform,
        "Arch": _arch(),
        "BuildTime": "",
        "Context": "default",
    }


def _client_text(c: dict[str, Any]) -> str:
    api = c["APIVersion"]
    if api != c["DefaultAPIVersion"]:
        api += f" (downgraded from {c['DefaultAPIVersion']})"
    return (
        "Client:\n"
        f" Version:\t{c['Version']}\n"
        f" API version:\t{api}\n"
        f" Go version:\t{c['GoVersion']}\n"
        f" Git commit:\t{c['GitCommit']}\n"
        f" Built:\t{c['BuildTime']}\n"
        f" OS/Arch:\t{c['Os']}/{c['Arch']}\n"
        f" Context:\t{c['Context']}"
    )


def _server_text(s: dict[str, Any]) -> str:
    name = (s.get("Platform") or {}).get("Name", "")
    lines = ["", "", "Server:" + (f" {name}" if name else "")]
    for comp in s.get("Components") or []:
        details = comp.get("Details") or {}
        lines.append(f" {comp.get('Name', '')}:")
        if comp.get("Name") == "Engine":
            lines += [
                f"  Version:\t{comp.get('Version', '')}",
                f"  API version:\t{details.get('ApiVersion', '')}"
                f" (minimum version {details.get('MinAPIVersion', '')})",
                f"  Go version:\t{details.get('GoVersion', '')}",
                f"  Git commit:\t{details.get('GitCommit', '')}",
                f"  Built:\t{details.get('BuildTime', '')}",
                f"  OS/Arch:\t{details.get('Os', '')}/{details.get('Arch', '')}",
                f"  Experimental:\t{details.get('Experimental', '')}",
            ]
        else:
            lines.append(f"  Version:\t{comp.get('Version', '')}")
            lines += [f"  {key}:\t{details[key]}" for key in sorted(details)]
    return "\n".join(lines)


def _server_fields(doc: dict[str, Any]) -> dict[str, Any]:
    components = list(doc.get("Components") or [])
    engine = next((c for c in components if c.get("Name") == "Engine"), None)
    details = (engine or {}).get("Details") or {}
    if engine is None:
        components.append(
            {
                "Name": "Engine",
                "Version": doc.get("Version", ""),
                "Details": {
                    "ApiVersion": doc.get("ApiVersion", ""),
                    "MinAPIVersion": doc.get("MinAPIVersion", ""),
                    "Os": doc.get("Os", ""),
                    "Arch": doc.get("Arch", ""),
                },
            }
        )
    return {
        "Platform": doc.get("Platform") or {"Name": ""},
        "Version": doc.get("Version", ""),
        "APIVersion": doc.get("ApiVersion", ""),
        "MinAPIVersion": doc.get("MinAPIVersion", ""),
        "Os": doc.get("Os", ""),
        "Arch": doc.get("Arch", ""),
        "Components": components,
        "GitCommit": details.get("GitCommit", ""),
        "GoVersion": details.get("GoVersion", ""),
        "KernelVersion": details.get("KernelVersion", ""),
        "Experimental": details.get("Experimental") == "true",
        "BuildTime": details.get("BuildTime", ""),
    }


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.output.tabwriter import align

    fmt: str = opts["format"]
    template = None
    if fmt:
        from dockyard.cli.output.gotemplate import Template, TemplateError

        try:
            template = Template("{{json .}}" if fmt == "json" else fmt, "version")
        except TemplateError as err:
            raise TemplateError(f"template parsing error: {err}", 64) from None
    client = ctx.client()
    failure: ClientError | None = None
    server: dict[str, Any] | None = None
    api_version = ""
    try:
        api_version = client.api_version
        server = _server_fields(client.json("GET", "/version"))
    except ClientError as err:
        failure = err
    fields = _client_fields(ctx, api_version or MAX_API_VERSION)
    if template is not None:
        from dockyard.cli.output.gotemplate import Struct

        data = Struct(
            "system.versionInfo",
            {
                "Client": Struct("system.clientVersion", fields),
                "Server": None if server is None else Struct("*system.serverVersion", server),
            },
        )
        text = template.execute(data)
    else:
        text = _client_text(fields) + ("" if server is None else _server_text(server))
    ctx.write(align(text + "\n", 20, 1))
    if failure is not None:
        raise failure
    return 0
