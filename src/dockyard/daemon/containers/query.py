"""``GET /containers/json`` and ``GET /containers/{id}/json``: what a container looks like.

Docker computes the human ``Status`` column of ``ps`` server side ("Up 2 minutes",
"Exited (0) 3 seconds ago"); so do we, from the State's timestamps.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from dockyard.apitypes.containers import ContainerView, NetworkSettingsView, PortView
from dockyard.apitypes.filters import Filters, validate_keys
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.state import LIVE, ZERO_TIME, State, Status
from dockyard.daemon.containers.store import Container
from dockyard.errors import InvalidParameter, NotFound
from dockyard.util.humanize import human_duration
from dockyard.util.timefmt import parse_rfc3339

__all__ = ["LIST_FILTERS", "list_containers", "status_text", "view"]

LIST_FILTERS = (
    "ancestor before exited health id isTask label name network publish since status expose volume"
).split()
_STATUSES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")


def status_text(state: State, now: float) -> str:
    """moby's ``State.String()``."""

    def ago(ts: str) -> str:
        return human_duration(now - parse_rfc3339(ts))

    if state.status is Status.RUNNING or state.status is Status.PAUSED:
        text = f"Up {ago(state.started_at)}"
        if state.status is Status.PAUSED:
            return text + " (Paused)"
        if state.health is not None:
            health = state.health.status
            return text + (" (health: starting)" if health == "starting" else f" ({health})")
        return text
    if state.status is Status.RESTARTING:
        return f"Restarting ({state.exit_code}) {ago(state.finished_at)} ago"
    if state.status is Status.REMOVING:
        return "Removal In Progress"
    if state.status is Status.DEAD:
        return "Dead"
    if state.started_at == ZERO_TIME:
        return "Created"
    if state.finished_at == ZERO_TIME:
        return ""
    return f"Exited ({state.exit_code}) {ago(state.finished_at)} ago"


def _exposed_ports(c: Container) -> tuple[PortView, ...]:
    ports = []
    for spec in c.config.exposed_ports or ():
        number, _, proto = spec.partition("/")
        ports.append(PortView(int(number), proto or "tcp"))
    return tuple(ports)


def view(ctx: ContainerContext, c: Container, *, size: bool = False) -> ContainerView:
    """What inspect shows of ``c``."""
    out = _base_view(ctx, c, size=size, detail=True)
    for hook in ctx.hooks:
        out = hook.view([(c, out)])[0]
    return out


def _base_view(ctx: ContainerContext, c: Container, *, size: bool, detail: bool) -> ContainerView:
    """The view before the hooks add networks and mounts; a list row (not ``detail``) skips
    the file paths and exec ids, which only inspect shows and which cost a query each."""
    size_rw = size_root = None
    if size:
        size_rw = ctx.snapshotter.usage(c.snapshot_key).size
        size_root = size_rw + ctx.images.resolve(c.image_id).size
    return ContainerView(
        id=c.id,
        name=c.name,
        created=c.created,
        path=c.path,
        args=c.args,
        state=c.state,
        status_text=status_text(c.state, time.time()),
        state_name=c.state.status.value,
        image=c.image,
        image_id=c.image_id,
        config=c.config,
        host_config=c.host_config,
        resolv_conf_path=str(ctx.layout.resolv_conf_path(c.id)) if detail else "",
        hostname_path=str(ctx.layout.hostname_path(c.id)) if detail else "",
        hosts_path=str(ctx.layout.hosts_path(c.id)) if detail else "",
        log_path=c.log_path,
        restart_count=c.restart_count,
        driver=c.driver,
        exec_ids=tuple(r.id for r in ctx.store.list_execs(c.id)) if detail else (),
        network=NetworkSettingsView(ports=_exposed_ports(c)),
        size_rw=size_rw,
        size_root_fs=size_root,
    )


def _label_ok(labels: dict[str, str], spec: str) -> bool:
    key, sep, value = spec.partition("=")
    return key in labels and (not sep or labels[key] == value)


def _matcher(ctx: ContainerContext, filters: Filters) -> Callable[[Container], bool]:
    validate_keys(filters, LIST_FILTERS)
    for status in filters.get("status", []):
        if status not in _STATUSES:
            raise InvalidParameter(f"invalid filter 'status={status}'")
    exited = []
    for value in filters.get("exited", []):
        try:
            exited.append(int(value))
        except ValueError as err:
            raise InvalidParameter(f"invalid filter 'exited={value}'") from err

    def created_of(ref: str) -> float:
        try:
            return ctx.store.get(ref).created
        except NotFound as err:
            raise InvalidParameter(f"No such container: {ref}") from err

    before = [created_of(r) for r in filters.get("before", [])]
    since = [created_of(r) for r in filters.get("since", [])]
    ancestors: set[str] = set()
    for ref in filters.get("ancestor", []):
        try:
            ancestors.add(ctx.images.resolve(ref).id)
        except NotFound:
            ancestors.add("<none>")

    def ok(c: Container) -> bool:
        f = filters
        labels = dict(c.config.labels or {})
        if f.get("id") and not any(c.id.startswith(v) for v in f["id"]):
            return False
        if f.get("name") and not any(re.search(v.lstrip("/"), c.name) for v in f["name"]):
            return False
        if f.get("label") and not all(_label_ok(labels, v) for v in f["label"]):
            return False
        if f.get("status") and c.state.status.value not in f["status"]:
            return False
        if exited and (c.state.status is not Status.EXITED or c.state.exit_code not in exited):
            return False
        if before and not all(c.created < t for t in before):
            return False
        if since and not all(c.created > t for t in since):
            return False
        if ancestors and c.image_id not in ancestors:
            return False
        if f.get("health"):
            health = c.state.health.status if c.state.health else "none"
            if health not in f["health"]:
                return False
        return True

    return ok


def _port_set(values: list[str], what: str) -> set[tuple[int, str]]:
    """``80``, ``80/udp``, ``8000-8010/tcp`` as (port, proto) pairs."""
    out: set[tuple[int, str]] = set()
    for value in values:
        spec, _, proto = value.partition("/")
        first, _, last = spec.partition("-")
        try:
            lo, hi = int(first), int(last or first)
        except ValueError as err:
            raise InvalidParameter(f"invalid filter '{what}={value}'") from err
        out.update((port, proto or "tcp") for port in range(lo, hi + 1))
    return out


def _view_matcher(filters: Filters) -> Callable[[ContainerView], bool]:
    """Filters on what the network and volume services add to the view (moby's list.go)."""
    networks = filters.get("network", [])
    volumes = filters.get("volume", [])
    published = _port_set(filters.get("publish", []), "publish")
    exposed = _port_set(filters.get("expose", []), "expose")

    def ok(v: ContainerView) -> bool:
        if networks:
            joined = {(name, ep.network_id) for name, ep in v.network.networks.items()}
            if not any(
                n == name or (n and net_id.startswith(n))
                for n in networks
                for name, net_id in joined
            ):
                return False
        if volumes and not any(
            m.name == vol or m.destination == vol for m in v.mounts for vol in volumes
        ):
            return False
        if published or exposed:
            pairs = {(p.host_port, p.proto) for p in v.network.ports if p.host_port}
            privates = {(p.container_port, p.proto) for p in v.network.ports}
            if not (pairs & published or privates & exposed):
                return False
        return True

    return ok


def list_containers(
    ctx: ContainerContext,
    *,
    all_: bool = False,
    limit: int = -1,
    size: bool = False,
    filters: Filters | None = None,
) -> list[ContainerView]:
    matcher = _matcher(ctx, filters or {})
    view_matcher = _view_matcher(filters or {})
    out: list[ContainerView] = []
    show_all = (
        all_
        or limit > 0
        or bool((filters or {}).get("status"))
        or bool((filters or {}).get("exited"))
    )
    rows = [
        (c, _base_view(ctx, c, size=size, detail=False))
        for c in ctx.store.list()
        if (show_all or c.state.status in LIVE) and matcher(c)
    ]
    views = [v for _, v in rows]
    for hook in ctx.hooks:
        views = hook.view([(c, v) for (c, _), v in zip(rows, views, strict=True)])
    for shown in views:
        if not view_matcher(shown):
            continue
        out.append(shown)
        if 0 < limit <= len(out):
            break
    return out
