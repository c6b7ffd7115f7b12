"""The Mount value that snapshotters return and the one place that mounts it.

Snapshotters never mount: they describe what to mount as a list of :class:`Mount`, and the
caller (unpacker, container start, commit) mounts it with :func:`mount_all` and undoes it
with :func:`unmount_all`. This keeps mount lifetimes visible at the call site.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Mount"]


@dataclass(frozen=True, slots=True)
class Mount:
    """One mount(2) call: ``type`` (overlay, bind), ``source`` and comma-free options."""

    type: str
    source: str
    options: tuple[str, ...] = ()

    def option(self, key: str) -> str | None:
        """The value of ``key=value`` in the options (``upperdir``, ``lowerdir``...)."""
        prefix = key + "="
        for opt in self.options:
            if opt.startswith(prefix):
                return opt[len(prefix) :]
        return None
