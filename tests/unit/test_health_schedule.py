"""Health checks, the pure parts: which probe, when it runs, what a result does to Health."""

from __future__ import annotations

import pytest

from dockyard.apitypes.container_config import ContainerConfig, HealthConfig
from dockyard.daemon.containers.health import (
    DEFAULT_INTERVAL,
    HEALTHY,
    STARTING,
    UNHEALTHY,
    OutputBuffer,
    Probe,
    apply_result,
    go_duration,
    next_interval,
    probe_for,
)
from dockyard.daemon.containers.state import Health, HealthLogEntry

S = 1_000_000_000


def _config(*test: str, shell: tuple[str, ...] | None = None, **kw: int) -> ContainerConfig:
    return ContainerConfig(healthcheck=HealthConfig(test=test, **kw), shell=shell)


def _result(code: int, n: int = 0) -> HealthLogEntry:
    return HealthLogEntry(f"start{n}", f"end{n}", code, "")


def test_cmd_shell_runs_with_bin_sh_c() -> None:
    probe = probe_for(_config("CMD-SHELL", "echo hi"))
    assert probe is not None and probe.argv == ("/bin/sh", "-c", "echo hi")
    assert probe.command_line == "/bin/sh -c echo hi"


def test_cmd_shell_uses_the_containers_shell() -> None:
    probe = probe_for(_config("CMD-SHELL", "x", shell=("/bin/ash", "-e", "-c")))
    assert probe is not None and probe.argv == ("/bin/ash", "-e", "-c", "x")


def test_cmd_runs_its_arguments() -> None:
    probe = probe_for(_config("CMD", "true", "x"))
    assert probe is not None and probe.argv == ("true", "x")


def test_exec_events_show_the_entrypoint_then_a_space_then_the_arguments() -> None:
    probe = probe_for(_config("CMD", "true"))
    assert probe is not None and probe.command_line == "true "


@pytest.mark.parametrize("test", [("NONE",), (), ("BOGUS", "x"), ("CMD",)])
def test_disabled_or_unknown_tests_have_no_probe(test: tuple[str, ...]) -> None:
    assert probe_for(_config(*test)) is None


def test_no_healthcheck_has_no_probe() -> None:
    assert probe_for(ContainerConfig()) is None


def test_zero_durations_take_dockerds_defaults() -> None:
    probe = probe_for(_config("CMD", "true"))
    assert probe == Probe(("true",), 30 * S, 30 * S, 0, 5 * S, 3)


def test_given_durations_and_retries_are_kept() -> None:
    probe = probe_for(
        _config(
            "CMD",
            "true",
            interval=S,
            timeout=2 * S,
            start_period=3 * S,
            start_interval=S // 2,
            retries=5,
        )
    )
    assert probe == Probe(("true",), S, 2 * S, 3 * S, S // 2, 5)


def test_start_interval_applies_while_starting_in_the_start_period() -> None:
    probe = Probe(("true",), interval=10 * S, start_period=60 * S, start_interval=2 * S)
    assert next_interval(probe, 5.0, STARTING) == 2.0


def test_interval_applies_after_the_start_period() -> None:
    probe = Probe(("true",), interval=10 * S, start_period=60 * S, start_interval=2 * S)
    assert next_interval(probe, 61.0, STARTING) == 10.0


def test_interval_applies_once_healthy_even_in_the_start_period() -> None:
    probe = Probe(("true",), interval=10 * S, start_period=60 * S, start_interval=2 * S)
    assert next_interval(probe, 5.0, HEALTHY) == 10.0


def test_default_interval_without_start_period() -> None:
    assert next_interval(Probe(("true",)), 0.0, STARTING) == DEFAULT_INTERVAL / S


def test_success_makes_healthy_and_resets_the_streak() -> None:
    health = apply_result(Health(UNHEALTHY, 4), _result(0), Probe(("true",)), 100.0)
    assert (health.status, health.failing_streak) == (HEALTHY, 0)


def test_failures_count_until_retries_then_unhealthy() -> None:
    probe = Probe(("false",), retries=2)
    health = apply_result(Health(HEALTHY, 0), _result(1), probe, 100.0)
    assert (health.status, health.failing_streak) == (HEALTHY, 1)
    health = apply_result(health, _result(1), probe, 100.0)
    assert (health.status, health.failing_streak) == (UNHEALTHY, 2)


def test_failures_in_the_start_period_do_not_count_while_starting() -> None:
    probe = Probe(("false",), retries=1, start_period=60 * S)
    health = apply_result(Health(STARTING, 0), _result(1), probe, 10.0)
    assert (health.status, health.failing_streak) == (STARTING, 0)


def test_failures_in_the_start_period_count_once_healthy() -> None:
    probe = Probe(("false",), retries=1, start_period=60 * S)
    health = apply_result(Health(HEALTHY, 0), _result(1), probe, 10.0)
    assert (health.status, health.failing_streak) == (UNHEALTHY, 1)


def test_negative_exit_code_is_a_failure() -> None:
    health = apply_result(Health(STARTING, 0), _result(-1), Probe(("x",), retries=1), 0.0)
    assert health.status == UNHEALTHY


def test_log_keeps_the_last_five_results() -> None:
    health = Health(STARTING)
    for n in range(7):
        health = apply_result(health, _result(0, n), Probe(("true",)), 0.0)
    assert [e.start for e in health.log] == [f"start{n}" for n in range(2, 7)]


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (30 * S, "30s"),
        (S + S // 2, "1.5s"),
        (S // 10, "100ms"),
        (90 * S, "1m30s"),
        (3600 * S, "1h0m0s"),
        (1500, "1.5µs"),
        (0, "0s"),
    ],
)
def test_go_duration_matches_gos_string(ns: int, text: str) -> None:
    assert go_duration(ns) == text


def test_output_is_cut_at_4096_bytes_with_an_ellipsis() -> None:
    buf = OutputBuffer()
    buf.write(b"a" * 4000)
    buf.write(b"b" * 200)
    assert buf.text() == "a" * 4000 + "b" * 96 + "..."


def test_short_output_is_kept_whole() -> None:
    buf = OutputBuffer()
    buf.write(b"hi\n")
    buf.write(b"err\n")
    assert buf.text() == "hi\nerr\n"
