"""Capability sets of a container, with Docker's rules for ``--cap-add``/``--cap-drop``.

Names are accepted in any case, with or without the ``CAP_`` prefix; ``ALL`` adds or drops
every known capability. The result always carries the prefix, as the OCI spec wants. "Known"
is the kernel's list up to CAP_CHECKPOINT_RESTORE (Linux 5.9), fixed here so that the
translation stays pure. What the host can grant (its bounding set, which a container
engine in a container or a hardened host may have narrowed) is passed in as ``available``:
privileged and ``ALL`` mean all of those, and naming one outside it is refused, as Docker
does; without it every known capability is assumed available.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from dockyard.errors import InvalidParameter

__all__ = ["ALL_CAPABILITIES", "DEFAULT_CAPABILITIES", "from_mask", "normalize", "tweak"]

# In kernel numbering order (CAP_CHOWN is 0, CAP_CHECKPOINT_RESTORE is 40).
ALL_CAPABILITIES: tuple[str, ...] = tuple(
    "CAP_" + name
    for name in (
        "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
        "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
        "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
        "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
        "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF "
        "CHECKPOINT_RESTORE"
    ).split()
)

# Docker's default set (oci/defaults.go), in Docker's order.
DEFAULT_CAPABILITIES: tuple[str, ...] = tuple(
    "CAP_" + name
    for name in (
        "CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP "
        "NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE"
    ).split()
)

_ALL = "ALL"


def from_mask(mask: int) -> tuple[str, ...]:
    """The names of the bits set in a capability mask (``CapBnd`` of /proc/<pid>/status)."""
    return tuple(name for bit, name in enumerate(ALL_CAPABILITIES) if mask >> bit & 1)


def normalize(caps: Iterable[str], available: Collection[str] = ALL_CAPABILITIES) -> list[str]:
    """Upper-case and prefix each name; keep ``ALL``; unknown names are InvalidParameter."""
    out: list[str] = []
    for raw in caps:
        cap = raw.upper()
        if cap != _ALL:
            if not cap.startswith("CAP_"):
                cap = "CAP_" + cap
            if cap not in ALL_CAPABILITIES:
                raise InvalidParameter(f'unknown capability: "{cap}"')
            if cap not in available:
                raise InvalidParameter(
                    "capability not supported by your kernel or not available in the "
                    f'current environment: "{cap}"'
                )
        out.append(cap)
    return out


def tweak(
    adds: Iterable[str],
    drops: Iterable[str],
    privileged: bool = False,
    basics: tuple[str, ...] = DEFAULT_CAPABILITIES,
    available: Collection[str] = (),
) -> tuple[str, ...]:
    """The container's capability set from the defaults, cap-add and cap-drop.

    Docker's precedence: privileged is everything; ``add ALL`` is everything but the drops;
    ``drop ALL`` is exactly the adds; otherwise the defaults minus drops plus adds.
    ``available`` (empty: every known capability) bounds what can be granted.
    """
    everything = tuple(c for c in ALL_CAPABILITIES if not available or c in available)
    if privileged:
        return everything
    add = normalize(adds, everything)
    drop = normalize(drops)
    if _ALL in add:
        result = [c for c in everything if c not in drop]
    elif _ALL in drop:
        result = list(add)
    else:
        result = [c for c in basics if c not in drop] + add
    return tuple(dict.fromkeys(result))
