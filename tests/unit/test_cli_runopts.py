"""``create``/``run`` flags -> the ContainerCreate body, pinned against docker CLI 28."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dockyard.cli.commands.run import command
from dockyard.cli.flags import parse
from dockyard.cli.runopts import FlagValueError, OptionsError, build_create


def spec(*argv: str, environ: dict[str, str] | None = None, cwd: str = "/work") -> Any:
    opts, args = parse(command("run"), list(argv))
    return build_create(opts, args, environ=environ or {}, cwd=cwd)


def body(*argv: str, **kw: Any) -> dict[str, Any]:
    result: dict[str, Any] = spec(*argv, **kw).body
    return result


def host(*argv: str, **kw: Any) -> dict[str, Any]:
    result: dict[str, Any] = body(*argv, **kw)["HostConfig"]
    return result


def flag_error(*argv: str) -> str:
    with pytest.raises(FlagValueError) as info:
        spec(*argv)
    return str(info.value)


def options_error(*argv: str) -> str:
    with pytest.raises(OptionsError) as info:
        spec(*argv)
    return str(info.value)


# --- image, command, entrypoint ----------------------------------------------------------


def test_image_and_command_after_it() -> None:
    doc = body("busybox", "sh", "-c", "echo hi")
    assert (doc["Image"], doc["Cmd"]) == ("busybox", ["sh", "-c", "echo hi"])


def test_no_command_is_null() -> None:
    assert body("busybox")["Cmd"] is None


def test_flags_after_image_belong_to_the_command() -> None:
    doc = body("busybox", "ls", "-l", "--rm")
    assert doc["Cmd"] == ["ls", "-l", "--rm"]
    assert doc["HostConfig"]["AutoRemove"] is False


def test_entrypoint_flag_sets_single_element() -> None:
    assert body("--entrypoint", "/bin/sh", "busybox")["Entrypoint"] == ["/bin/sh"]


def test_empty_entrypoint_resets_to_empty_string() -> None:
    assert body("--entrypoint=", "busybox")["Entrypoint"] == [""]


def test_entrypoint_not_given_is_null() -> None:
    assert body("busybox")["Entrypoint"] is None


# --- attach / stdin / tty ------------------------------------------------------------------


def test_default_attaches_stdout_and_stderr_only() -> None:
    doc = body("busybox")
    assert (doc["AttachStdin"], doc["AttachStdout"], doc["AttachStderr"]) == (False, True, True)


def test_interactive_opens_and_attaches_stdin_once() -> None:
    doc = body("-i", "busybox")
    assert (doc["OpenStdin"], doc["AttachStdin"], doc["StdinOnce"]) == (True, True, True)


def test_tty_flag() -> None:
    assert body("-it", "busybox")["Tty"] is True


def test_attach_flag_limits_streams() -> None:
    doc = body("-a", "stderr", "busybox")
    assert (doc["AttachStdin"], doc["AttachStdout"], doc["AttachStderr"]) == (False, False, True)


def test_attach_flag_rejects_unknown_stream() -> None:
    assert flag_error("-a", "foo", "busybox") == (
        'invalid argument "foo" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR'
    )


# --- ports ------------------------------------------------------------------------------


def test_publish_host_to_container_port() -> None:
    doc = body("-p", "8080:80", "busybox")
    assert doc["ExposedPorts"] == {"80/tcp": {}}
    assert doc["HostConfig"]["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}


def test_publish_container_port_only_gets_random_host_port() -> None:
    assert host("-p", "80", "busybox")["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": ""}]
    }


def test_publish_with_ip_and_udp() -> None:
    assert host("-p", "127.0.0.1:53:53/udp", "busybox")["PortBindings"] == {
        "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "53"}]
    }


def test_publish_bracketed_ipv6() -> None:
    assert host("-p", "[::1]:8080:80", "busybox")["PortBindings"]["80/tcp"] == [
        {"HostIp": "::1", "HostPort": "8080"}
    ]


def test_publish_ranges_map_pairwise() -> None:
    assert host("-p", "8000-8001:80-81", "busybox")["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": "8000"}],
        "81/tcp": [{"HostIp": "", "HostPort": "8001"}],
    }


def test_publish_host_range_to_one_port_is_a_dynamic_range() -> None:
    assert host("-p", "8000-8010:80", "busybox")["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": "8000-8010"}]
    }


def test_publish_same_port_twice_accumulates_bindings() -> None:
    bindings = host("-p", "8080:80", "-p", "8081:80", "busybox")["PortBindings"]["80/tcp"]
    assert [b["HostPort"] for b in bindings] == ["8080", "8081"]


def test_publish_long_syntax() -> None:
    assert host("-p", "target=80,published=8080,protocol=udp", "busybox")["PortBindings"] == {
        "80/udp": [{"HostIp": "", "HostPort": "8080"}]
    }


def test_publish_unequal_ranges_is_error() -> None:
    assert options_error("-p", "8000-8002:80-81", "busybox") == (
        "invalid ranges specified for container and host Ports: 80-81 and 8000-8002"
    )


def test_publish_bad_container_port_is_error() -> None:
    assert options_error("-p", "8080:http", "busybox") == "invalid containerPort: http"


def test_publish_bad_host_port_is_error() -> None:
    assert options_error("-p", "99999:80", "busybox") == "invalid hostPort: 99999"


def test_publish_bad_protocol_is_error() -> None:
    assert options_error("-p", "80/icmp", "busybox") == "invalid proto: icmp"


def test_publish_bad_ip_is_error() -> None:
    assert options_error("-p", "1.2.3:80:80", "busybox") == "invalid IP address: 1.2.3"


def test_publish_all_flag() -> None:
    assert host("-P", "busybox")["PublishAllPorts"] is True


def test_expose_range_adds_exposed_ports() -> None:
    assert body("--expose", "7000-7001/udp", "busybox")["ExposedPorts"] == {
        "7000/udp": {},
        "7001/udp": {},
    }


def test_expose_with_host_part_is_error() -> None:
    assert (
        options_error("--expose", "80:80", "busybox") == "invalid port format for --expose: 80:80"
    )


def test_expose_bad_range_is_error() -> None:
    assert options_error("--expose", "90-80", "busybox") == (
        "invalid range format for --expose: 90-80, error: invalid range specified for port: 90-80"
    )


# --- volumes and mounts -------------------------------------------------------------------


def test_volume_without_source_is_anonymous() -> None:
    doc = body("-v", "/data", "busybox")
    assert doc["Volumes"] == {"/data": {}}
    assert doc["HostConfig"]["Binds"] is None


def test_named_volume_goes_to_binds() -> None:
    doc = body("-v", "cache:/data:ro", "busybox")
    assert doc["HostConfig"]["Binds"] == ["cache:/data:ro"]
    assert doc["Volumes"] == {}


def test_absolute_bind_goes_to_binds_unchanged() -> None:
    assert host("-v", "/srv/www:/usr/share/www", "busybox")["Binds"] == ["/srv/www:/usr/share/www"]


def test_relative_bind_becomes_absolute() -> None:
    assert host("-v", "./site:/www", "busybox", cwd="/home/me")["Binds"] == ["/home/me/site:/www"]


def test_volume_with_too_many_colons_is_error() -> None:
    assert options_error("-v", "/a:/b:ro:extra", "busybox") == (
        "invalid spec: /a:/b:ro:extra: too many colons"
    )


def test_volume_with_empty_section_is_error() -> None:
    assert options_error("-v", "/a::/b", "busybox") == (
        "invalid spec: /a::/b: empty section between colons"
    )


def test_mount_bind_readonly() -> None:
    assert host("--mount", "type=bind,src=/a,dst=/b,ro", "busybox")["Mounts"] == [
        {"Type": "bind", "Source": "/a", "Target": "/b", "ReadOnly": True}
    ]


def test_mount_defaults_to_volume_type() -> None:
    assert host("--mount", "source=data,target=/data", "busybox")["Mounts"] == [
        {"Type": "volume", "Source": "data", "Target": "/data"}
    ]


def test_mount_volume_options() -> None:
    mount = host(
        "--mount",
        "type=volume,src=v,dst=/v,volume-nocopy,volume-label=a=b,volume-driver=local,volume-opt=o=1",
        "busybox",
    )["Mounts"][0]
    assert mount["VolumeOptions"] == {
        "NoCopy": True,
        "Labels": {"a": "b"},
        "DriverConfig": {"Name": "local", "Options": {"o": "1"}},
    }


def test_mount_tmpfs_size_and_mode() -> None:
    mount = host("--mount", "type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770", "busybox")[
        "Mounts"
    ][0]
    assert mount["TmpfsOptions"] == {"SizeBytes": 64 << 20, "Mode": 0o1770}


def test_mount_bind_propagation() -> None:
    mount = host("--mount", "type=bind,src=/a,dst=/b,bind-propagation=rshared", "busybox")
    assert mount["Mounts"][0]["BindOptions"] == {"Propagation": "rshared"}


def test_mount_quoted_csv_field() -> None:
    mount = host("--mount", 'type=bind,"src=/a,b",dst=/c', "busybox")["Mounts"][0]
    assert mount["Source"] == "/a,b"


def test_mount_without_target_is_error() -> None:
    assert flag_error("--mount", "type=bind,src=/a", "busybox") == (
        'invalid argument "type=bind,src=/a" for "--mount" flag: target is required'
    )


def test_mount_unknown_key_is_error() -> None:
    assert flag_error("--mount", "dst=/a,color=red", "busybox").endswith(
        "unexpected key 'color' in 'color=red'"
    )


def test_mount_field_without_value_is_error() -> None:
    assert flag_error("--mount", "dst=/a,bogus", "busybox").endswith(
        "invalid field 'bogus' must be a key=value pair"
    )


def test_mount_mixing_volume_options_with_bind_is_error() -> None:
    assert flag_error("--mount", "type=bind,src=/a,dst=/b,volume-nocopy", "busybox").endswith(
        "cannot mix 'volume-*' options with mount type 'bind'"
    )


def test_mount_bad_readonly_value_is_error() -> None:
    assert flag_error("--mount", "dst=/a,readonly=maybe", "busybox").endswith(
        "invalid value for readonly: maybe"
    )


def test_tmpfs_flag_splits_options() -> None:
    assert host("--tmpfs", "/run:rw,size=64m", "--tmpfs", "/tmp", "busybox")["Tmpfs"] == {
        "/run": "rw,size=64m",
        "/tmp": "",
    }


# --- environment and labels ---------------------------------------------------------------


def test_env_values_in_order() -> None:
    assert body("-e", "A=1", "-e", "B=", "busybox")["Env"] == ["A=1", "B="]


def test_env_name_only_takes_client_value() -> None:
    assert body("-e", "HOME", "busybox", environ={"HOME": "/root"})["Env"] == ["HOME=/root"]


def test_env_name_only_unset_is_passed_as_is() -> None:
    assert body("-e", "NOPE", "busybox")["Env"] == ["NOPE"]


def test_env_empty_name_is_error() -> None:
    assert flag_error("-e", "=x", "busybox") == (
        'invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x'
    )


def test_env_file_comes_before_env_flags(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("# comment\n\nA=from file\n  B=x y \nUSER\nMISSING\n")
    doc = body("--env-file", str(env_file), "-e", "C=3", "busybox", environ={"USER": "me"})
    assert doc["Env"] == ["A=from file", "B=x y ", "USER=me", "C=3"]


def test_env_file_key_with_space_is_error(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("BAD KEY=1\n")
    assert options_error("--env-file", str(env_file), "busybox") == (
        "poorly formatted environment: variable 'BAD KEY' contains whitespaces"
    )


def test_env_file_missing_is_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert options_error("--env-file", str(missing), "busybox") == (
        f"open {missing}: no such file or directory"
    )


def test_labels_from_flags_and_file(tmp_path: Path) -> None:
    label_file = tmp_path / "labels"
    label_file.write_text("a=1\nkeyonly\n")
    labels = body("--label-file", str(label_file), "-l", "b=2", "-l", "c", "busybox")["Labels"]
    assert labels == {"a": "1", "b": "2", "c": ""}


def test_label_with_empty_name_is_error() -> None:
    assert flag_error("-l", "=v", "busybox") == (
        'invalid argument "=v" for "-l, --label" flag: invalid label \'=v\': empty name'
    )


# --- resources ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512", 512),
        ("1k", 1024),
        ("64m", 64 << 20),
        ("1g", 1 << 30),
        ("1.5GiB", 3 << 29),
        ("2b", 2),
    ],
)
def test_memory_units_are_binary(text: str, expected: int) -> None:
    assert host("-m", text, "busybox")["Memory"] == expected


def test_memory_bad_value_is_error() -> None:
    assert flag_error("-m", "lots", "busybox") == (
        'invalid argument "lots" for "-m, --memory" flag: invalid size: \'lots\''
    )


def test_memory_bad_suffix_is_error() -> None:
    assert flag_error("--memory", "10x", "busybox").endswith("invalid suffix: 'x'")


def test_memory_swap_minus_one_is_unlimited() -> None:
    assert host("--memory-swap", "-1", "busybox")["MemorySwap"] == -1


def test_memory_reservation_and_shm_size() -> None:
    doc = host("--memory-reservation", "32m", "--shm-size", "1g", "busybox")
    assert (doc["MemoryReservation"], doc["ShmSize"]) == (32 << 20, 1 << 30)


def test_cpus_become_nano_cpus() -> None:
    assert host("--cpus", "1.5", "busybox")["NanoCpus"] == 1_500_000_000


def test_cpus_not_a_number_is_error() -> None:
    assert flag_error("--cpus", "two", "busybox") == (
        'invalid argument "two" for "--cpus" flag: failed to parse two as a rational number'
    )


def test_cpus_too_precise_is_error() -> None:
    assert flag_error("--cpus", "0.0000000001", "busybox").endswith("value is too precise")


def test_cpu_shares_and_cpuset_and_pids_limit() -> None:
    doc = host("-c", "512", "--cpuset-cpus", "0-1", "--pids-limit", "100", "busybox")
    assert (doc["CpuShares"], doc["CpusetCpus"], doc["PidsLimit"]) == (512, "0-1", 100)


def test_cpu_shares_not_an_int_is_error() -> None:
    with pytest.raises(Exception, match='invalid argument "x" for "-c" flag'):
        spec("-c", "x", "busybox")


def test_blkio_weight_is_uint16() -> None:
    assert host("--blkio-weight", "300", "busybox")["BlkioWeight"] == 300


def test_blkio_weight_out_of_range_is_error() -> None:
    assert flag_error("--blkio-weight", "70000", "busybox").endswith(
        'strconv.ParseUint: parsing "70000": value out of range'
    )


def test_memory_swappiness_defaults_to_minus_one() -> None:
    assert host("busybox")["MemorySwappiness"] == -1


def test_memory_swappiness_out_of_range_is_error() -> None:
    assert options_error("--memory-swappiness", "101", "busybox") == (
        "invalid value: 101. Valid memory swappiness range is 0-100"
    )


def test_oom_kill_disable_is_always_sent() -> None:
    assert host("busybox")["OomKillDisable"] is False
    assert host("--oom-kill-disable", "busybox")["OomKillDisable"] is True


def test_ulimit_soft_and_hard() -> None:
    assert host("--ulimit", "nofile=1024:2048", "--ulimit", "nproc=64", "busybox")["Ulimits"] == [
        {"Name": "nofile", "Soft": 1024, "Hard": 2048},
        {"Name": "nproc", "Soft": 64, "Hard": 64},
    ]


def test_ulimit_unknown_name_is_error() -> None:
    assert flag_error("--ulimit", "bogus=1", "busybox") == (
        'invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus'
    )


def test_ulimit_soft_above_hard_is_error() -> None:
    assert flag_error("--ulimit", "nofile=10:5", "busybox").endswith(
        "ulimit soft limit must be less than or equal to hard limit: 10 > 5"
    )


def test_ulimit_without_equals_is_error() -> None:
    assert flag_error("--ulimit", "nofile", "busybox").endswith("invalid ulimit argument: nofile")


def test_device_defaults_container_path_and_permissions() -> None:
    assert host("--device", "/dev/fuse", "busybox")["Devices"] == [
        {"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse", "CgroupPermissions": "rwm"}
    ]


def test_device_with_target_and_mode() -> None:
    assert host("--device", "/dev/sda:/dev/xvda:r", "busybox")["Devices"][0] == {
        "PathOnHost": "/dev/sda",
        "PathInContainer": "/dev/xvda",
        "CgroupPermissions": "r",
    }


def test_device_bad_mode_is_error() -> None:
    assert options_error("--device", "/dev/sda:/dev/xvda:rwx", "busybox") == (
        "bad mode specified: rwx"
    )


def test_device_relative_container_path_is_error() -> None:
    assert options_error("--device", "/dev/sda:xvda", "busybox") == "xvda is not an absolute path"


# --- restart, rm, init, stop -------------------------------------------------------------


def test_restart_defaults_to_no() -> None:
    assert host("busybox")["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}


def test_restart_on_failure_with_retries() -> None:
    assert host("--restart", "on-failure:3", "busybox")["RestartPolicy"] == {
        "Name": "on-failure",
        "MaximumRetryCount": 3,
    }


def test_restart_bad_retry_count_is_error() -> None:
    assert options_error("--restart", "on-failure:x", "busybox") == (
        "invalid restart policy format: maximum retry count must be an integer"
    )


def test_restart_without_name_is_error() -> None:
    assert options_error("--restart", ":3", "busybox") == (
        "invalid restart policy format: no policy provided before colon"
    )


def test_restart_with_rm_is_error() -> None:
    assert options_error("--rm", "--restart", "always", "busybox") == (
        "conflicting options: cannot specify both --restart and --rm"
    )


def test_rm_sets_auto_remove() -> None:
    assert host("--rm", "busybox")["AutoRemove"] is True


def test_init_only_sent_when_given() -> None:
    assert "Init" not in host("busybox")
    assert host("--init", "busybox")["Init"] is True
    assert host("--init=false", "busybox")["Init"] is False


def test_stop_signal_and_timeout() -> None:
    doc = body("--stop-signal", "SIGINT", "--stop-timeout", "5", "busybox")
    assert (doc["StopSignal"], doc["StopTimeout"]) == ("SIGINT", 5)


def test_stop_timeout_absent_when_not_given() -> None:
    assert "StopTimeout" not in body("busybox")


# --- health -------------------------------------------------------------------------------


def test_health_flags_in_nanoseconds() -> None:
    health = body(
        "--health-cmd",
        "true",
        "--health-interval",
        "1m30s",
        "--health-timeout",
        "500ms",
        "--health-retries",
        "3",
        "busybox",
    )["Healthcheck"]
    assert health == {
        "Test": ["CMD-SHELL", "true"],
        "Interval": 90_000_000_000,
        "Timeout": 500_000_000,
        "Retries": 3,
    }


def test_no_healthcheck_sends_none_test() -> None:
    assert body("--no-healthcheck", "busybox")["Healthcheck"] == {"Test": ["NONE"]}


def test_no_healthcheck_with_health_flags_is_error() -> None:
    assert options_error("--no-healthcheck", "--health-cmd", "true", "busybox") == (
        "--no-healthcheck conflicts with --health-* options"
    )


def test_negative_health_interval_is_error() -> None:
    assert options_error("--health-interval", "-1s", "busybox") == (
        "--health-interval cannot be negative"
    )


def test_bad_duration_is_error() -> None:
    assert flag_error("--health-timeout", "soon", "busybox") == (
        'invalid argument "soon" for "--health-timeout" flag: time: invalid duration "soon"'
    )


def test_duration_without_unit_is_error() -> None:
    assert flag_error("--health-timeout", "10", "busybox").endswith(
        'time: missing unit in duration "10"'
    )


# --- networking ---------------------------------------------------------------------------


def test_default_network_endpoint_is_sent() -> None:
    doc = body("busybox")
    assert doc["HostConfig"]["NetworkMode"] == "default"
    assert doc["NetworkingConfig"] == {"EndpointsConfig": {"default": {}}}


def test_single_network_without_options_sends_no_endpoint() -> None:
    doc = body("--network", "backend", "busybox")
    assert doc["HostConfig"]["NetworkMode"] == "backend"
    assert doc["NetworkingConfig"] == {"EndpointsConfig": {}}


def test_alias_and_ip_go_to_the_first_network() -> None:
    endpoints = body(
        "--network", "backend", "--network-alias", "db", "--ip", "10.1.0.5", "busybox"
    )["NetworkingConfig"]["EndpointsConfig"]
    assert endpoints == {"backend": {"Aliases": ["db"], "IPAMConfig": {"IPv4Address": "10.1.0.5"}}}


def test_long_network_syntax() -> None:
    endpoints = body("--network", "name=backend,alias=a1,alias=a2", "busybox")["NetworkingConfig"]
    assert endpoints["EndpointsConfig"] == {"backend": {"Aliases": ["a1", "a2"]}}


def test_alias_on_default_network_is_error() -> None:
    assert options_error("--network-alias", "x", "busybox") == (
        "network-scoped aliases are only supported for user-defined networks"
    )


def test_mixing_host_and_user_networks_is_error() -> None:
    assert options_error("--network", "host", "--network", "backend", "busybox") == (
        "conflicting options: cannot attach both user-defined and non-user-defined network-modes"
    )


def test_links_are_legacy_on_default_bridge() -> None:
    doc = body("--link", "db:database", "busybox")
    assert doc["HostConfig"]["Links"] == ["db:database"]
    assert doc["NetworkingConfig"]["EndpointsConfig"] == {"default": {}}


def test_link_with_too_many_colons_is_error() -> None:
    assert flag_error("--link", "a:b:c", "busybox").endswith("bad format for links: a:b:c")


def test_mac_address_goes_to_endpoint() -> None:
    endpoints = body("--network", "n1", "--mac-address", "92:d0:c6:0a:29:33", "busybox")
    assert endpoints["NetworkingConfig"]["EndpointsConfig"]["n1"] == {
        "MacAddress": "92:d0:c6:0a:29:33"
    }


def test_bad_mac_address_is_error() -> None:
    assert options_error("--mac-address", "92:d0", "busybox") == "92:d0 is not a valid mac address"


def test_bad_ip_is_error() -> None:
    assert flag_error("--ip", "10.0.0", "busybox") == (
        'invalid argument "10.0.0" for "--ip" flag: invalid string being converted to IP '
        "address: 10.0.0"
    )


def test_add_host_normalized_with_colon() -> None:
    assert host("--add-host", "db=10.0.0.2", "--add-host", "gw:host-gateway", "busybox")[
        "ExtraHosts"
    ] == ["db:10.0.0.2", "gw:host-gateway"]


def test_add_host_bracketed_ipv6() -> None:
    assert host("--add-host", "v6=[::1]", "busybox")["ExtraHosts"] == ["v6:::1"]


def test_add_host_bad_ip_is_error() -> None:
    assert flag_error("--add-host", "db:nope", "busybox").endswith(
        'invalid IP address in add-host: "nope"'
    )


def test_add_host_without_separator_is_error() -> None:
    assert flag_error("--add-host", "db", "busybox").endswith('bad format for add-host: "db"')


def test_dns_options_are_never_null() -> None:
    doc = host("busybox")
    assert (doc["Dns"], doc["DnsSearch"], doc["DnsOptions"]) == ([], [], [])


def test_dns_server_search_and_option() -> None:
    doc = host(
        "--dns", "1.1.1.1", "--dns-search", "example.com", "--dns-option", "ndots:2", "busybox"
    )
    assert (doc["Dns"], doc["DnsSearch"], doc["DnsOptions"]) == (
        ["1.1.1.1"],
        ["example.com"],
        ["ndots:2"],
    )


def test_dns_bad_address_is_error() -> None:
    assert flag_error("--dns", "one", "busybox").endswith(
        "IP address is not correctly formatted: one"
    )


def test_dns_search_bad_domain_is_error() -> None:
    assert flag_error("--dns-search", "-bad-", "busybox").endswith("-bad- is not a valid domain")


def test_hostname_short_flag_is_not_help() -> None:
    assert body("-h", "box1", "busybox")["Hostname"] == "box1"


# --- security, namespaces, misc -----------------------------------------------------------


def test_caps_privileged_read_only() -> None:
    doc = host(
        "--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--privileged", "--read-only", "busybox"
    )
    assert (doc["CapAdd"], doc["CapDrop"], doc["Privileged"], doc["ReadonlyRootfs"]) == (
        ["NET_ADMIN"],
        ["ALL"],
        True,
        True,
    )


def test_security_opt_colon_form_is_kept() -> None:
    assert host("--security-opt", "no-new-privileges", "busybox")["SecurityOpt"] == [
        "no-new-privileges"
    ]


def test_security_opt_seccomp_file_is_inlined_compact(tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text('{ "defaultAction": "SCMP_ACT_ALLOW" }')
    assert host("--security-opt", f"seccomp={profile}", "busybox")["SecurityOpt"] == [
        'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'
    ]


def test_security_opt_without_value_is_error() -> None:
    assert options_error("--security-opt", "apparmor", "busybox") == (
        'Invalid --security-opt: "apparmor"'
    )


def test_sysctl_allowed_namespaces() -> None:
    assert host("--sysctl", "net.ipv4.ip_forward=1", "busybox")["Sysctls"] == {
        "net.ipv4.ip_forward": "1"
    }


def test_sysctl_not_namespaced_is_error() -> None:
    assert flag_error("--sysctl", "vm.swappiness=1", "busybox").endswith(
        "sysctl 'vm.swappiness=1' is not allowed"
    )


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--pid", "bogus", "--pid: invalid PID mode"),
        ("--uts", "private", "--uts: invalid UTS mode"),
        ("--userns", "bogus", "--userns: invalid USER mode"),
        ("--cgroupns", "bogus", "--cgroupns: invalid CGROUP mode"),
    ],
)
def test_invalid_namespace_mode_is_error(flag: str, value: str, message: str) -> None:
    assert options_error(flag, value, "busybox") == message


def test_namespace_modes_pass_through() -> None:
    doc = host(
        "--pid", "host", "--ipc", "shareable", "--uts", "host", "--cgroupns", "private", "busybox"
    )
    assert (doc["PidMode"], doc["IpcMode"], doc["UTSMode"], doc["CgroupnsMode"]) == (
        "host",
        "shareable",
        "host",
        "private",
    )


def test_log_driver_and_options() -> None:
    assert host("--log-driver", "json-file", "--log-opt", "max-size=10m", "busybox")[
        "LogConfig"
    ] == {"Type": "json-file", "Config": {"max-size": "10m"}}


def test_log_options_for_none_driver_is_error() -> None:
    assert options_error("--log-driver", "none", "--log-opt", "a=b", "busybox") == (
        "invalid logging opts for driver none"
    )


def test_user_workdir_runtime_group_add_volumes_from() -> None:
    doc = body(
        "-u",
        "1000:1000",
        "-w",
        "/src",
        "--runtime",
        "native",
        "--group-add",
        "audio",
        "--volumes-from",
        "data:ro",
        "busybox",
    )
    assert (doc["User"], doc["WorkingDir"]) == ("1000:1000", "/src")
    assert (doc["HostConfig"]["Runtime"], doc["HostConfig"]["GroupAdd"]) == ("native", ["audio"])
    assert doc["HostConfig"]["VolumesFrom"] == ["data:ro"]


def test_name_platform_pull_and_cidfile_are_request_options() -> None:
    result = spec("--name", "web", "--platform", "linux/amd64", "--pull", "never", "busybox")
    assert (result.name, result.platform, result.pull) == ("web", "linux/amd64", "never")
