"""Pure parts of top, update and prune: ps parsing, the update merge, prune filters."""

from __future__ import annotations

import pytest

from dockyard.apitypes.host_config import HostConfig, Resources, RestartPolicy
from dockyard.apitypes.stats import top_to_wire
from dockyard.daemon.containers.prune import labels_match, prune_until
from dockyard.daemon.containers.top import parse_ps_output, ps_argv, validate_ps_args
from dockyard.daemon.containers.update import UpdateRequest, merge_update, runtime_resources
from dockyard.errors import Conflict, DockyardError, InvalidParameter

PS_EF = """UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 02:14 ?        00:00:01 /sbin/init
root       30338   30312  0 02:14 ?        00:00:00 sleep 100
root       30400   30338  0 02:14 ?        00:00:00 sh -c echo  two  spaces
"""


def test_top_keeps_the_containers_pids_and_joins_the_command() -> None:
    result = parse_ps_output(PS_EF, {30338, 30400})
    assert result.titles == ("UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD")
    assert [p[1] for p in result.processes] == ["30338", "30400"]
    assert result.processes[1][-1] == "sh -c echo two spaces"


def test_top_keeps_thread_rows_after_a_kept_process() -> None:
    out = "PID TID CMD\n10 - sleep\n- 10 -\n11 - other\n- 11 -\n"
    result = parse_ps_output(out, {10})
    assert result.processes == (("10", "-", "sleep"), ("-", "10", "-"))


def test_top_without_a_pid_column_fails() -> None:
    with pytest.raises(DockyardError, match="Couldn't find PID field in ps output"):
        parse_ps_output("USER CMD\nroot sh\n", {1})


def test_top_with_no_matching_process_has_null_processes() -> None:
    assert top_to_wire(parse_ps_output(PS_EF, {5})) == {
        "Processes": None,
        "Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
    }


def test_ps_gets_the_pids_with_q() -> None:
    assert ps_argv("aux", [3, 4]) == ["ps", "aux", "-q3,4"]
    assert ps_argv("", [3]) == ["ps", "-ef", "-q3"]


def test_renaming_the_pid_column_is_refused() -> None:
    with pytest.raises(InvalidParameter, match='specifying "user=PID" is not allowed'):
        validate_ps_args("-o user=PID")


def test_pid_column_under_its_own_name_is_allowed() -> None:
    validate_ps_args("-o pid=PID")


def _hc(**resources: object) -> HostConfig:
    return HostConfig(resources=Resources(**resources))  # type: ignore[arg-type]


def test_update_merges_only_nonzero_fields() -> None:
    current = _hc(cpu_shares=512, memory=50 << 20, memory_swap=100 << 20)
    merged = merge_update("c", current, UpdateRequest(Resources(cpuset_cpus="0", pids_limit=20)))
    r = merged.resources
    assert (r.cpu_shares, r.memory, r.cpuset_cpus, r.pids_limit) == (512, 50 << 20, "0", 20)


def test_update_memory_above_the_stored_swap_needs_a_new_swap() -> None:
    with pytest.raises(Conflict, match="Cannot update container c: Memory limit should be smaller"):
        merge_update("c", _hc(), UpdateRequest(Resources(memory=50 << 20)))


def test_update_memory_with_swap_is_accepted() -> None:
    merged = merge_update("c", _hc(), UpdateRequest(Resources(memory=50 << 20, memory_swap=-1)))
    assert (merged.resources.memory, merged.resources.memory_swap) == (50 << 20, -1)


def test_update_cpu_period_after_nano_cpus_conflicts() -> None:
    with pytest.raises(
        Conflict, match="CPU Period cannot be updated as NanoCPUs has already been set"
    ):
        merge_update("c", _hc(nano_cpus=10**9), UpdateRequest(Resources(cpu_period=100000)))


def test_update_unlimited_pids_is_stored_as_no_limit() -> None:
    merged = merge_update("c", _hc(pids_limit=10), UpdateRequest(Resources(pids_limit=-1)))
    assert merged.resources.pids_limit is None


def test_update_restart_policy_replaces_the_stored_one() -> None:
    merged = merge_update("c", _hc(), UpdateRequest(restart_policy=RestartPolicy("always")))
    assert merged.restart_policy == RestartPolicy("always")


def test_update_restart_policy_of_an_autoremove_container_conflicts() -> None:
    current = HostConfig(auto_remove=True)
    with pytest.raises(Conflict, match="AutoRemove is enabled"):
        merge_update("c", current, UpdateRequest(restart_policy=RestartPolicy("always")))


def test_runtime_gets_only_the_requested_limits() -> None:
    assert runtime_resources(Resources(memory=50 << 20, memory_swap=-1, cpu_shares=512)) == {
        "memory": {"limit": 50 << 20, "swap": -1},
        "cpu": {"shares": 512},
    }


def test_runtime_gets_nano_cpus_as_quota_over_period() -> None:
    assert runtime_resources(Resources(nano_cpus=500_000_000)) == {
        "cpu": {"quota": 50000, "period": 100000}
    }


def test_runtime_gets_unlimited_pids_as_minus_one() -> None:
    assert runtime_resources(Resources(pids_limit=0)) == {"pids": {"limit": -1}}


def test_prune_label_filters_must_all_hold() -> None:
    labels = {"a": "1", "b": "2"}
    assert labels_match({"label": ["a", "b=2"]}, labels)
    assert not labels_match({"label": ["a", "b=3"]}, labels)


def test_prune_keeps_containers_matching_every_negated_label() -> None:
    labels = {"a": "1"}
    assert not labels_match({"label!": ["a=1"]}, labels)
    assert labels_match({"label!": ["a=1", "z"]}, labels)


def test_prune_refuses_unknown_filters() -> None:
    with pytest.raises(InvalidParameter, match="Invalid filter 'bogus'"):
        prune_until({"bogus": ["x"]}, 0.0)


def test_prune_until_accepts_a_duration() -> None:
    assert prune_until({"until": ["10m"]}, 1000.0) == 400.0


def test_prune_until_garbage_is_dockers_message() -> None:
    with pytest.raises(InvalidParameter, match='failed to parse value as time or duration: "xx"'):
        prune_until({"until": ["xx"]}, 0.0)
