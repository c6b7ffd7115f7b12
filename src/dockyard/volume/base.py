"""What a volume driver is: the :class:`Volume` record and the :class:`VolumeDriver` contract.

A driver owns a volume's data directory, its stored options and labels, and the set of
*refs* (container ids) that have it mounted. Lifecycle::

    create(name, labels, options)   -> Volume; the same name again returns the stored volume
      mount(name, ref)              -> host path to bind into the container; the first ref
                                       (0 -> 1) mounts the driver options (tmpfs, bind, nfs)
      unmount(name, ref)            the last ref (1 -> 0) unmounts them again
    remove(name)                    Conflict while any ref holds it

Refs are a *set* keyed by container id: mounting twice with one ref counts once, unmounting
a ref that does not hold the volume is a no-op. Refs survive a daemon restart (containers
keep running under the monitor), so a restarted daemon sees which containers still use a
volume in :meth:`VolumeDriver.refs` and releases those whose containers are gone.

What counts as "in use" for Docker is wider than "mounted": a *stopped* container still
references its volumes. The daemon owns that fact (its container records); it either holds
a ref from container create to container removal, or checks its records before calling
:meth:`VolumeDriver.remove`.

``labels`` and ``options`` are ``None`` when the creator gave none, and ``{}`` when it sent an
empty object: Docker keeps that difference and reports ``null`` vs ``{}`` in inspect.

Errors (:mod:`dockyard.errors`), in Docker's words:

* NotFound ``get <name>: no such volume``
* InvalidParameter ``create <name>: "<name>" includes invalid characters ...``,
  ``create <name>: invalid option: "foo"``
* Conflict ``remove <name>: volume is in use - [<id>, <id>]``, and ``create`` of an existing
  name with different, non-empty driver options.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dockyard.apitypes.volumes import ANONYMOUS_LABEL

__all__ = [
    "ANONYMOUS_LABEL",
    "DEFAULT_DRIVER",
    "Volume",
    "VolumeDriver",
    "in_use_message",
    "no_such_volume",
]

DEFAULT_DRIVER = "local"
# ANONYMOUS_LABEL: Docker 23+ labels volumes created without a name; prune (API >= 1.42)
# removes only those. Defined with the wire types, which sit a layer below.


@dataclass(frozen=True, slots=True)
class Volume:
    """A volume as stored; ``mountpoint`` is the host directory that holds its data.

    ``created_at`` is Unix seconds. ``labels``/``options`` are ``None`` when never given (see
    the module doc); treat both mappings as read-only.
    """

    name: str
    driver: str
    mountpoint: Path
    created_at: float
    labels: Mapping[str, str] | None = None
    options: Mapping[str, str] | None = None
    scope: str = "local"

    @property
    def anonymous(self) -> bool:
        return self.labels is not None and ANONYMOUS_LABEL in self.labels


def no_such_volume(name: str) -> str:
    return f"get {name}: no such volume"


def in_use_message(name: str, refs: frozenset[str]) -> str:
    """Docker's text, container ids sorted so that the message is stable."""
    return f"remove {name}: volume is in use - [{', '.join(sorted(refs))}]"


class VolumeDriver(Protocol):
    """Creates, mounts and removes volumes of one kind (``local``). Thread-safe: the daemon
    calls it from worker threads.

    Every method naming a volume that does not exist raises NotFound
    (``get <name>: no such volume``), except ``remove(name, force=True)``.
    """

    name: str

    def create(
        self,
        name: str | None,
        labels: Mapping[str, str] | None = None,
        options: Mapping[str, str] | None = None,
    ) -> Volume:
        """Create ``name`` (``None`` or ``""``: a 64-hex random name with the anonymous label).

        Idempotent as Docker's: an existing name returns the stored volume unchanged (given
        labels are ignored). Given non-empty options that differ from the stored ones raise
        Conflict; no options at all (a container's implicit create) always match. A bad name
        or option raises InvalidParameter before anything is written.
        """
        ...

    def get(self, name: str) -> Volume: ...

    def list(self) -> list[Volume]:
        """Every volume, sorted by name."""
        ...

    def remove(self, name: str, force: bool = False) -> None:
        """Delete the volume and its data. Conflict while refs hold it (``force`` does not
        override that, as in Docker); ``force`` makes a missing volume a no-op."""
        ...

    def mount(self, name: str, ref: str) -> Path:
        """Add ``ref`` and return the host path to bind (the volume's ``mountpoint``).

        The first ref mounts the driver options onto the path; a mount failure raises and
        leaves the ref out. Idempotent per ref.
        """
        ...

    def unmount(self, name: str, ref: str) -> None:
        """Drop ``ref``; dropping the last one unmounts the driver options. The ref is
        dropped even when the unmount fails (the error is raised after)."""
        ...

    def refs(self, name: str) -> frozenset[str]:
        """The refs holding the volume now (persisted across restarts)."""
        ...

    def usage(self, name: str) -> int:
        """Bytes used under the mountpoint, counted as Docker's ``df`` does (regular files
        and symlinks, each hard-linked inode once). Volumes with mount options describe
        other storage: the daemon skips them for ``df`` and prune, as Docker does."""
        ...
