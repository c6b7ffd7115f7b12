"""The docker CLI 28's run/attach/logs/exec against dockyardd, unchanged.

Interactive cases run the CLI under a pseudo-terminal (util-linux ``script``), so it puts its
terminal in raw mode, sends its window size and handles detach keys as with a user.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from dockyard.testing.daemon_process import Daemon
from dockyard.testing.docker_cli import CONFIG_DIR, docker

pytestmark = [pytest.mark.root, pytest.mark.compat]


@pytest.fixture
def names(daemon: Daemon) -> Iterator[list[str]]:
    """Container names a test used; removed afterwards."""
    made: list[str] = []
    try:
        yield made
    finally:
        if made:
            docker(daemon.host, "rm", "-f", *made, check=False)


def under_tty(
    host: str, args: list[str], keys: bytes, *, rows: int = 24, cols: int = 80
) -> subprocess.CompletedProcess[bytes]:
    """``docker ARGS`` in a terminal of rows x cols, typing ``keys``; exit code kept."""
    if shutil.which("script") is None:
        pytest.skip("util-linux script is not installed")
    command = f"stty rows {rows} cols {cols}; exec {shlex.join(['docker', *args])}"
    env = {**os.environ, "DOCKER_HOST": host, "DOCKER_CONFIG": CONFIG_DIR}
    return subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        input=keys,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_run_rm_prints_the_output_and_removes_the_container(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-run-rm")
    proc = docker(daemon.host, "run", "--rm", "--name", "cli-run-rm", busybox_image, "echo", "hi")
    assert proc.stdout == b"hi\n"
    gone = docker(daemon.host, "inspect", "cli-run-rm", check=False)
    assert gone.returncode != 0


def test_run_exits_with_the_containers_exit_code(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-run-exit")
    proc = docker(
        daemon.host, "run", "--name", "cli-run-exit", busybox_image, "sh", "-c", "exit 3",
        check=False,
    )  # fmt: skip
    assert proc.returncode == 3


def test_run_separates_stdout_and_stderr(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-run-streams")
    proc = docker(
        daemon.host, "run", "--name", "cli-run-streams", busybox_image,
        "sh", "-c", "echo out; echo err >&2",
    )  # fmt: skip
    assert (proc.stdout, proc.stderr) == (b"out\n", b"err\n")


def test_run_of_a_missing_command_exits_127(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-run-127")
    proc = docker(
        daemon.host, "run", "--name", "cli-run-127", busybox_image, "nosuchcmd", check=False
    )
    assert proc.returncode == 127
    assert b'exec: "nosuchcmd": executable file not found in $PATH' in proc.stderr


def test_run_i_pipes_stdin_and_ends_with_it(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-run-i")
    proc = docker(
        daemon.host, "run", "-i", "--name", "cli-run-i", busybox_image, "cat",
        input=b"through stdin\n",
    )  # fmt: skip
    assert proc.stdout == b"through stdin\n"


def test_run_it_gives_a_terminal_with_the_clients_size(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-run-it")
    proc = under_tty(
        daemon.host,
        ["run", "-it", "--name", "cli-run-it", busybox_image, "sh"],
        b"tty\nstty size\nexit 5\n",
        rows=33,
        cols=99,
    )
    assert proc.returncode == 5, proc.stderr
    assert b"/dev/pts/0" in proc.stdout
    assert b"33 99" in proc.stdout


def test_exec_it_runs_an_interactive_shell(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-exec-it")
    docker(daemon.host, "run", "-d", "--name", "cli-exec-it", busybox_image, "sleep", "60")
    proc = under_tty(
        daemon.host, ["exec", "-it", "cli-exec-it", "sh"], b"echo in-$((6*7))\nexit 4\n"
    )
    assert proc.returncode == 4, proc.stderr
    assert b"in-42" in proc.stdout


def test_exec_reports_the_commands_exit_code_and_output(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-exec")
    docker(daemon.host, "run", "-d", "--name", "cli-exec", busybox_image, "sleep", "60")
    proc = docker(
        daemon.host, "exec", "-u", "nobody", "-w", "/tmp", "-e", "X=1", "cli-exec",
        "sh", "-c", "id -u; pwd; echo $X; exit 6", check=False,
    )  # fmt: skip
    assert (proc.returncode, proc.stdout) == (6, b"65534\n/tmp\n1\n")


def test_logs_follow_stops_when_the_container_stops(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-logs-f")
    docker(
        daemon.host, "run", "-d", "--name", "cli-logs-f", busybox_image,
        "sh", "-c", "echo first; sleep 1; echo second",
    )  # fmt: skip
    proc = docker(daemon.host, "logs", "-f", "cli-logs-f", timeout=30)
    assert proc.stdout == b"first\nsecond\n"


def test_logs_tail_and_timestamps(daemon: Daemon, busybox_image: str, names: list[str]) -> None:
    names.append("cli-logs")
    docker(daemon.host, "run", "--name", "cli-logs", busybox_image, "sh", "-c", "echo 1; echo 2")
    proc = docker(daemon.host, "logs", "--tail", "1", "-t", "cli-logs")
    stamp, _, text = proc.stdout.partition(b" ")
    assert text == b"2\n"
    assert stamp.endswith(b"Z")


def test_attach_detaches_on_the_detach_keys_and_leaves_it_running(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-attach")
    docker(daemon.host, "run", "-dit", "--name", "cli-attach", busybox_image, "sh")
    proc = under_tty(daemon.host, ["attach", "--detach-keys", "ctrl-a", "cli-attach"], b"\x01")
    assert b"read escape sequence" in proc.stdout
    status = docker(daemon.host, "inspect", "-f", "{{.State.Status}}", "cli-attach")
    assert status.stdout == b"running\n"


def test_start_attach_gets_the_output_of_a_stopped_container(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    names.append("cli-start-a")
    docker(daemon.host, "create", "--name", "cli-start-a", busybox_image, "echo", "again")
    proc = docker(daemon.host, "start", "-a", "cli-start-a")
    assert proc.stdout == b"again\n"
