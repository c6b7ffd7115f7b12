"""Container I/O through the API on a real dockyardd: attach, logs, exec, resize.

Hijacked streams are driven over a raw socket, so the tests see exactly what a client gets:
the 101 headers, the frames, and what happens when the client half-closes.
"""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard.testing.daemon_process import Daemon, wait_for
from dockyard.testing.engine_api import EngineApi

pytestmark = pytest.mark.root

V = "/v1.45"


@pytest.fixture(scope="module")
def image(daemon: Daemon, busybox_tar: Path) -> str:
    status, body, _ = daemon.request(
        "POST", f"{V}/images/create?fromSrc=-&repo=io/busybox&tag=1", busybox_tar.read_bytes()
    )
    assert status == 200, body
    return "io/busybox:1"


class Api(EngineApi):
    def exec(self, cid: str, cmd: list[str], **config: Any) -> str:
        status, body = self.call("POST", f"/containers/{cid}/exec", {"Cmd": cmd, **config})
        assert status == 201, body
        return str(body["Id"])


@pytest.fixture
def api(daemon: Daemon) -> Iterator[Api]:
    a = Api(daemon)
    try:
        yield a
    finally:
        a.cleanup()


class Hijack:
    """A raw client connection upgraded with ``Upgrade: tcp``."""

    def __init__(self, daemon: Daemon, path: str, body: bytes = b"", stdin: bytes = b"") -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(15)
        self.sock.connect(str(daemon.socket))
        head = (
            f"POST {path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.sock.sendall(head + body + stdin)  # stdin pipelined with the headers
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(65536)
            assert chunk, buf
            buf += chunk
        head_text, self.rest = buf.split(b"\r\n\r\n", 1)
        lines = head_text.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}

    def read_all(self) -> bytes:
        data = self.rest
        while chunk := self.sock.recv(65536):
            data += chunk
        self.sock.close()
        return data

    def read_until(self, marker: bytes) -> bytes:
        data = self.rest
        while marker not in data:
            chunk = self.sock.recv(65536)
            assert chunk, data
            data += chunk
        self.rest = b""
        return data


def frames(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    while data:
        stream, length = struct.unpack(">BxxxI", data[:8])
        out.append((stream, data[8 : 8 + length]))
        data = data[8 + length :]
    return out


def joined(data: bytes) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for stream, payload in frames(data):
        out[stream] = out.get(stream, b"") + payload
    return out


# -- attach ----------------------------------------------------------------------------------


def test_attach_before_start_receives_all_output_as_frames(api: Api, image: str) -> None:
    cid = api.create(image, ["sh", "-c", "echo out; echo err >&2"])
    conn = Hijack(api.daemon, f"{V}/containers/{cid}/attach?stream=1&stdout=1&stderr=1")
    api.start(cid)
    assert conn.status == 101
    assert joined(conn.read_all()) == {1: b"out\n", 2: b"err\n"}


def test_attach_is_multiplexed_for_upgraded_clients_at_1_42(api: Api, image: str) -> None:
    cid = api.create(image, ["true"])
    conn = Hijack(api.daemon, f"{V}/containers/{cid}/attach?stream=1&stdout=1")
    api.start(cid)
    assert conn.headers["content-type"] == "application/vnd.docker.multiplexed-stream"
    conn.read_all()


def test_attach_is_raw_stream_before_1_42(api: Api, image: str) -> None:
    cid = api.create(image, ["true"])
    conn = Hijack(api.daemon, f"/v1.41/containers/{cid}/attach?stream=1&stdout=1")
    api.start(cid)
    assert conn.headers["content-type"] == "application/vnd.docker.raw-stream"
    conn.read_all()


def test_attach_to_tty_container_is_raw(api: Api, image: str) -> None:
    cid = api.create(image, ["echo", "hi"], Tty=True)
    conn = Hijack(api.daemon, f"{V}/containers/{cid}/attach?stream=1&stdout=1")
    api.start(cid)
    assert conn.headers["content-type"] == "application/vnd.docker.raw-stream"
    assert conn.read_all() == b"hi\r\n"


def test_stdin_sent_with_the_headers_then_half_close_reaches_the_container(
    api: Api, image: str
) -> None:
    cid = api.create(image, ["cat"], OpenStdin=True, StdinOnce=True, AttachStdin=True)
    conn = Hijack(
        api.daemon,
        f"{V}/containers/{cid}/attach?stream=1&stdin=1&stdout=1&stderr=1",
        stdin=b"piped line\n",
    )
    conn.sock.shutdown(socket.SHUT_WR)  # like the docker CLI when its stdin ends
    api.start(cid)
    assert joined(conn.read_all()) == {1: b"piped line\n"}
    wait_for(lambda: api.status(cid) == "exited")


def test_attach_with_logs_replays_the_log(api: Api, image: str) -> None:
    cid = api.run(image, ["sh", "-c", "echo one; echo two >&2"])
    wait_for(lambda: api.status(cid) == "exited")
    conn = Hijack(api.daemon, f"{V}/containers/{cid}/attach?logs=1&stdout=1&stderr=1")
    assert joined(conn.read_all()) == {1: b"one\n", 2: b"two\n"}


def test_detach_keys_end_the_attach_and_leave_the_container_running(api: Api, image: str) -> None:
    cid = api.run(image, ["sh"], Tty=True, OpenStdin=True)
    conn = Hijack(
        api.daemon, f"{V}/containers/{cid}/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a"
    )
    conn.sock.sendall(b"echo mark-$((40+2))\n")
    conn.read_until(b"mark-42")
    conn.sock.sendall(b"\x01")
    conn.read_all()  # the daemon ends the session
    assert api.status(cid) == "running"


def test_attach_waiting_for_a_start_ends_when_the_container_is_removed(
    api: Api, image: str
) -> None:
    cid = api.create(image, ["true"])
    conn = Hijack(api.daemon, f"{V}/containers/{cid}/attach?stream=1&stdout=1")
    assert api.call("DELETE", f"/containers/{cid}?force=1")[0] == 204
    assert conn.read_all() == b""


def test_attach_to_unknown_container_is_not_found(api: Api) -> None:
    status, body = api.call("POST", "/containers/nosuch-io/attach?stream=1&stdout=1")
    assert (status, body) == (404, {"message": "No such container: nosuch-io"})


def test_attach_with_bad_detach_keys_is_invalid(api: Api, image: str) -> None:
    cid = api.create(image, ["true"])
    status, body = api.call("POST", f"/containers/{cid}/attach?stream=1&detachKeys=ctrl-xx")
    assert (status, body) == (400, {"message": "Invalid detach keys (ctrl-xx) provided"})


# -- resize ----------------------------------------------------------------------------------


def test_resize_of_a_tty_container_reaches_its_terminal(api: Api, image: str) -> None:
    cid = api.run(image, ["sh"], Tty=True, OpenStdin=True)
    assert api.call("POST", f"/containers/{cid}/resize?h=33&w=99")[0] == 200
    conn = Hijack(api.daemon, f"{V}/containers/{cid}/attach?stream=1&stdin=1&stdout=1")
    conn.sock.sendall(b"stty size\n")
    try:
        assert b"33 99" in conn.read_until(b"33 99")
    finally:
        conn.sock.close()


def test_resize_of_a_container_without_tty_is_accepted(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "30"])
    assert api.call("POST", f"/containers/{cid}/resize?h=10&w=20")[0] == 200


def test_resize_of_a_stopped_container_is_conflict(api: Api, image: str) -> None:
    cid = api.create(image, ["true"])
    status, body = api.call("POST", f"/containers/{cid}/resize?h=10&w=20")
    assert (status, body) == (409, {"message": f"Container {cid} is not running"})


def test_resize_with_a_bad_height_is_invalid(api: Api, image: str) -> None:
    cid = api.create(image, ["true"])
    status, body = api.call("POST", f"/containers/{cid}/resize?h=x&w=20")
    assert (status, body) == (400, {"message": 'strconv.Atoi: parsing "x": invalid syntax'})


# -- logs ------------------------------------------------------------------------------------


def _exited(api: Api, image: str, script: str, **config: Any) -> str:
    cid = api.run(image, ["sh", "-c", script], **config)
    wait_for(lambda: api.status(cid) == "exited")
    return cid


def test_logs_tail_keeps_the_last_lines(api: Api, image: str) -> None:
    cid = _exited(api, image, "echo 1; echo 2; echo 3")
    status, body, headers = api.raw("GET", f"/containers/{cid}/logs?stdout=1&tail=2")
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.docker.multiplexed-stream"
    assert frames(body) == [(1, b"2\n"), (1, b"3\n")]


def test_logs_send_only_the_chosen_stream(api: Api, image: str) -> None:
    cid = _exited(api, image, "echo out; echo err >&2")
    _, body, _ = api.raw("GET", f"/containers/{cid}/logs?stderr=1")
    assert frames(body) == [(2, b"err\n")]


def test_logs_timestamps_prefix_each_line_with_nine_fraction_digits(api: Api, image: str) -> None:
    cid = _exited(api, image, "echo hi")
    _, body, _ = api.raw("GET", f"/containers/{cid}/logs?stdout=1&timestamps=1")
    [(_, line)] = frames(body)
    stamp, _, text = line.partition(b" ")
    assert text == b"hi\n"
    assert len(stamp.split(b".")[1]) == len(b"123456789Z")


def test_logs_since_and_until_bound_the_lines(api: Api, image: str) -> None:
    cid = _exited(api, image, "echo early")
    _, body, _ = api.raw("GET", f"/containers/{cid}/logs?stdout=1&since=4000000000")
    assert body == b""
    _, body, _ = api.raw("GET", f"/containers/{cid}/logs?stdout=1&until=1")
    assert body == b""
    _, body, _ = api.raw("GET", f"/containers/{cid}/logs?stdout=1&since=1.5")
    assert frames(body) == [(1, b"early\n")]


def test_logs_of_a_tty_container_are_raw(api: Api, image: str) -> None:
    cid = _exited(api, image, "echo hi", Tty=True)
    _, body, headers = api.raw("GET", f"/containers/{cid}/logs?stdout=1")
    assert headers["Content-Type"] == "application/vnd.docker.raw-stream"
    assert body == b"hi\r\n"


def _dechunk(body: bytes) -> bytes:
    out = b""
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return out
        out, body = out + body[:size], body[size + 2 :]


def test_logs_follow_ends_when_the_container_exits(api: Api, image: str) -> None:
    cid = api.run(image, ["sh", "-c", "echo a; read x; echo b"], OpenStdin=True)
    stdin = Hijack(api.daemon, f"{V}/containers/{cid}/attach?stream=1&stdin=1")
    follow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    follow.settimeout(15)
    follow.connect(str(api.daemon.socket))
    follow.sendall(
        f"GET {V}/containers/{cid}/logs?stdout=1&follow=1 HTTP/1.1\r\nHost: d\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    seen = b""
    while b"a\n" not in seen:  # following: the first line arrived
        seen += follow.recv(65536)
    stdin.sock.sendall(b"go\n")
    while chunk := follow.recv(65536):  # ends by itself once the container exited
        seen += chunk
    follow.close()
    assert frames(_dechunk(seen.split(b"\r\n\r\n", 1)[1])) == [(1, b"a\n"), (1, b"b\n")]
    stdin.read_all()


def test_logs_read_across_rotated_files(api: Api, image: str) -> None:
    script = "i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); done"
    host = {"LogConfig": {"Type": "json-file", "Config": {"max-size": "4k", "max-file": "3"}}}
    cid = _exited(api, image, script, HostConfig=host)
    log_path = Path(api.call("GET", f"/containers/{cid}/json")[1]["LogPath"])
    assert Path(f"{log_path}.2").exists()
    _, body, _ = api.raw("GET", f"/containers/{cid}/logs?stdout=1")
    numbers = [int(p.strip().split(b"-")[1]) for _, p in frames(body)]
    assert numbers == list(range(numbers[0], 400))
    assert numbers[0] > 0


def test_logs_of_unknown_container_is_not_found(api: Api) -> None:
    status, body = api.call("GET", "/containers/nosuch-io/logs?stdout=1")
    assert (status, body) == (404, {"message": "No such container: nosuch-io"})


def test_logs_with_invalid_since_is_invalid(api: Api, image: str) -> None:
    cid = api.create(image, ["true"])
    status, body = api.call("GET", f"/containers/{cid}/logs?stdout=1&since=abc")
    assert (status, body) == (400, {"message": 'strconv.ParseInt: parsing "abc": invalid syntax'})


def test_logs_without_a_stream_is_invalid(api: Api, image: str) -> None:
    cid = api.create(image, ["true"])
    status, body = api.call("GET", f"/containers/{cid}/logs")
    assert (status, body) == (
        400,
        {"message": "Bad parameters: you must choose at least one stream"},
    )


# -- exec ------------------------------------------------------------------------------------


def _exec_attached(api: Api, eid: str, tty: bool = False) -> bytes:
    body = json.dumps({"Detach": False, "Tty": tty}).encode()
    conn = Hijack(api.daemon, f"{V}/exec/{eid}/start", body=body)
    assert conn.status == 101
    return conn.read_all()


def test_exec_output_and_exit_code_are_visible_when_the_stream_ends(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "60"])
    eid = api.exec(cid, ["sh", "-c", "echo x; echo y >&2; exit 3"], AttachStdout=True,
                   AttachStderr=True)  # fmt: skip
    assert joined(_exec_attached(api, eid)) == {1: b"x\n", 2: b"y\n"}
    info = api.call("GET", f"/exec/{eid}/json")[1]
    assert (info["Running"], info["ExitCode"]) == (False, 3)


def test_exec_inspect_has_dockers_shape(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "60"])
    eid = api.exec(cid, ["sh", "-c", "exit 2"], User="1000", Tty=True, AttachStdout=True)
    status, info = api.call("GET", f"/exec/{eid}/json")
    assert status == 200
    assert info == {
        "ID": eid,
        "Running": False,
        "ExitCode": None,
        "ProcessConfig": {
            "tty": True, "entrypoint": "sh", "arguments": ["-c", "exit 2"],
            "privileged": False, "user": "1000",
        },
        "OpenStdin": False,
        "OpenStderr": False,
        "OpenStdout": True,
        "CanRemove": False,
        "ContainerID": cid,
        "DetachKeys": "",
        "Pid": 0,
    }  # fmt: skip


def test_exec_runs_as_user_in_workdir_with_env(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "60"], Env=["FROM_CONTAINER=1"])
    eid = api.exec(
        cid, ["sh", "-c", "id -u; pwd; echo $FROM_CONTAINER$FOO"], User="nobody",
        WorkingDir="/tmp", Env=["FOO=bar"], AttachStdout=True,
    )  # fmt: skip
    assert joined(_exec_attached(api, eid))[1] == b"65534\n/tmp\n1bar\n"


def test_privileged_exec_gets_more_capabilities_than_the_container(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "60"])
    cmd = ["sh", "-c", "grep CapEff /proc/self/status"]
    plain = _exec_attached(api, api.exec(cid, cmd, AttachStdout=True))
    privileged = _exec_attached(api, api.exec(cid, cmd, Privileged=True, AttachStdout=True))
    caps = [int(joined(out)[1].split()[1], 16) for out in (plain, privileged)]
    assert caps[0] & caps[1] == caps[0] and caps[1] != caps[0]


def test_exec_with_tty_is_raw_and_has_a_terminal(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "60"])
    eid = api.exec(cid, ["tty"], Tty=True, AttachStdout=True)
    assert _exec_attached(api, eid, tty=True) == b"/dev/pts/0\r\n"


def test_exec_of_a_missing_command_reports_it_in_band_and_exits_127(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "60"])
    eid = api.exec(cid, ["nosuchcmd"], AttachStdout=True)
    out = joined(_exec_attached(api, eid))[1]
    assert out.startswith(b"OCI runtime exec failed") and b"executable file not found" in out
    assert api.call("GET", f"/exec/{eid}/json")[1]["ExitCode"] == 127


def test_detached_exec_start_twice_is_conflict(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "60"])
    eid = api.exec(cid, ["true"])
    assert api.call("POST", f"/exec/{eid}/start", {"Detach": True})[0] == 200
    wait_for(lambda: api.call("GET", f"/exec/{eid}/json")[1]["ExitCode"] == 0)
    status, body = api.call("POST", f"/exec/{eid}/start", {"Detach": True})
    assert (status, body) == (409, {"message": f"Error: Exec command {eid} has already run"})


def test_exec_in_a_stopped_container_is_conflict(api: Api, image: str) -> None:
    cid = api.create(image, ["true"])
    status, body = api.call("POST", f"/containers/{cid}/exec", {"Cmd": ["ls"]})
    assert (status, body) == (409, {"message": f"Container {cid} is not running"})


def test_exec_in_a_paused_container_is_conflict(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "60"])
    assert api.call("POST", f"/containers/{cid}/pause")[0] == 204
    try:
        status, body = api.call("POST", f"/containers/{cid}/exec", {"Cmd": ["ls"]})
    finally:
        api.call("POST", f"/containers/{cid}/unpause")
    assert status == 409
    assert body == {"message": f"Container {cid} is paused, unpause the container before exec"}


def test_exec_in_unknown_container_is_not_found(api: Api) -> None:
    status, body = api.call("POST", "/containers/nosuch-io/exec", {"Cmd": ["ls"]})
    assert (status, body) == (404, {"message": "No such container: nosuch-io"})


def test_exec_without_a_command_is_invalid(api: Api, image: str) -> None:
    cid = api.run(image, ["sleep", "60"])
    status, body = api.call("POST", f"/containers/{cid}/exec", {"Cmd": []})
    assert (status, body) == (400, {"message": "No exec command specified"})


def test_unknown_exec_is_not_found(api: Api) -> None:
    status, body = api.call("GET", "/exec/nosuch/json")
    assert (status, body) == (404, {"message": "No such exec instance: nosuch"})
