"""Resolving ``--user`` against an image's /etc/passwd and /etc/group, Docker's rules."""

from __future__ import annotations

import pytest

from dockyard.errors import InvalidParameter
from dockyard.runtime.usergroup import ExecUser, resolve_user

PASSWD = """\
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
GROUP = """\
root:x:0:
daemon:x:1:
www-data:x:33:
audio:x:29:www-data,nobody
video:x:44:www-data
nogroup:x:65534:
"""


def test_empty_spec_is_root_with_its_passwd_gid() -> None:
    assert resolve_user("", PASSWD, GROUP) == ExecUser(0, 0, ())


def test_name_gives_uid_gid_and_supplementary_groups() -> None:
    assert resolve_user("www-data", PASSWD, GROUP) == ExecUser(33, 33, (29, 44))


def test_numeric_uid_with_passwd_entry_uses_its_gid() -> None:
    assert resolve_user("65534", PASSWD, GROUP) == ExecUser(65534, 65534, (29,))


def test_numeric_uid_without_entry_is_allowed_with_gid_zero() -> None:
    assert resolve_user("1234", PASSWD, GROUP) == ExecUser(1234, 0, ())


def test_name_and_group_name_sets_gid_without_supplementary_groups() -> None:
    assert resolve_user("www-data:nogroup", PASSWD, GROUP) == ExecUser(33, 65534, ())


def test_uid_and_numeric_gid_need_no_entries() -> None:
    assert resolve_user("1000:1000", "", "") == ExecUser(1000, 1000, ())


def test_unknown_user_is_invalid_with_docker_message() -> None:
    with pytest.raises(InvalidParameter) as err:
        resolve_user("xyz", PASSWD, GROUP)
    assert str(err.value) == "unable to find user xyz: no matching entries in passwd file"


def test_named_user_without_passwd_file_is_invalid() -> None:
    with pytest.raises(InvalidParameter, match="unable to find user nobody"):
        resolve_user("nobody", "", "")


def test_unknown_group_is_invalid_with_docker_message() -> None:
    with pytest.raises(InvalidParameter) as err:
        resolve_user("nobody:staff", PASSWD, GROUP)
    assert str(err.value) == "unable to find group staff: no matching entries in group file"


def test_out_of_range_uid_is_invalid() -> None:
    with pytest.raises(InvalidParameter, match="uids and gids must be in range 0-2147483647"):
        resolve_user("4294967296", PASSWD, GROUP)


def test_first_matching_passwd_line_wins() -> None:
    passwd = "app:x:1000:1000::/:/bin/sh\napp:x:2000:2000::/:/bin/sh\n"
    assert resolve_user("app", passwd, "") == ExecUser(1000, 1000, ())


def test_blank_lines_and_short_lines_are_tolerated() -> None:
    assert resolve_user("odd", "\nodd:x:7\n", "") == ExecUser(7, 0, ())
