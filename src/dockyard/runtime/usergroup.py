"""Resolve a ``--user`` spec against an image's /etc/passwd and /etc/group contents.

Pure: the caller reads the two files from the container's root filesystem (an empty string
stands for a missing file) and this applies Docker's (runc's libcontainer/user) rules:

- ``""`` is uid 0; ``name`` or ``uid`` looks the user up in passwd (a number needs no
  entry); ``user:group`` or ``uid:gid`` sets the group explicitly (a number needs no entry).
- Without an explicit group, the primary gid comes from passwd and the supplementary
  groups are every group whose member list names the user.
- The first matching line wins; ids must be in 0..2**31-1.
"""

from __future__ import annotations

from typing import NamedTuple

from dockyard.errors import InvalidParameter

__all__ = ["ExecUser", "resolve_user"]

_MAX_ID = 2**31 - 1


class ExecUser(NamedTuple):
    """The ids a container process runs with; ``extra_gids`` are supplementary groups."""

    uid: int
    gid: int
    extra_gids: tuple[int, ...] = ()


class _Entry(NamedTuple):
    name: str
    id: int
    gid: int  # passwd: primary gid; group: same as id
    members: tuple[str, ...]


def _numeric(value: str) -> int | None:
    if not value or not value.lstrip("-").isdigit() or not value.isascii():
        return None
    number = int(value)
    if number < 0 or number > _MAX_ID:
        raise InvalidParameter(f"uids and gids must be in range 0-{_MAX_ID}")
    return number


def _int_field(parts: list[str], index: int) -> int:
    try:
        return int(parts[index])
    except (IndexError, ValueError):
        return 0


def _passwd(text: str) -> list[_Entry]:
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        entries.append(_Entry(parts[0], _int_field(parts, 2), _int_field(parts, 3), ()))
    return entries


def _groups(text: str) -> list[_Entry]:
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        gid = _int_field(parts, 2)
        members = tuple(m for m in (parts[3] if len(parts) > 3 else "").split(",") if m)
        entries.append(_Entry(parts[0], gid, gid, members))
    return entries


def resolve_user(spec: str, passwd: str, group: str) -> ExecUser:
    """The uid, gid and supplementary gids for ``spec`` (InvalidParameter when unknown)."""
    user_arg, _, group_arg = spec.partition(":")
    uid_arg = _numeric(user_arg)
    gid_arg = _numeric(group_arg)

    uid, gid, matched = 0, 0, ""
    users = _passwd(passwd)
    if user_arg == "":
        found = next((u for u in users if u.id == 0), None)
    elif uid_arg is not None:
        found = next((u for u in users if u.id == uid_arg), None)
    else:
        found = next((u for u in users if u.name == user_arg), None)
    if found is not None:
        uid, gid, matched = found.id, found.gid, found.name
    elif uid_arg is not None:
        uid = uid_arg
    elif user_arg:
        raise InvalidParameter(
            f"unable to find user {user_arg}: no matching entries in passwd file"
        )

    extra: tuple[int, ...] = ()
    groups = _groups(group)
    if group_arg:
        if gid_arg is not None:
            hit = next((g for g in groups if g.id == gid_arg), None)
        else:
            hit = next((g for g in groups if g.name == group_arg), None)
        if hit is not None:
            gid = hit.id
        elif gid_arg is not None:
            gid = gid_arg
        else:
            raise InvalidParameter(
                f"unable to find group {group_arg}: no matching entries in group file"
            )
    elif matched:
        extra = tuple(g.id for g in groups if matched in g.members)
    return ExecUser(uid, gid, extra)
