"""The monitor's JSON-lines protocol: every message survives encode/decode; bad lines are
ProtocolErrors that keep the request id; error kinds map back to the error tree."""

from __future__ import annotations

import json

import pytest

from dockyard.errors import Conflict, DockyardError, NotFound
from dockyard.runtime.monitor.codec import (
    decode_hello,
    decode_request,
    decode_server_message,
    encode,
)
from dockyard.runtime.monitor.protocol import (
    AttachRequest,
    AttachStreams,
    CloseStdinRequest,
    ContainerInfo,
    CreateRequest,
    ExecInfo,
    ExecRequest,
    ExitEvent,
    ForgetRequest,
    Hello,
    ProtocolError,
    Reply,
    ResizeRequest,
    RuntimeRef,
    StartRequest,
    StateRequest,
    error_from_reply,
    error_reply,
    frame,
)

RUNC = RuntimeRef("runc", "/usr/sbin/runc", "/run/dockyard/runc")

REQUESTS = [
    CreateRequest(1, "c1", "/b", RUNC, tty=True, open_stdin=True, log_path="/l",
                  log_max_size=1024, log_max_file=3, cgroup_path="/dockyard/c1"),
    StartRequest(2, "c1"),
    ExecRequest(3, "c1", "e1", {"args": ["sh"], "env": []}, tty=False, open_stdin=True,
                attach=AttachStreams(stdin=True, stdout=True, stderr=False)),
    ExecRequest(4, "c1", "e2", {"args": ["true"]}),
    AttachRequest(5, "c1", None, AttachStreams(stdin=True)),
    ResizeRequest(6, "c1", 30, 100, exec_id="e1"),
    CloseStdinRequest(7, "c1"),
    StateRequest(8),
    ForgetRequest(9, "c1", "e1"),
]  # fmt: skip


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: type(r).__name__)
def test_request_round_trips(request_: object) -> None:
    assert decode_request(encode(request_)) == request_  # type: ignore[arg-type]


def test_encoded_message_is_one_json_line() -> None:
    line = encode(StartRequest(2, "c1"))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"op": "start", "id": 2, "cid": "c1"}


def test_hello_names_protocol_and_version() -> None:
    assert json.loads(encode(Hello())) == {"hello": "dockyard-monitor", "version": 1}
    assert decode_hello(encode(Hello())) == Hello()


def test_hello_of_other_version_is_refused() -> None:
    with pytest.raises(ProtocolError, match="version"):
        decode_hello(b'{"hello": "dockyard-monitor", "version": 2}\n')


def test_reply_with_state_round_trips() -> None:
    reply = Reply(8, containers=(
        ContainerInfo("c1", 10, "exited", 3, 1.5, True, (ExecInfo("e1", 11, "exited", 0, 1.0),)),
        ContainerInfo("c2", 12, "orphaned"),
    ))  # fmt: skip
    assert decode_server_message(encode(reply)) == reply


def test_exit_event_round_trips_with_unknown_status() -> None:
    event = ExitEvent("c1", None, None, 12.25, oom=False)
    assert json.loads(encode(event))["event"] == "exit"
    assert decode_server_message(encode(event)) == event


def test_unknown_op_is_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        decode_request(b'{"id": 1, "op": "explode"}\n')


def test_malformed_request_error_keeps_its_id() -> None:
    with pytest.raises(ProtocolError) as info:
        decode_request(b'{"id": 42, "op": "start"}\n')
    assert info.value.request_id == 42


def test_non_json_line_is_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        decode_request(b"hello\n")


@pytest.mark.parametrize("err", [NotFound("No such container: x"), Conflict("busy")])
def test_error_kind_maps_back_to_the_same_class(err: DockyardError) -> None:
    reply = decode_server_message(encode(error_reply(3, err)))
    assert isinstance(reply, Reply) and not reply.ok
    back = error_from_reply(reply)
    assert type(back) is type(err) and back.message == err.message


def test_unknown_error_kind_is_generic_error() -> None:
    back = error_from_reply(Reply(1, ok=False, error="boom", kind="Weird"))
    assert type(back) is DockyardError


def test_frame_uses_docker_stdcopy_header() -> None:
    assert frame(2, b"abc") == b"\x02\x00\x00\x00\x00\x00\x00\x03abc"
