"""Merge an image's runtime defaults into a create request's Config, as dockerd does.

The result is what inspect shows under ``Config``: the client's values win, the image fills
what the client left empty (``Cmd`` only when the client set neither ``Cmd`` nor
``Entrypoint``), environment variables and labels are combined by key, exposed ports and
volumes are unions, and a healthcheck inherits each zero field from the image's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from dockyard.apitypes.container_config import ContainerConfig, HealthConfig
from dockyard.errors import InvalidParameter
from dockyard.oci.image import ContainerConfig as ImageDefaults

__all__ = ["merge_image_config", "require_command"]


def _env_key(entry: str) -> str:
    return entry.split("=", 1)[0]


def _health(user: HealthConfig | None, image: Mapping[str, Any] | None) -> HealthConfig | None:
    if not image:
        return user
    base = HealthConfig.from_wire(image)
    if user is None:
        return base
    return HealthConfig(
        test=user.test or base.test,
        interval=user.interval or base.interval,
        timeout=user.timeout or base.timeout,
        start_period=user.start_period or base.start_period,
        start_interval=user.start_interval or base.start_interval,
        retries=user.retries or base.retries,
    )


def _union(user: tuple[str, ...] | None, image: Mapping[str, Any]) -> tuple[str, ...] | None:
    if not image:
        return user
    mine = user or ()
    return mine + tuple(k for k in image if k not in mine)


def merge_image_config(config: ContainerConfig, image: ImageDefaults) -> ContainerConfig:
    env = config.env
    if image.env:
        keys = {_env_key(e) for e in env or ()}
        env = (*(env or ()), *(e for e in image.env if _env_key(e) not in keys))
    labels = dict(image.labels)
    labels.update(config.labels or {})
    cmd, entrypoint, args_escaped = config.cmd, config.entrypoint, config.args_escaped
    if not entrypoint:
        if not cmd:
            cmd = tuple(image.cmd) if image.cmd is not None else None
            args_escaped = image.args_escaped
        if entrypoint is None and image.entrypoint is not None:
            entrypoint = tuple(image.entrypoint)
    return dataclasses.replace(
        config,
        user=config.user or image.user,
        exposed_ports=_union(config.exposed_ports, image.exposed_ports),
        env=env,
        labels=labels,
        cmd=cmd,
        entrypoint=entrypoint,
        args_escaped=args_escaped,
        healthcheck=_health(config.healthcheck, image.healthcheck),
        working_dir=config.working_dir or image.working_dir,
        volumes=_union(config.volumes or None, image.volumes),
        stop_signal=config.stop_signal or image.stop_signal,
    )


def require_command(config: ContainerConfig) -> None:
    """After merging: dockerd refuses a container with nothing to run."""
    if not config.cmd and not config.entrypoint:
        raise InvalidParameter("No command specified")
