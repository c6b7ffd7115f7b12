"""docker-py's container I/O against dockyardd: run, logs, exec_run, attach_socket, wait."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

docker_py = pytest.importorskip("docker")

pytestmark = [
    pytest.mark.root,
    pytest.mark.compat,
    # docker-py leaves the sockets of hijacked exec/attach responses to the garbage collector.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture
def run_detached(client: Any, busybox_image: str) -> Iterator[Callable[..., Any]]:
    """``containers.run(detach=True)``; every container made is removed afterwards."""
    made: list[Any] = []

    def run(cmd: list[str], **kwargs: Any) -> Any:
        container = client.containers.run(busybox_image, cmd, detach=True, **kwargs)
        made.append(container)
        return container

    try:
        yield run
    finally:
        for container in made:
            with contextlib.suppress(docker_py.errors.NotFound):
                container.remove(force=True)


def test_run_returns_the_output(client: Any) -> None:
    out = client.containers.run("busybox:latest", ["sh", "-c", "echo hello"], remove=True)
    assert out == b"hello\n"


def test_run_with_a_failing_command_raises_container_error_with_stderr(client: Any) -> None:
    with pytest.raises(docker_py.errors.ContainerError) as info:
        client.containers.run("busybox:latest", ["sh", "-c", "echo bad >&2; exit 2"], remove=True)
    assert (info.value.exit_status, info.value.stderr) == (2, b"bad\n")


def test_wait_returns_the_exit_code(client: Any, run_detached: Callable[..., Any]) -> None:
    container = run_detached(["sh", "-c", "exit 4"])
    assert container.wait(timeout=30) == {"StatusCode": 4, "Error": None}


def test_logs_without_stream(client: Any, run_detached: Callable[..., Any]) -> None:
    container = run_detached(["sh", "-c", "echo a; echo b >&2"])
    container.wait(timeout=30)
    assert container.logs(stdout=True, stderr=False) == b"a\n"
    assert container.logs(stdout=False, stderr=True) == b"b\n"


def test_logs_stream_follow_ends_at_exit(client: Any, run_detached: Callable[..., Any]) -> None:
    container = run_detached(["sh", "-c", "echo 1; sleep 0.5; echo 2"])
    chunks = list(container.logs(stream=True, follow=True))
    assert b"".join(chunks) == b"1\n2\n"


def test_exec_run_returns_exit_code_and_output(
    client: Any, run_detached: Callable[..., Any]
) -> None:
    container = run_detached(["sleep", "60"])
    result = container.exec_run(["sh", "-c", "echo x; exit 3"])
    assert (result.exit_code, result.output) == (3, b"x\n")


def test_exec_run_demux_separates_the_streams(
    client: Any, run_detached: Callable[..., Any]
) -> None:
    container = run_detached(["sleep", "60"])
    result = container.exec_run(["sh", "-c", "echo x; echo y >&2"], demux=True)
    assert result.output == (b"x\n", b"y\n")


def test_exec_run_stream_yields_the_output(client: Any, run_detached: Callable[..., Any]) -> None:
    container = run_detached(["sleep", "60"])
    result = container.exec_run(["sh", "-c", "echo s1; echo s2"], stream=True)
    assert b"".join(result.output) == b"s1\ns2\n"


def test_exec_run_with_tty_has_a_terminal(client: Any, run_detached: Callable[..., Any]) -> None:
    container = run_detached(["sleep", "60"])
    assert container.exec_run("tty", tty=True).output == b"/dev/pts/0\r\n"


def test_attach_socket_with_logs_replays_the_output(
    client: Any, run_detached: Callable[..., Any]
) -> None:
    container = run_detached(["sh", "-c", "echo replayed"])
    container.wait(timeout=30)
    sock = container.attach_socket(params={"stdout": 1, "logs": 1})
    raw = sock._sock  # SocketIO.close leaves the socket itself open
    try:
        data = b""
        while chunk := sock.read(4096):
            data += chunk
    finally:
        sock.close()
        raw.close()
    assert data == b"\x01\x00\x00\x00\x00\x00\x00\x09replayed\n"
