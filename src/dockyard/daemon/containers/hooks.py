"""How other services take part in a container's life without the verbs knowing them.

The network and volume services (issue 5) attach to containers: an address and a netns at
start, volumes held from create to removal, their parts of inspect. The verbs call every
:class:`ContainerHooks` in ``ctx.hooks`` at fixed points; a hook owns its own state and
cleanup. Order of the calls for one container::

    created(c)                 create, after the record and snapshot exist; raising undoes
                               the create (removed(c, True) is then called for every hook)
      prepare(c, rootfs)       each start, in a worker thread, after the rootfs is mounted and
                               before the bundle is written; returns what goes into the spec
      stopped(c)               after the process ended (or a start failed part way): undo
                               prepare; idempotent, also after a daemon restart
    removed(c, volumes)        the container is being removed (``rm -v``: ``volumes`` True)
    view([(c, view), ...])     inspect (one) and ps (all rows at once, so a hook reads its
                               store once per list, not once per container): fill in the
                               hook's part of each view, in order

``prepare`` runs the hooks in list order; when one raises, ``stopped`` is called for all of
them (each must tolerate a prepare that never ran) and the start fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dockyard.apitypes.containers import ContainerView
from dockyard.daemon.containers.store import Container
from dockyard.runtime.spec import ExtraMount

__all__ = ["ContainerHooks", "StartExtras"]


@dataclass(frozen=True, slots=True)
class StartExtras:
    """A hook's contribution to the spec. ``network`` None leaves the namespace choice to
    others; "" is a new namespace, "host", or the path of a namespace to join. ``env`` comes
    before the container's own variables (which win on the same key)."""

    network: str | None = None
    mounts: tuple[ExtraMount, ...] = ()
    env: tuple[str, ...] = ()


class ContainerHooks(Protocol):
    def created(self, c: Container) -> None: ...

    def prepare(self, c: Container, rootfs: Path) -> StartExtras: ...

    def stopped(self, c: Container) -> None: ...

    def removed(self, c: Container, volumes: bool) -> None: ...

    def view(self, items: Sequence[tuple[Container, ContainerView]]) -> list[ContainerView]: ...
