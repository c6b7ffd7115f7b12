"""Pure parts of container I/O: detach keys, log reading and filters, the exec process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.daemon.containers.attach import EscapeProxy, parse_detach_keys
from dockyard.daemon.containers.exec import exec_process
from dockyard.daemon.containers.logs import (
    LogEntry,
    encode_entry,
    log_files,
    parse_log_line,
    parse_tail,
    parse_timestamp,
    read_log,
)
from dockyard.daemon.containers.store import ExecProcess
from dockyard.errors import InvalidParameter

# -- detach keys -----------------------------------------------------------------------------


def test_default_detach_keys_are_ctrl_p_ctrl_q() -> None:
    assert parse_detach_keys("ctrl-p,ctrl-q") == b"\x10\x11"


def test_detach_keys_accept_single_characters_and_ctrl_punctuation() -> None:
    assert parse_detach_keys("a,ctrl-@,ctrl-_,DEL") == b"a\x00\x1f\x7f"


def test_unknown_detach_key_is_invalid_in_dockers_words() -> None:
    with pytest.raises(InvalidParameter, match=r"^Invalid detach keys \(ctrl-xx\) provided$"):
        parse_detach_keys("ctrl-xx")


def test_escape_proxy_detaches_on_the_sequence_typed_key_by_key() -> None:
    proxy = EscapeProxy(b"\x10\x11")
    assert proxy.feed(b"\x10") == (b"", False)
    assert proxy.feed(b"\x11") == (b"", True)


def test_escape_proxy_releases_held_keys_on_a_mismatch() -> None:
    proxy = EscapeProxy(b"\x10\x11")
    assert proxy.feed(b"\x10") == (b"", False)
    assert proxy.feed(b"x") == (b"\x10x", False)


def test_escape_proxy_never_detaches_on_a_multi_byte_read() -> None:
    assert EscapeProxy(b"\x10\x11").feed(b"\x10\x11") == (b"\x10\x11", False)


# -- log parameters and reading --------------------------------------------------------------


def test_since_is_seconds_with_an_optional_fraction() -> None:
    assert parse_timestamp("12.5") == 12_500_000_000
    assert parse_timestamp("12") == 12_000_000_000
    assert parse_timestamp("") is None


def test_invalid_since_uses_gos_error_text() -> None:
    with pytest.raises(
        InvalidParameter, match=r'^strconv\.ParseInt: parsing "abc": invalid syntax$'
    ):
        parse_timestamp("abc")


def test_tail_that_is_not_a_count_means_all() -> None:
    assert [parse_tail(v) for v in ("3", "all", "", "-2", "x")] == [3, -1, -1, -1, -1]


def _line(text: str, stream: str = "stdout", t: str = "2026-01-02T03:04:05.5Z") -> str:
    return json.dumps({"log": text, "stream": stream, "time": t}) + "\n"


def test_log_line_time_is_nanoseconds_from_rfc3339() -> None:
    entry = parse_log_line(_line("x\n", t="1970-01-01T00:00:01.000000002+00:00").encode())
    assert entry == LogEntry(1, b"x\n", 1_000_000_002)


def test_garbage_log_line_is_skipped() -> None:
    assert parse_log_line(b"{not json") is None


def test_rotated_files_are_read_oldest_first(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    (tmp_path / "c-json.log.2").write_text(_line("a\n"))
    (tmp_path / "c-json.log.1").write_text(_line("b\n"))
    log.write_text(_line("c\n"))
    assert log_files(log) == [tmp_path / "c-json.log.2", tmp_path / "c-json.log.1"]
    assert [e.data for e in read_log(log)] == [b"a\n", b"b\n", b"c\n"]


def test_tail_spans_rotated_files(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    (tmp_path / "c-json.log.1").write_text(_line("a\n") + _line("b\n"))
    log.write_text(_line("c\n"))
    assert [e.data for e in read_log(log, tail=2)] == [b"b\n", b"c\n"]


def test_an_unterminated_last_line_waits_for_its_end(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    log.write_text(_line("a\n") + _line("b\n")[:10])
    assert [e.data for e in read_log(log)] == [b"a\n"]


def test_entries_are_framed_unless_tty_and_stamped_on_request() -> None:
    entry = LogEntry(2, b"hi\n", 1_000_000_002)
    assert (
        encode_entry(entry, tty=False, timestamps=False) == b"\x02\x00\x00\x00\x00\x00\x00\x03hi\n"
    )
    stamped = encode_entry(entry, tty=True, timestamps=True)
    assert stamped == b"1970-01-01T00:00:01.000000002Z hi\n"


# -- exec process ----------------------------------------------------------------------------

BASE = {
    "terminal": False,
    "user": {"uid": 1, "gid": 1},
    "args": ["sleep", "60"],
    "env": ["PATH=/bin", "A=1"],
    "cwd": "/srv",
    "capabilities": {"bounding": ["CAP_CHOWN"]},
    "noNewPrivileges": True,
}


def test_exec_process_keeps_the_containers_security_and_user() -> None:
    p = exec_process(BASE, ExecProcess(cmd=("id",)), user=None, host_capabilities=())
    assert p["user"] == {"uid": 1, "gid": 1}
    assert p["capabilities"] == {"bounding": ["CAP_CHOWN"]}
    assert p["noNewPrivileges"] is True
    assert (p["args"], p["cwd"], "terminal" in p) == (["id"], "/srv", False)


def test_exec_env_overrides_the_containers_and_tty_adds_term() -> None:
    process = ExecProcess(cmd=("env",), env=("A=2", "B=3"), tty=True)
    p = exec_process(BASE, process, user=None, host_capabilities=())
    assert p["env"] == ["PATH=/bin", "A=2", "TERM=xterm", "B=3"]
    assert p["terminal"] is True


def test_privileged_exec_gets_every_host_capability() -> None:
    process = ExecProcess(cmd=("id",), privileged=True)
    p = exec_process(BASE, process, user=None, host_capabilities=("CAP_CHOWN", "CAP_SYS_ADMIN"))
    assert p["capabilities"]["effective"] == ["CAP_CHOWN", "CAP_SYS_ADMIN"]


def test_exec_user_and_workdir_replace_the_containers() -> None:
    process = ExecProcess(cmd=("id",), working_dir="/tmp")
    p = exec_process(BASE, process, user={"uid": 0, "gid": 0}, host_capabilities=())
    assert (p["user"], p["cwd"]) == ({"uid": 0, "gid": 0}, "/tmp")
