"""Local volume names and driver options: Docker's rules and Docker's messages."""

from __future__ import annotations

import pytest

from dockyard.errors import InvalidParameter
from dockyard.mount import Mount
from dockyard.volume.validate import mount_for_options, validate_name, validate_options

INVALID_MESSAGE = (
    'create {0}: "{0}" includes invalid characters for a local volume name, only '
    '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, '
    "use absolute path"
)


@pytest.mark.parametrize("name", ["db", "my_vol", "v-1.2", "0abc", "A_b.c-D"])
def test_valid_names_pass(name: str) -> None:
    validate_name(name)


@pytest.mark.parametrize(
    "name", ["a/b", "/abs", "../up", ".hidden", "_x", "-x", "has space", "ünï", "x\n"]
)
def test_invalid_characters_get_dockers_message(name: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        validate_name(name)
    assert str(err.value) == INVALID_MESSAGE.format(name)


def test_one_character_name_is_too_short() -> None:
    with pytest.raises(InvalidParameter, match="create a: volume name is too short"):
        validate_name("a")


def test_unknown_option_is_named() -> None:
    with pytest.raises(InvalidParameter) as err:
        validate_options("v", {"type": "tmpfs", "device": "tmpfs", "foo": "1"})
    assert str(err.value) == 'create v: invalid option: "foo"'


def test_type_without_device_is_missing_device() -> None:
    with pytest.raises(InvalidParameter, match='missing required option: "device"'):
        validate_options("v", {"type": "tmpfs"})


def test_o_without_type_is_missing_option() -> None:
    with pytest.raises(InvalidParameter, match="missing required option"):
        validate_options("v", {"o": "size=1m", "device": "tmpfs"})


def test_no_options_are_valid() -> None:
    validate_options("v", None)
    validate_options("v", {})


def test_tmpfs_options_become_a_tmpfs_mount() -> None:
    m = mount_for_options({"type": "tmpfs", "device": "tmpfs", "o": "size=100m,uid=1000"})
    assert m == Mount("tmpfs", "tmpfs", ("size=100m", "uid=1000"))


def test_bind_options_become_a_bind_of_the_device() -> None:
    m = mount_for_options({"type": "none", "o": "bind", "device": "/srv/x"})
    assert m == Mount("none", "/srv/x", ("bind",))


def test_no_options_mean_no_mount() -> None:
    assert mount_for_options(None) is None
    assert mount_for_options({}) is None
