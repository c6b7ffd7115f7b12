"""Seccomp filters for a container: Dockyard's default profile and Docker-format profiles.

The default denies with EPERM every system call not on the allowlist
(:mod:`dockyard.runtime.seccomp_syscalls`), widens the list for the capabilities the
container holds, and keeps a container without CAP_SYS_ADMIN from creating namespaces with
clone (flag filter) or clone3 (ENOSYS, so that libc falls back to clone).

A custom profile is Docker's format (``--security-opt seccomp=<file contents>``):
``defaultAction``, ``architectures`` or ``archMap``, and ``syscalls`` entries with
``name``/``names``, ``action``, ``errnoRet``, ``args`` and ``includes``/``excludes``
filters on ``caps``, ``arches`` and ``minKernel``. It is filtered for this host (x86_64)
and the container's capabilities and returned in the OCI shape. Everything is x86_64 only.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from dockyard.errors import InvalidParameter
from dockyard.oci.runtime import Seccomp, SeccompArg, SeccompSyscall
from dockyard.runtime import seccomp_syscalls as data

__all__ = ["default_profile", "load_profile"]

_NATIVE_ARCH = "amd64"  # libseccomp's name for this host, as used by includes/excludes
_ARCHITECTURES = ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32")
_EPERM = 1
_ENOSYS = 38
_AF_ALG = 38
_AF_VSOCK = 40
# CLONE_NEWNS | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWCGROUP
_CLONE_NAMESPACE_FLAGS = 0x7E020000
_PERSONALITIES = (0x0, 0x0008, 0x20000, 0x20008, 0xFFFFFFFF)  # LINUX, UNAME26, ..., query

_ACTIONS = frozenset(
    "SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP SCMP_ACT_ERRNO "
    "SCMP_ACT_TRACE SCMP_ACT_ALLOW SCMP_ACT_LOG SCMP_ACT_NOTIFY".split()
)
_OPS = frozenset(
    "SCMP_CMP_NE SCMP_CMP_LT SCMP_CMP_LE SCMP_CMP_EQ SCMP_CMP_GE SCMP_CMP_GT "
    "SCMP_CMP_MASKED_EQ".split()
)
_ALLOW = "SCMP_ACT_ALLOW"


def _allow(names: tuple[str, ...], *args: SeccompArg) -> SeccompSyscall:
    return SeccompSyscall(names=names, action=_ALLOW, args=args)


def default_profile(capabilities: Collection[str]) -> Seccomp:
    """The default filter for a container whose bounding set is ``capabilities``."""
    rules = [_allow(data.ALWAYS), _allow(data.PTRACE_SINCE_4_8)]
    rules += [
        _allow(("socket",), SeccompArg(0, _AF_ALG, "SCMP_CMP_LT")),
        _allow(("socket",), SeccompArg(0, _AF_ALG + 1, "SCMP_CMP_EQ")),
        _allow(("socket",), SeccompArg(0, _AF_VSOCK, "SCMP_CMP_GT")),
    ]
    rules += [_allow(("personality",), SeccompArg(0, p, "SCMP_CMP_EQ")) for p in _PERSONALITIES]
    rules += [_allow(data.X86_64_ONLY), _allow(data.X86_FAMILY)]
    rules += [_allow(names) for cap, names in data.BY_CAPABILITY if cap in capabilities]
    if "CAP_SYS_ADMIN" not in capabilities:
        no_new_ns = SeccompArg(0, _CLONE_NAMESPACE_FLAGS, "SCMP_CMP_MASKED_EQ", 0)
        rules.append(_allow(("clone",), no_new_ns))
        rules.append(SeccompSyscall(("clone3",), "SCMP_ACT_ERRNO", errno_ret=_ENOSYS))
    return Seccomp(
        default_action="SCMP_ACT_ERRNO",
        default_errno_ret=_EPERM,
        architectures=_ARCHITECTURES,
        syscalls=tuple(rules),
    )


def _bad(message: str) -> InvalidParameter:
    return InvalidParameter(f"invalid seccomp profile: {message}")


def _str_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{what} must be a list of strings")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(f"{what} must be a non-negative integer")
    return value


def _action(value: Any) -> str:
    if value not in _ACTIONS:
        raise _bad(f"unknown action {value!r}")
    return str(value)


def _kernel_at_least(wanted: Any, kernel: tuple[int, int] | None) -> bool:
    if not isinstance(wanted, str) or not all(p.isdigit() for p in wanted.split(".", 1)):
        raise _bad(f"minKernel {wanted!r} is not MAJOR.MINOR")
    if kernel is None:
        return True
    major, _, minor = wanted.partition(".")
    return kernel >= (int(major), int(minor or 0))


def _selected(rule: dict[str, Any], caps: Collection[str], kernel: tuple[int, int] | None) -> bool:
    """Docker's includes/excludes semantics: includes need all, excludes any."""
    excludes = rule.get("excludes") or {}
    includes = rule.get("includes") or {}
    if not isinstance(excludes, dict) or not isinstance(includes, dict):
        raise _bad("includes and excludes must be objects")
    if _NATIVE_ARCH in _str_list(excludes.get("arches"), "excludes.arches"):
        return False
    if any(c in caps for c in _str_list(excludes.get("caps"), "excludes.caps")):
        return False
    if excludes.get("minKernel") and _kernel_at_least(excludes["minKernel"], kernel):
        return False
    arches = _str_list(includes.get("arches"), "includes.arches")
    if arches and _NATIVE_ARCH not in arches:
        return False
    if not all(c in caps for c in _str_list(includes.get("caps"), "includes.caps")):
        return False
    return not (includes.get("minKernel") and not _kernel_at_least(includes["minKernel"], kernel))


def _arg(raw: Any) -> SeccompArg:
    if not isinstance(raw, dict):
        raise _bad("syscall args must be objects")
    op = raw.get("op")
    if op not in _OPS:
        raise _bad(f"unknown operator {op!r}")
    return SeccompArg(
        index=_int(raw.get("index", 0), "arg index"),
        value=_int(raw.get("value", 0), "arg value"),
        value_two=_int(raw.get("valueTwo", 0), "arg valueTwo"),
        op=str(op),
    )


def _syscall(raw: Any) -> tuple[dict[str, Any], SeccompSyscall]:
    if not isinstance(raw, dict):
        raise _bad("syscalls entries must be objects")
    names = _str_list(raw.get("names"), "names")
    if raw.get("name"):
        if names:
            raise _bad("both 'name' and 'names' are specified, use either 'name' or 'names'")
        names = [str(raw["name"])]
    errno = raw.get("errnoRet")
    args = raw.get("args") or []
    if not isinstance(args, list):
        raise _bad("args must be a list")
    return raw, SeccompSyscall(
        names=tuple(names),
        action=_action(raw.get("action")),
        errno_ret=None if errno is None else _int(errno, "errnoRet"),
        args=tuple(_arg(a) for a in args),
    )


def _architectures(doc: dict[str, Any]) -> tuple[str, ...]:
    plain = _str_list(doc.get("architectures"), "architectures")
    arch_map = doc.get("archMap") or []
    if plain and arch_map:
        raise _bad("both 'architectures' and 'archMap' are specified, use one of them")
    if not isinstance(arch_map, list):
        raise _bad("archMap must be a list")
    for entry in arch_map:
        if not isinstance(entry, dict):
            raise _bad("archMap entries must be objects")
        if entry.get("architecture") == _ARCHITECTURES[0]:
            subs = _str_list(entry.get("subArchitectures"), "subArchitectures")
            return (_ARCHITECTURES[0], *subs)
    return tuple(plain)


def load_profile(
    text: str, capabilities: Collection[str], kernel: tuple[int, int] | None = None
) -> Seccomp | None:
    """A Docker-format profile as the OCI filter for this container (None: no filter).

    ``kernel`` (major, minor) decides ``minKernel`` filters; None means a current kernel.
    Malformed JSON or an unknown action/operator is InvalidParameter.
    """
    try:
        doc = json.loads(text)
    except ValueError as err:
        raise InvalidParameter(f"Decoding seccomp profile failed: {err}") from err
    if not isinstance(doc, dict):
        raise InvalidParameter("Decoding seccomp profile failed: not a JSON object")
    raw_calls = doc.get("syscalls") or []
    if not isinstance(raw_calls, list):
        raise _bad("syscalls must be a list")
    if not doc.get("defaultAction") and not raw_calls:
        return None
    errno = doc.get("defaultErrnoRet")
    calls = [_syscall(r) for r in raw_calls]
    return Seccomp(
        default_action=_action(doc.get("defaultAction")),
        default_errno_ret=None if errno is None else _int(errno, "defaultErrnoRet"),
        architectures=_architectures(doc),
        flags=tuple(_str_list(doc.get("flags"), "flags")),
        syscalls=tuple(call for raw, call in calls if _selected(raw, capabilities, kernel)),
    )
