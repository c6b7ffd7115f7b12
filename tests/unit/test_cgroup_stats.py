"""Container stats from cgroup file contents (v1 and v2) and their wire shape."""

from __future__ import annotations

from dockyard.apitypes.stats import BlkioEntry, Stats, stats_to_wire, zero_stats
from dockyard.daemon.containers import cgroupstats as cg

V1 = {
    "cpuacct.usage": "26946729\n",
    "cpuacct.usage_percpu": "24593607 2353122 \n",
    "cpuacct.stat": "user 3\nsystem 1\n",
    "cpu.stat": "nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n",
    "memory.usage_in_bytes": "393216\n",
    "memory.max_usage_in_bytes": "3825664\n",
    "memory.limit_in_bytes": "9223372036854771712\n",
    "memory.failcnt": "0\n",
    "memory.stat": "cache 4096\nrss 49152\nshmem 0\nswap 0\ntotal_rss 49152\n"
    "hierarchical_memory_limit 9223372036854771712\n",
    "pids.current": "2\n",
    "pids.max": "max\n",
    "blkio.io_service_bytes_recursive": "Total 0\n",
    "blkio.io_serviced_recursive": "Total 0\n",
    "blkio.throttle.io_service_bytes_recursive": "8:0 Read 4096\n8:0 Write 8192\n"
    "8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n",
    "blkio.throttle.io_serviced_recursive": "8:0 Read 1\n8:0 Write 2\nTotal 3\n",
}

V2 = {
    "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\n"
    "nr_throttled 1\nthrottled_usec 7\n",
    "memory.current": "1048576\n",
    "memory.max": "max\n",
    "memory.stat": "anon 4096\nfile 8192\nsock 0\nunknown_key 5\n",
    "pids.current": "3\n",
    "pids.max": "50\n",
    "io.stat": "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n",
}

MACHINE = 25276063744


def test_v1_cpu_usage_is_nanoseconds_with_ticks_converted() -> None:
    s = cg.parse_v1(V1, clock_ticks=100)
    assert (s.cpu.total, s.cpu.percpu) == (26946729, (24593607, 2353122))
    assert (s.cpu.user, s.cpu.kernel) == (30_000_000, 10_000_000)


def test_v1_throttling_comes_from_cpu_stat() -> None:
    t = cg.parse_v1(V1).throttling
    assert (t.periods, t.throttled_periods, t.throttled_time) == (10, 2, 5000)


def test_v1_unlimited_memory_shows_the_machine_memory() -> None:
    m = cg.parse_v1(V1, machine_memory=MACHINE).memory
    assert (m.usage, m.max_usage, m.limit) == (393216, 3825664, MACHINE)


def test_v1_memory_stats_keep_dockerds_keys_only() -> None:
    stats = dict(cg.parse_v1(V1).memory.stats)
    assert stats["cache"] == 4096 and stats["total_rss"] == 49152
    assert stats["total_unevictable"] == 0  # absent in the file, present on the wire
    assert "shmem" not in stats and "swap" not in stats
    assert stats["hierarchical_memory_limit"] == 9223372036854771712


def test_v1_unlimited_pids_have_no_limit() -> None:
    p = cg.parse_v1(V1).pids
    assert (p.current, p.limit) == (2, 0)


def test_v1_blkio_falls_back_to_throttle_files_without_total_lines() -> None:
    b = cg.parse_v1(V1).blkio
    assert b.io_service_bytes is not None
    assert b.io_service_bytes[:2] == (
        BlkioEntry(8, 0, "Read", 4096),
        BlkioEntry(8, 0, "Write", 8192),
    )
    assert len(b.io_service_bytes) == 6
    assert b.io_serviced == (BlkioEntry(8, 0, "Read", 1), BlkioEntry(8, 0, "Write", 2))


def test_v1_blkio_lists_without_data_are_empty_not_null() -> None:
    wire = cg.parse_v1({}).blkio.to_wire()
    assert wire["io_queue_recursive"] == [] and wire["io_service_bytes_recursive"] == []


def test_v2_cpu_usage_is_microseconds_times_1000() -> None:
    s = cg.parse_v2(V2)
    assert (s.cpu.total, s.cpu.user, s.cpu.kernel, s.cpu.percpu) == (
        1_500_000,
        1_000_000,
        500_000,
        None,
    )
    assert (s.throttling.periods, s.throttling.throttled_periods) == (4, 1)
    assert s.throttling.throttled_time == 7000


def test_v2_memory_max_reads_as_machine_memory() -> None:
    m = cg.parse_v2(V2, machine_memory=MACHINE).memory
    assert (m.usage, m.max_usage, m.limit) == (1048576, 0, MACHINE)
    stats = dict(m.stats)
    assert stats["anon"] == 4096 and stats["file"] == 8192 and "unknown_key" not in stats


def test_v2_memory_limit_below_machine_memory_is_kept() -> None:
    m = cg.parse_v2({**V2, "memory.max": "52428800\n"}, machine_memory=MACHINE).memory
    assert m.limit == 52428800


def test_v2_pids_limit_is_shown() -> None:
    p = cg.parse_v2(V2).pids
    assert (p.current, p.limit) == (3, 50)


def test_v2_io_stat_gives_read_and_write_bytes_and_null_other_lists() -> None:
    wire = cg.parse_v2(V2).blkio.to_wire()
    assert wire["io_service_bytes_recursive"] == [
        {"major": 8, "minor": 0, "op": "read", "value": 100},
        {"major": 8, "minor": 0, "op": "write", "value": 200},
    ]
    assert wire["io_serviced_recursive"] is None


def test_proc_stat_sums_seven_fields_and_counts_cpus() -> None:
    text = (
        "cpu  63909 0 31966 308018 5217 0 807 627 0 0\n"
        "cpu0 1 0 0 0 0 0 0\ncpu1 1 0 0 0 0 0 0\nintr 5\n"
    )
    usage, cpus = cg.parse_proc_stat(text, clock_ticks=100)
    assert usage == (63909 + 31966 + 308018 + 5217 + 807) * 10_000_000
    assert cpus == 2


def test_meminfo_total_is_bytes() -> None:
    assert cg.parse_meminfo_total("MemTotal:       24683656 kB\nMemFree: 1 kB\n") == MACHINE


def test_net_dev_skips_loopback() -> None:
    text = (
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"  # noqa: E501
        "    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n"  # noqa: E501
        "  eth0:    1462      17    1    2    0     0          0         0      586       7    3    4    0     0       0          0\n"  # noqa: E501
    )
    nets = dict(cg.parse_net_dev(text))
    assert list(nets) == ["eth0"]
    eth0 = nets["eth0"]
    assert (eth0.rx_bytes, eth0.rx_packets, eth0.rx_errors, eth0.rx_dropped) == (1462, 17, 1, 2)
    assert (eth0.tx_bytes, eth0.tx_packets, eth0.tx_errors, eth0.tx_dropped) == (586, 7, 3, 4)


def test_cgroup_procs_lists_pids() -> None:
    assert cg.parse_pids("12\n13\n\n") == (12, 13)


def test_default_cgroup_path_is_under_dockyard() -> None:
    assert cg.cgroup_relpath("", "abc") == "dockyard/abc"
    assert cg.cgroup_relpath("/custom/", "abc") == "custom/abc"


def test_v1_dirs_are_per_controller_and_v2_is_one() -> None:
    assert cg.cgroup_dirs(False, "dockyard/x")["memory"] == "/sys/fs/cgroup/memory/dockyard/x"
    assert cg.cgroup_dirs(True, "dockyard/x") == {"": "/sys/fs/cgroup/dockyard/x"}


def test_a_hybrid_host_is_not_unified() -> None:
    assert cg.is_unified(True, True) is False
    assert cg.is_unified(True, False) is True


def test_stopped_container_stats_match_dockerds_zero_shape() -> None:
    # dockerd 20.10's answer for a created container, key for key.
    expected = {
        "read": "0001-01-01T00:00:00Z",
        "preread": "0001-01-01T00:00:00Z",
        "pids_stats": {},
        "blkio_stats": dict.fromkeys(
            (
                "io_service_bytes_recursive",
                "io_serviced_recursive",
                "io_queue_recursive",
                "io_service_time_recursive",
                "io_wait_time_recursive",
                "io_merged_recursive",
                "io_time_recursive",
                "sectors_recursive",
            )
        ),
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": {
            "cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
            "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
        },
        "precpu_stats": {
            "cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
            "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
        },
        "memory_stats": {},
        "name": "/opsc",
        "id": "7d09",
    }
    assert stats_to_wire(zero_stats("7d09", "opsc")) == expected


def test_running_stats_wire_has_host_counters_and_networks() -> None:
    parsed = cg.parse_v1(V1, machine_memory=MACHINE)
    eth0 = cg.parse_net_dev("a\nb\n eth0: 1 2 3 4 0 0 0 0 5 6 7 8 0 0 0 0\n")[0][1]
    stats = Stats(
        id="x", name="n", read=1.5, cpu=cg.cpu_stats(parsed, 1000, 2), memory=parsed.memory,
        networks=(("eth0", eth0),),
    )  # fmt: skip
    wire = stats_to_wire(stats)
    assert wire["read"] == "1970-01-01T00:00:01.500000000Z"
    assert wire["cpu_stats"]["system_cpu_usage"] == 1000
    assert wire["cpu_stats"]["online_cpus"] == 2
    assert wire["cpu_stats"]["cpu_usage"]["percpu_usage"] == [24593607, 2353122]
    assert wire["networks"]["eth0"]["tx_dropped"] == 8
    assert wire["memory_stats"]["limit"] == MACHINE
