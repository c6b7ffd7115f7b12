"""Dockyard's default seccomp profile and the Docker-format profile loader."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dockyard.errors import InvalidParameter
from dockyard.oci.runtime import Seccomp
from dockyard.runtime.capabilities import DEFAULT_CAPABILITIES
from dockyard.runtime.seccomp import default_profile, load_profile

CLONE_NS_FLAGS = 0x7E020000


def unconditional(profile: Seccomp) -> set[str]:
    return {
        n for r in profile.syscalls if r.action == "SCMP_ACT_ALLOW" and not r.args for n in r.names
    }


def rules_for(profile: Seccomp, name: str) -> list[Any]:
    return [r for r in profile.syscalls if name in r.names]


def test_default_denies_with_eperm_on_x86_family() -> None:
    profile = default_profile(DEFAULT_CAPABILITIES)
    assert (profile.default_action, profile.default_errno_ret) == ("SCMP_ACT_ERRNO", 1)
    assert profile.architectures == ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32")


def test_default_allows_ordinary_calls() -> None:
    allowed = unconditional(default_profile(DEFAULT_CAPABILITIES))
    assert {"read", "write", "openat", "execve", "fork", "arch_prctl"} <= allowed


def test_default_refuses_namespace_and_mount_calls() -> None:
    allowed = unconditional(default_profile(DEFAULT_CAPABILITIES))
    assert not {"unshare", "setns", "mount", "umount2", "reboot", "init_module"} & allowed


def test_clone_is_filtered_on_namespace_flags_without_sys_admin() -> None:
    (rule,) = rules_for(default_profile(DEFAULT_CAPABILITIES), "clone")
    (arg,) = rule.args
    assert (arg.index, arg.value, arg.value_two, arg.op) == (
        0,
        CLONE_NS_FLAGS,
        0,
        "SCMP_CMP_MASKED_EQ",
    )


def test_clone3_fails_with_enosys_without_sys_admin() -> None:
    (rule,) = rules_for(default_profile(DEFAULT_CAPABILITIES), "clone3")
    assert (rule.action, rule.errno_ret) == ("SCMP_ACT_ERRNO", 38)


def test_sys_admin_allows_clone_unfiltered_and_mount() -> None:
    profile = default_profile((*DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"))
    assert {"clone", "clone3", "mount", "unshare", "setns"} <= unconditional(profile)
    assert all(not r.args for r in rules_for(profile, "clone"))


@pytest.mark.parametrize(
    ("cap", "names"),
    [
        ("CAP_SYS_PTRACE", {"kcmp", "pidfd_getfd", "process_madvise"}),
        ("CAP_SYS_TIME", {"settimeofday", "clock_settime"}),
        ("CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}),
        ("CAP_SYS_BOOT", {"reboot"}),
        ("CAP_SYS_NICE", {"mbind", "set_mempolicy"}),
        ("CAP_SYSLOG", {"syslog"}),
    ],
)
def test_capability_widens_allowlist(cap: str, names: set[str]) -> None:
    assert not names & unconditional(default_profile(DEFAULT_CAPABILITIES))
    assert names <= unconditional(default_profile((*DEFAULT_CAPABILITIES, cap)))


def test_personality_only_for_known_personas() -> None:
    values = {r.args[0].value for r in rules_for(default_profile(()), "personality")}
    assert values == {0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF}


def test_socket_excludes_af_alg_and_af_vsock() -> None:
    ops = [(r.args[0].op, r.args[0].value) for r in rules_for(default_profile(()), "socket")]
    assert ops == [("SCMP_CMP_LT", 38), ("SCMP_CMP_EQ", 39), ("SCMP_CMP_GT", 40)]


def load(doc: dict[str, Any], caps: tuple[str, ...] = DEFAULT_CAPABILITIES) -> Seccomp | None:
    return load_profile(json.dumps(doc), caps)


def test_invalid_json_profile_is_invalid_parameter() -> None:
    with pytest.raises(InvalidParameter, match=r"^Decoding seccomp profile failed"):
        load_profile("{", DEFAULT_CAPABILITIES)


def test_empty_profile_means_no_filter() -> None:
    assert load({}) is None


def test_name_is_converted_to_names() -> None:
    profile = load(
        {
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"name": "mkdir", "action": "SCMP_ACT_ERRNO"}],
        }
    )
    assert profile is not None
    assert profile.to_json()["syscalls"] == [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]


def test_name_and_names_together_are_invalid() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}],
    }
    with pytest.raises(InvalidParameter, match="both 'name' and 'names'"):
        load(doc)


def test_architectures_and_arch_map_together_are_invalid() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64"],
        "archMap": [{"architecture": "SCMP_ARCH_X86_64"}],
    }
    with pytest.raises(InvalidParameter, match="both 'architectures' and 'archMap'"):
        load(doc)


def test_arch_map_picks_this_hosts_architectures() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "archMap": [
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
        ],
    }
    profile = load(doc)
    assert profile is not None and profile.architectures == ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86")


def test_unknown_action_is_invalid() -> None:
    with pytest.raises(InvalidParameter, match="unknown action"):
        load({"defaultAction": "SCMP_ACT_MAYBE"})


def test_includes_caps_needs_every_cap_and_excludes_caps_any() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "syscalls": [
            {"names": ["a"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["b"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        ],
    }
    plain, admin = load(doc), load(doc, ("CAP_SYS_ADMIN",))
    assert plain is not None and admin is not None
    assert [r.names for r in plain.syscalls] == [("b",)]
    assert [r.names for r in admin.syscalls] == [("a",)]


def test_includes_arches_skips_foreign_rules() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "syscalls": [
            {"names": ["x"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}}
        ],
    }
    profile = load(doc)
    assert profile is not None and profile.syscalls == ()


def test_min_kernel_is_decided_by_the_given_kernel() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "syscalls": [
            {"names": ["x"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.6"}}
        ],
    }
    old = load_profile(json.dumps(doc), (), kernel=(4, 19))
    new = load_profile(json.dumps(doc), (), kernel=(6, 1))
    assert old is not None and new is not None
    assert (len(old.syscalls), len(new.syscalls)) == (0, 1)


def test_args_keep_operator_and_values() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {
                "names": ["personality"],
                "action": "SCMP_ACT_ERRNO",
                "errnoRet": 1,
                "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_NE"}],
            }
        ],
    }
    profile = load(doc)
    assert profile is not None
    assert profile.to_json()["syscalls"][0] == {
        "names": ["personality"],
        "action": "SCMP_ACT_ERRNO",
        "errnoRet": 1,
        "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_NE"}],
    }


def test_unknown_operator_is_invalid() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {
                "names": ["x"],
                "action": "SCMP_ACT_ERRNO",
                "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_SOMETIMES"}],
            }
        ],
    }
    with pytest.raises(InvalidParameter, match="unknown operator"):
        load(doc)
