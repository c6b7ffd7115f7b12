"""``Config`` of a container: the portable part of ``POST /containers/create`` and of inspect.

Field order, ``null``-versus-empty and ``omitempty`` follow moby's ``container.Config``, so
that :meth:`ContainerConfig.to_wire` is what ``docker inspect`` shows under ``Config`` once
the container service has merged the image defaults into it.
"""

# wf() returns a dataclasses.field (with a default or default_factory), not a shared value.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.apitypes.gojson import decode, encode, wf

__all__ = ["ContainerConfig", "HealthConfig"]


@dataclass(frozen=True, slots=True)
class HealthConfig:
    """Durations are nanoseconds; zero means "inherit from the image".

    ``test``: ``()`` inherit, ``("NONE",)`` disable, ``("CMD", ...)``, ``("CMD-SHELL", cmd)``.
    """

    test: tuple[str, ...] | None = wf("Test", "[]string", omitempty=True)
    interval: int = wf("Interval", "int64", omitempty=True)
    timeout: int = wf("Timeout", "int64", omitempty=True)
    start_period: int = wf("StartPeriod", "int64", omitempty=True)
    start_interval: int = wf("StartInterval", "int64", omitempty=True)
    retries: int = wf("Retries", "int", omitempty=True)

    @classmethod
    def from_wire(cls, doc: Any) -> HealthConfig:
        return decode(cls, doc, "HealthConfig")

    def to_wire(self) -> dict[str, Any]:
        return encode(self)


@dataclass(frozen=True, slots=True)
class ContainerConfig:
    hostname: str = wf("Hostname", "string")
    domainname: str = wf("Domainname", "string")
    user: str = wf("User", "string")
    attach_stdin: bool = wf("AttachStdin", "bool")
    attach_stdout: bool = wf("AttachStdout", "bool")
    attach_stderr: bool = wf("AttachStderr", "bool")
    exposed_ports: tuple[str, ...] | None = wf("ExposedPorts", "PortSet", omitempty=True)
    tty: bool = wf("Tty", "bool")
    open_stdin: bool = wf("OpenStdin", "bool")
    stdin_once: bool = wf("StdinOnce", "bool")
    env: tuple[str, ...] | None = wf("Env", "[]string")
    cmd: tuple[str, ...] | None = wf("Cmd", "StrSlice")
    healthcheck: HealthConfig | None = wf(
        "Healthcheck", "*HealthConfig", cls=HealthConfig, omitempty=True
    )
    args_escaped: bool = wf("ArgsEscaped", "bool", omitempty=True)
    image: str = wf("Image", "string")
    volumes: tuple[str, ...] | None = wf("Volumes", "PortSet")
    working_dir: str = wf("WorkingDir", "string")
    entrypoint: tuple[str, ...] | None = wf("Entrypoint", "StrSlice")
    network_disabled: bool = wf("NetworkDisabled", "bool", omitempty=True)
    mac_address: str = wf("MacAddress", "string", omitempty=True)
    on_build: tuple[str, ...] | None = wf("OnBuild", "[]string")
    labels: dict[str, str] | None = wf("Labels", "map[string]string")
    stop_signal: str = wf("StopSignal", "string", omitempty=True)
    stop_timeout: int | None = wf("StopTimeout", "*int", omitempty=True)
    shell: tuple[str, ...] | None = wf("Shell", "StrSlice", omitempty=True)

    @classmethod
    def from_wire(cls, doc: Any, struct: str = "ContainerConfig") -> ContainerConfig:
        """Strict decode; unknown keys (HostConfig, NetworkingConfig in a create body) ignored."""
        return decode(cls, doc, struct)

    def to_wire(self) -> dict[str, Any]:
        return encode(self)
