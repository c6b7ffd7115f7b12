"""Container create/inspect wire shapes: Go-like decoding, round trips, create-time checks."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.apitypes.container_config import ContainerConfig, HealthConfig
from dockyard.apitypes.container_create import (
    ContainerCreateRequest,
    validate_container_name,
)
from dockyard.apitypes.container_merge import merge_image_config, require_command
from dockyard.apitypes.host_config import (
    DEFAULT_MASKED_PATHS,
    HostConfig,
    Mount,
    PortBinding,
    Resources,
    with_daemon_defaults,
)
from dockyard.apitypes.networking_config import NetworkingConfig
from dockyard.errors import InvalidParameter
from dockyard.oci.image import ContainerConfig as ImageDefaults

MB = 1024 * 1024


def create(body: dict[str, Any]) -> ContainerCreateRequest:
    return ContainerCreateRequest.from_wire({"Image": "busybox", **body})


def host(**hc: Any) -> ContainerCreateRequest:
    return create({"HostConfig": hc})


# --- decoding like Go's encoding/json -------------------------------------------------------


def test_wrong_json_type_names_the_field_like_go() -> None:
    with pytest.raises(InvalidParameter) as err:
        HostConfig.from_wire({"Memory": "x"})
    assert str(err.value) == (
        "json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64"
    )


def test_fractional_number_into_int_field_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match=r"cannot unmarshal number 1\.5 .* int64"):
        HostConfig.from_wire({"Memory": 1.5})


def test_bool_into_int_field_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="cannot unmarshal bool"):
        HostConfig.from_wire({"CpuShares": True})


def test_negative_number_into_unsigned_field_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="BlkioWeight of type uint16"):
        HostConfig.from_wire({"BlkioWeight": -1})


def test_wrong_type_inside_nested_list_names_the_path() -> None:
    with pytest.raises(InvalidParameter, match=r"HostConfig\.PortBindings of type"):
        HostConfig.from_wire({"PortBindings": {"80/tcp": "x"}})


def test_label_values_must_be_strings() -> None:
    with pytest.raises(InvalidParameter, match=r"ContainerConfig\.Labels of type string"):
        ContainerConfig.from_wire({"Labels": {"a": 1}})


def test_string_cmd_is_accepted_as_one_element() -> None:
    assert ContainerConfig.from_wire({"Cmd": "echo hi"}).cmd == ("echo hi",)


def test_unknown_keys_are_ignored() -> None:
    assert HostConfig.from_wire({"NoSuchField": 1}) == HostConfig()


def test_keys_match_case_insensitively_like_go() -> None:
    assert HostConfig.from_wire({"memory": 7 * MB}).resources.memory == 7 * MB


def test_null_leaves_the_zero_value() -> None:
    assert HostConfig.from_wire({"NetworkMode": None, "Dns": None}) == HostConfig()


def test_empty_list_stays_distinct_from_null() -> None:
    hc = HostConfig.from_wire({"Dns": [], "CapAdd": None})
    assert hc.to_wire()["Dns"] == [] and hc.to_wire()["CapAdd"] is None


def test_omitempty_fields_vanish_when_empty() -> None:
    wire = HostConfig().to_wire()
    for key in ("Mounts", "Tmpfs", "Sysctls", "Runtime", "Init", "Annotations", "KernelMemory"):
        assert key not in wire


def test_resources_are_embedded_in_host_config() -> None:
    hc = HostConfig.from_wire({"Memory": 8 * MB, "PidsLimit": 10})
    assert hc.resources == Resources(memory=8 * MB, pids_limit=10)
    assert hc.to_wire()["Memory"] == 8 * MB


# --- round trips ----------------------------------------------------------------------------


def test_config_round_trips() -> None:
    doc = {
        "Hostname": "h",
        "Domainname": "",
        "User": "1:1",
        "AttachStdin": False,
        "AttachStdout": True,
        "AttachStderr": True,
        "ExposedPorts": {"80/tcp": {}},
        "Tty": True,
        "OpenStdin": False,
        "StdinOnce": False,
        "Env": ["A=1"],
        "Cmd": ["sh"],
        "Healthcheck": {"Test": ["CMD", "true"], "Interval": 10**9, "Retries": 2},
        "Image": "busybox",
        "Volumes": {"/data": {}},
        "WorkingDir": "/w",
        "Entrypoint": None,
        "OnBuild": None,
        "Labels": {"a": "b"},
        "StopSignal": "SIGINT",
        "StopTimeout": 3,
    }
    assert ContainerConfig.from_wire(doc).to_wire() == doc


def test_host_config_round_trips_mounts_and_port_bindings() -> None:
    hc = HostConfig(
        port_bindings={"80/tcp": (PortBinding("127.0.0.1", "8080"),), "81/tcp": None},
        mounts=(Mount(type="tmpfs", target="/t"),),
    )
    assert HostConfig.from_wire(hc.to_wire()) == hc


def test_networking_config_round_trips() -> None:
    doc = {
        "EndpointsConfig": {"net1": {"Aliases": ["a"], "IPAMConfig": {"IPv4Address": "10.0.0.2"}}}
    }
    nc = NetworkingConfig.from_wire(doc)
    assert nc.endpoints_config is not None
    settings = nc.endpoints_config["net1"]
    assert settings.aliases == ("a",)
    assert NetworkingConfig.from_wire(nc.to_wire()) == nc


def test_create_request_combines_the_three_parts() -> None:
    req = create({"Cmd": ["true"], "HostConfig": {"Memory": 8 * MB}, "NetworkingConfig": {}})
    assert req.config.cmd == ("true",)
    assert req.host_config.resources.memory == 8 * MB
    assert ContainerCreateRequest.from_wire(req.to_wire()) == req


def test_daemon_defaults_fill_what_dockerd_fills() -> None:
    wire = with_daemon_defaults(HostConfig()).to_wire()
    assert wire["LogConfig"] == {"Type": "json-file", "Config": {}}
    assert wire["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}
    assert (wire["ShmSize"], wire["IpcMode"], wire["Runtime"]) == (64 * MB, "private", "runc")
    assert wire["MaskedPaths"] == list(DEFAULT_MASKED_PATHS)


def test_daemon_defaults_leave_privileged_paths_unmasked() -> None:
    wire = with_daemon_defaults(HostConfig(privileged=True)).to_wire()
    assert wire["MaskedPaths"] is None and wire["ReadonlyPaths"] is None


def test_daemon_defaults_spell_capabilities_with_cap_prefix() -> None:
    hc = with_daemon_defaults(HostConfig(cap_add=("net_admin", "ALL", "CAP_CHOWN")))
    assert hc.cap_add == ("CAP_NET_ADMIN", "ALL", "CAP_CHOWN")


# --- create-time validation (dockerd's messages) ------------------------------------------

INVALID: list[tuple[dict[str, Any], str]] = [
    ({"Memory": 1000}, "Minimum memory limit allowed is 6MB"),
    ({"Memory": -5}, "Minimum memory limit allowed is 6MB"),
    (
        {"Memory": 10 * MB, "MemorySwap": 5 * MB},
        "Minimum memoryswap limit should be larger than memory limit, see usage",
    ),
    (
        {"MemorySwap": 50 * MB},
        "You should always set the Memory limit when using Memoryswap limit, see usage",
    ),
    ({"MemoryReservation": 1000}, "Minimum memory reservation allowed is 6MB"),
    (
        {"Memory": 10 * MB, "MemoryReservation": 20 * MB},
        "Minimum memory limit can not be less than memory reservation limit, see usage",
    ),
    ({"MemorySwappiness": 200}, "Invalid value: 200, valid memory swappiness range is 0-100"),
    (
        {"NanoCpus": 10**9, "CpuPeriod": 100000},
        "Conflicting options: Nano CPUs and CPU Period cannot both be set",
    ),
    (
        {"NanoCpus": 10**9, "CpuQuota": 100000},
        "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
    ),
    (
        {"CpuPeriod": 500},
        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
    ),
    ({"CpuQuota": 500}, "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
    ({"BlkioWeight": 5}, "Range of blkio weight is from 10 to 1000"),
    ({"OomScoreAdj": 5000}, "Invalid value 5000, range for oom score adj is [-1000, 1000]"),
    ({"ShmSize": -1}, "SHM size can not be less than 0"),
    ({"CgroupnsMode": "bogus"}, "invalid cgroup namespace mode: bogus"),
    (
        {"RestartPolicy": {"Name": "always", "MaximumRetryCount": 3}},
        "maximum retry count cannot be used with restart policy 'always'",
    ),
    ({"RestartPolicy": {"Name": "bogus"}}, "invalid restart policy 'bogus'"),
    (
        {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": -1}},
        "maximum retry count cannot be negative",
    ),
    (
        {"AutoRemove": True, "RestartPolicy": {"Name": "always"}},
        "can't create 'AutoRemove' container with restart policy",
    ),
    ({"PortBindings": {"80/tcp": [{"HostPort": "abc"}]}}, 'invalid port specification: "abc"'),
    ({"PortBindings": {"80/tcp": [{"HostPort": "70000"}]}}, 'invalid port specification: "70000"'),
    ({"PortBindings": {"80-81/tcp": [{"HostPort": "1"}]}}, 'invalid port specification: "80-81"'),
    (
        {"Mounts": [{"Type": "bogus", "Target": "/x"}]},
        'invalid mount config for type "bogus": mount type unknown',
    ),
    (
        {"Mounts": [{"Type": "volume"}]},
        'invalid mount config for type "volume": field Target must not be empty',
    ),
    (
        {"Mounts": [{"Type": "volume", "Target": "x"}]},
        "invalid mount config for type \"volume\": invalid mount path: 'x' mount path must be "
        "absolute",
    ),
    (
        {"Mounts": [{"Type": "tmpfs", "Target": "/x", "Source": "y"}]},
        'invalid mount config for type "tmpfs": field Source must not be specified',
    ),
    (
        {"Mounts": [{"Type": "bind", "Source": "/t", "Target": "/x", "VolumeOptions": {}}]},
        'invalid mount config for type "bind": field VolumeOptions must not be specified',
    ),
]


@pytest.mark.parametrize(("hc", "message"), INVALID, ids=[m for _, m in INVALID])
def test_invalid_host_config_is_rejected_with_dockerd_message(
    hc: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidParameter) as err:
        host(**hc)
    assert str(err.value) == message


def test_nano_cpus_above_host_cpus_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match=r"Range of CPUs is from 0\.01 to 2\.00"):
        ContainerCreateRequest.from_wire({"HostConfig": {"NanoCpus": 3 * 10**9}}, ncpu=2)


def test_invalid_exposed_port_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match='invalid port specification: "abc"'):
        create({"ExposedPorts": {"abc/tcp": {}}})


def test_healthcheck_interval_below_one_millisecond_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="Interval in Healthcheck cannot be less than 1ms"):
        create({"Healthcheck": {"Interval": 5}})


def test_negative_healthcheck_retries_are_rejected() -> None:
    with pytest.raises(InvalidParameter, match="Retries in Healthcheck cannot be negative"):
        create({"Healthcheck": {"Retries": -1}})


def test_relative_working_dir_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="it needs to be an absolute path"):
        create({"WorkingDir": "rel"})


def test_valid_limits_pass() -> None:
    req = host(Memory=64 * MB, MemorySwap=-1, NanoCpus=5 * 10**8, RestartPolicy={"Name": "no"})
    assert req.host_config.resources.memory_swap == -1
    assert HealthConfig().to_wire() == {}


@pytest.mark.parametrize("name", ["-x", "a", "a b", "/", "x/y"])
def test_invalid_container_name_is_rejected(name: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        validate_container_name(name)
    assert str(err.value) == (
        f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
    )


def test_container_name_loses_its_leading_slash() -> None:
    assert validate_container_name("/web.1_a-b") == "web.1_a-b"


# --- merging the image's defaults -----------------------------------------------------------


def test_image_env_fills_only_keys_the_client_did_not_set() -> None:
    image = ImageDefaults(env=["PATH=/bin", "A=image"])
    merged = merge_image_config(ContainerConfig(env=("A=mine",)), image)
    assert merged.env == ("A=mine", "PATH=/bin")


def test_image_cmd_is_dropped_when_client_sets_entrypoint() -> None:
    image = ImageDefaults(cmd=["sh"], entrypoint=["/init"])
    merged = merge_image_config(ContainerConfig(entrypoint=("/bin/echo",)), image)
    assert (merged.entrypoint, merged.cmd) == (("/bin/echo",), None)


def test_image_cmd_and_entrypoint_fill_an_empty_request() -> None:
    merged = merge_image_config(ContainerConfig(), ImageDefaults(cmd=["sh"], entrypoint=["/i"]))
    assert (merged.entrypoint, merged.cmd) == (("/i",), ("sh",))


def test_healthcheck_inherits_zero_fields_from_image() -> None:
    image = ImageDefaults(healthcheck={"Test": ["CMD", "true"], "Interval": 10**9})
    merged = merge_image_config(ContainerConfig(healthcheck=HealthConfig(retries=4)), image)
    assert merged.healthcheck == HealthConfig(test=("CMD", "true"), interval=10**9, retries=4)


def test_nothing_to_run_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="No command specified"):
        require_command(merge_image_config(ContainerConfig(), ImageDefaults()))
