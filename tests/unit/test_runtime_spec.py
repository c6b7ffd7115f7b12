"""The OCI spec builder: golden cases for whole specs, unit tests for single rules.

Golden runner: every ``tests/golden/spec/<case>/input.json`` is built and compared with
``expected.json`` (see tests/golden/conftest.py for ``--update-golden``). The input holds the
image config (Docker JSON), the request config and host options (field names of
RunConfig/HostOptions), the image's /etc/passwd and /etc/group texts, and extra mounts.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dockyard.errors import InvalidParameter
from dockyard.oci.image import ContainerConfig
from dockyard.runtime.capabilities import ALL_CAPABILITIES, DEFAULT_CAPABILITIES, from_mask
from dockyard.runtime.spec import (
    DeviceMapping,
    ExtraMount,
    HostOptions,
    RunConfig,
    SpecInput,
    Ulimit,
    build_spec,
    merge_config,
    validate_host_options,
)
from dockyard.runtime.usergroup import ExecUser, resolve_user

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "spec"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input.json").exists())


def _tuples(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def load_input(doc: dict[str, Any]) -> SpecInput:
    host = {k: _tuples(v) for k, v in doc.get("host", {}).items()}
    host["devices"] = tuple(DeviceMapping(**d) for d in host.get("devices", ()))
    host["ulimits"] = tuple(Ulimit(*u) for u in host.get("ulimits", ()))
    image = ContainerConfig.from_json(doc.get("image"))
    config = RunConfig(**{k: _tuples(v) for k, v in doc.get("config", {}).items()})
    merged = merge_config(image, config)
    return SpecInput(
        id=doc["id"],
        rootfs=doc["rootfs"],
        image=image,
        config=config,
        host=HostOptions(**host),
        user=resolve_user(merged.user, doc.get("passwd", ""), doc.get("group", "")),
        mounts=tuple(
            ExtraMount(m["source"], m["destination"], m["type"], tuple(m.get("options", ())))
            for m in doc.get("mounts", ())
        ),
    )


def _update_golden(request: pytest.FixtureRequest) -> bool:
    flag = bool(request.config.getoption("--update-golden", default=False))
    return flag or os.environ.get("DOCKYARD_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("case", CASES)
def test_golden_spec_matches_expected(case: str, request: pytest.FixtureRequest) -> None:
    inp = load_input(json.loads((GOLDEN / case / "input.json").read_text()))
    got = build_spec(inp).to_json()
    expected_path = GOLDEN / case / "expected.json"
    if _update_golden(request):
        expected_path.write_text(json.dumps(got, indent=2) + "\n")
    assert got == json.loads(expected_path.read_text())


def test_same_input_builds_equal_specs() -> None:
    doc = json.loads((GOLDEN / "networked_with_mounts_and_devices" / "input.json").read_text())
    assert build_spec(load_input(doc)) == build_spec(load_input(doc))


# -- helpers for single-rule tests -------------------------------------------------------

BUSYBOX = ContainerConfig(env=["PATH=/bin"], cmd=["sh"])


def spec_json(host: HostOptions | None = None, **config: Any) -> dict[str, Any]:
    inp = SpecInput(
        id="c" * 64,
        rootfs="/rootfs",
        image=BUSYBOX,
        config=RunConfig(**config),
        host=host or HostOptions(),
        user=ExecUser(0, 0),
    )
    return build_spec(inp).to_json()


def invalid(host: HostOptions, **config: Any) -> str:
    with pytest.raises(InvalidParameter) as err:
        spec_json(host, **config)
    return str(err.value)


def mount_dests(doc: dict[str, Any]) -> list[str]:
    return [m["destination"] for m in doc["mounts"]]


# -- merge and process -------------------------------------------------------------------


def test_merge_keeps_request_env_first_and_adds_image_env_not_overridden() -> None:
    image = ContainerConfig(env=["A=image", "B=image"])
    merged = merge_config(image, RunConfig(env=("B=req",)))
    assert merged.env == ("B=req", "A=image")


def test_merge_uses_image_cmd_only_without_request_cmd_and_entrypoint() -> None:
    image = ContainerConfig(entrypoint=["/ep"], cmd=["default"])
    assert merge_config(image, RunConfig(cmd=("mine",))).cmd == ("mine",)
    assert merge_config(image, RunConfig()).cmd == ("default",)
    assert merge_config(image, RunConfig(entrypoint=("/other",))).cmd is None


def test_merge_is_idempotent() -> None:
    image = ContainerConfig(env=["A=1"], entrypoint=["/ep"], cmd=["x"], user="daemon")
    once = merge_config(image, RunConfig(env=("B=2",)))
    assert merge_config(image, once) == once


def test_env_bare_key_removes_variable() -> None:
    env = spec_json(env=("PATH",), hostname="h")["process"]["env"]
    assert env == ["HOSTNAME=h"]


def test_default_path_used_when_image_has_none() -> None:
    inp = SpecInput(
        "c" * 64, "/r", ContainerConfig(cmd=["sh"]), RunConfig(), HostOptions(), ExecUser(0, 0)
    )
    env = build_spec(inp).to_json()["process"]["env"]
    assert env[0] == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def test_hostname_defaults_to_short_id() -> None:
    doc = spec_json()
    assert doc["hostname"] == "c" * 12
    assert "HOSTNAME=" + "c" * 12 in doc["process"]["env"]


def test_no_command_is_invalid() -> None:
    inp = SpecInput("c" * 64, "/r", ContainerConfig(), RunConfig(), HostOptions(), ExecUser(0, 0))
    with pytest.raises(InvalidParameter, match="no command specified"):
        build_spec(inp)


def test_relative_working_dir_is_invalid() -> None:
    assert "needs to be an absolute path" in invalid(HostOptions(), working_dir="srv")


def test_init_is_not_used_with_host_pid() -> None:
    doc = spec_json(HostOptions(init="/usr/bin/tini", pid_mode="host"))
    assert doc["process"]["args"] == ["sh"]
    assert "/sbin/docker-init" not in mount_dests(doc)


# -- capabilities and security options ---------------------------------------------------


def test_cap_add_accepts_lowercase_without_prefix() -> None:
    caps = spec_json(HostOptions(cap_add=("sys_time",)))["process"]["capabilities"]
    assert caps["bounding"][-1] == "CAP_SYS_TIME"
    assert "inheritable" not in caps


def test_cap_drop_removes_default() -> None:
    caps = spec_json(HostOptions(cap_drop=("CAP_NET_RAW",)))["process"]["capabilities"]
    assert "CAP_NET_RAW" not in caps["effective"]


def test_cap_add_all_minus_drops() -> None:
    caps = spec_json(HostOptions(cap_add=("ALL",), cap_drop=("sys_admin",)))["process"]
    assert len(caps["capabilities"]["bounding"]) == 40


def test_unknown_capability_is_invalid() -> None:
    assert invalid(HostOptions(cap_add=("foo",))) == 'unknown capability: "CAP_FOO"'


def test_privileged_gets_only_what_the_host_can_grant() -> None:
    host = HostOptions(privileged=True, host_capabilities=("CAP_CHOWN", "CAP_SYS_ADMIN"))
    caps = spec_json(host)["process"]["capabilities"]
    assert caps["bounding"] == ["CAP_CHOWN", "CAP_SYS_ADMIN"]


def test_cap_add_outside_host_bounding_set_is_invalid() -> None:
    host = HostOptions(cap_add=("SYS_RESOURCE",), host_capabilities=("CAP_CHOWN",))
    assert invalid(host) == (
        "capability not supported by your kernel or not available in the current "
        'environment: "CAP_SYS_RESOURCE"'
    )


def test_capability_mask_decodes_to_names() -> None:
    assert from_mask(0xA80425FB) == tuple(sorted(DEFAULT_CAPABILITIES, key=ALL_CAPABILITIES.index))


def test_seccomp_unconfined_has_no_filter() -> None:
    assert "seccomp" not in spec_json(HostOptions(security_opt=("seccomp=unconfined",)))["linux"]


def test_sys_admin_allows_mount_in_default_profile() -> None:
    doc = spec_json(HostOptions(cap_add=("SYS_ADMIN",)))
    allowed = {n for r in doc["linux"]["seccomp"]["syscalls"] for n in r["names"]}
    assert {"mount", "unshare", "setns"} <= allowed


def test_invalid_seccomp_json_is_invalid() -> None:
    message = invalid(HostOptions(security_opt=("seccomp={not json",)))
    assert message.startswith("Decoding seccomp profile failed")


def test_security_opt_without_value_is_invalid() -> None:
    assert invalid(HostOptions(security_opt=("seccomp",))) == 'invalid --security-opt 1: "seccomp"'


def test_security_opt_unknown_key_is_invalid() -> None:
    assert invalid(HostOptions(security_opt=("foo=bar",))) == 'invalid --security-opt 2: "foo=bar"'


def test_no_new_privileges_false_is_off() -> None:
    doc = spec_json(HostOptions(security_opt=("no-new-privileges=false",)))
    assert "noNewPrivileges" not in doc["process"]


# -- mounts and namespaces ---------------------------------------------------------------


def test_user_dev_mount_replaces_every_dev_default() -> None:
    inp = SpecInput(
        "c" * 64,
        "/r",
        BUSYBOX,
        RunConfig(),
        HostOptions(),
        ExecUser(0, 0),
        mounts=(ExtraMount("/dev", "/dev", "bind", ("rbind",)),),
    )
    dests = mount_dests(build_spec(inp).to_json())
    assert [d for d in dests if d.startswith("/dev")] == ["/dev"]


def test_user_mounts_are_sorted_parents_first() -> None:
    inp = SpecInput(
        "c" * 64,
        "/r",
        BUSYBOX,
        RunConfig(),
        HostOptions(tmpfs={"/a/b/c": ""}),
        ExecUser(0, 0),
        mounts=(ExtraMount("/v", "/a/b", "bind", ("rbind",)),),
    )
    assert mount_dests(build_spec(inp).to_json())[-2:] == ["/a/b", "/a/b/c"]


def test_ipc_none_has_no_shm() -> None:
    assert "/dev/shm" not in mount_dests(spec_json(HostOptions(ipc_mode="none")))


def test_shm_size_is_in_bytes() -> None:
    shm = [m for m in spec_json(HostOptions(shm_size=1 << 20))["mounts"] if m["source"] == "shm"]
    assert shm[0]["options"][-1] == "size=1048576"


def test_invalid_tmpfs_option_is_invalid() -> None:
    assert invalid(HostOptions(tmpfs={"/run": "bogus"})) == 'invalid tmpfs option ["bogus"]'


def test_host_uts_has_no_hostname_and_no_uts_namespace() -> None:
    doc = spec_json(HostOptions(uts_mode="host"))
    assert "hostname" not in doc
    assert "uts" not in [n["type"] for n in doc["linux"]["namespaces"]]


def test_invalid_modes_are_invalid() -> None:
    assert invalid(HostOptions(ipc_mode="bogus")) == "invalid IPC mode: bogus"
    assert invalid(HostOptions(pid_mode="bogus")) == "invalid PID mode: bogus"
    assert invalid(HostOptions(uts_mode="container:/x")) == "invalid UTS mode: container:/x"
    assert invalid(HostOptions(network="bridge")) == "invalid network mode: bridge"


def test_cgroups_path_defaults_under_dockyard() -> None:
    assert spec_json()["linux"]["cgroupsPath"] == "/dockyard/" + "c" * 64


# -- resources ---------------------------------------------------------------------------


def test_nano_cpus_become_quota_over_100ms_period() -> None:
    cpu = spec_json(HostOptions(nano_cpus=250_000_000))["linux"]["resources"]["cpu"]
    assert cpu == {"quota": 25000, "period": 100000}


def test_pids_limit_zero_means_unlimited() -> None:
    assert spec_json(HostOptions(pids_limit=0))["linux"]["resources"]["pids"] == {"limit": -1}


def test_no_limits_means_no_resource_sections() -> None:
    assert set(spec_json()["linux"]["resources"]) == {"devices"}


@pytest.mark.parametrize(
    ("host", "message"),
    [
        (HostOptions(memory=4 * 1024 * 1024), "Minimum memory limit allowed is 6MB"),
        (HostOptions(memory_reservation=1024), "Minimum memory reservation allowed is 6MB"),
        (
            HostOptions(memory=8 << 20, memory_reservation=16 << 20),
            "Minimum memory limit can not be less than memory reservation limit, see usage",
        ),
        (
            HostOptions(memory=16 << 20, memory_swap=8 << 20),
            "Minimum memoryswap limit should be larger than memory limit, see usage",
        ),
        (
            HostOptions(memory_swap=16 << 20),
            "You should always set the Memory limit when using Memoryswap limit, see usage",
        ),
        (
            HostOptions(nano_cpus=10**9, cpu_period=100000),
            "Conflicting options: Nano CPUs and CPU Period cannot both be set",
        ),
        (
            HostOptions(nano_cpus=10**9, cpu_quota=50000),
            "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
        ),
        (
            HostOptions(cpu_period=10),
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
        ),
        (HostOptions(cpu_quota=10), "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
        (
            HostOptions(cpu_shares=-1),
            "invalid CPU shares (-1): value must be a positive integer",
        ),
        (HostOptions(blkio_weight=5), "Range of blkio weight is from 10 to 1000"),
        (
            HostOptions(oom_score_adj=1001),
            "Invalid value 1001, range for oom score adj is [-1000, 1000]",
        ),
        (HostOptions(ulimits=(Ulimit("bogus", 1, 1),)), "invalid ulimit type: bogus"),
        (
            HostOptions(ulimits=(Ulimit("nofile", 10, 5),)),
            "ulimit soft limit must be less than or equal to hard limit: 10 > 5",
        ),
        (
            HostOptions(device_cgroup_rules=("x 1:2 rwm",)),
            "invalid device cgroup rule format: 'x 1:2 rwm'",
        ),
        (
            HostOptions(devices=(DeviceMapping("/dev/a", "/dev/a", "rwx", "c", 1, 2),)),
            "bad mode specified: rwx",
        ),
    ],
)
def test_host_option_rejected_with_docker_message(host: HostOptions, message: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        validate_host_options(host)
    assert str(err.value) == message


def test_unlimited_ulimit_is_max_uint64() -> None:
    rlimits = spec_json(HostOptions(ulimits=(Ulimit("nproc", -1, -1),)))["process"]["rlimits"]
    assert rlimits == [{"type": "RLIMIT_NPROC", "hard": 2**64 - 1, "soft": 2**64 - 1}]


# -- sysctls -----------------------------------------------------------------------------


def test_net_sysctl_in_host_network_is_invalid() -> None:
    message = invalid(HostOptions(network="host", sysctls={"net.ipv4.ip_forward": "1"}))
    assert message == 'sysctl "net.ipv4.ip_forward" is not allowed in the host network namespace'


def test_ipc_sysctl_in_host_ipc_is_invalid() -> None:
    message = invalid(HostOptions(ipc_mode="host", sysctls={"kernel.shmmax": "1"}))
    assert message == 'sysctl "kernel.shmmax" is not allowed in the host IPC namespace'


def test_non_namespaced_sysctl_is_invalid() -> None:
    message = invalid(HostOptions(sysctls={"vm.swappiness": "1"}))
    assert message == 'sysctl "vm.swappiness" is not in a separate kernel namespace'


def test_private_network_gets_docker_default_sysctls() -> None:
    sysctl = spec_json()["linux"]["sysctl"]
    assert sysctl == {
        "net.ipv4.ip_unprivileged_port_start": "0",
        "net.ipv4.ping_group_range": "0 2147483647",
    }


def test_user_sysctl_overrides_default() -> None:
    host = HostOptions(sysctls={"net.ipv4.ip_unprivileged_port_start": "1024"})
    assert spec_json(host)["linux"]["sysctl"]["net.ipv4.ip_unprivileged_port_start"] == "1024"


def test_privileged_has_no_masks_and_all_devices() -> None:
    linux = spec_json(replace(HostOptions(), privileged=True))["linux"]
    assert "maskedPaths" not in linux and "readonlyPaths" not in linux
    assert linux["resources"]["devices"] == [{"allow": True, "access": "rwm"}]
