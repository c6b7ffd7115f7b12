"""Docker's json-file log as the monitor writes it: whole lines, streams, timestamps, long
lines cut at 16 KiB, tails flushed at close, rotation by size and count."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dockyard.runtime.monitor.jsonlog import MAX_LINE, JsonFileLog, rfc3339_nano_ns

NS = 1_795_000_000_123_456_789


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_line_is_one_entry_with_stream_and_time(tmp_path: Path) -> None:
    log = JsonFileLog(tmp_path / "c.log")
    log.write("stdout", b"a\nb\n", NS)
    log.close()
    assert lines(tmp_path / "c.log") == [
        {"log": "a\n", "stream": "stdout", "time": rfc3339_nano_ns(NS)},
        {"log": "b\n", "stream": "stdout", "time": rfc3339_nano_ns(NS)},
    ]


def test_time_is_rfc3339_with_nanoseconds() -> None:
    assert rfc3339_nano_ns(NS) == "2026-11-18T11:06:40.123456789Z"


def test_partial_line_waits_for_its_newline_per_stream(tmp_path: Path) -> None:
    log = JsonFileLog(tmp_path / "c.log")
    log.write("stdout", b"hel", NS)
    log.write("stderr", b"oops\n", NS)
    log.write("stdout", b"lo\n", NS)
    log.close()
    assert [(e["stream"], e["log"]) for e in lines(tmp_path / "c.log")] == [
        ("stderr", "oops\n"),
        ("stdout", "hello\n"),
    ]


def test_unterminated_tail_is_written_at_close(tmp_path: Path) -> None:
    log = JsonFileLog(tmp_path / "c.log")
    log.write("stdout", b"no newline", NS)
    log.close()
    assert [e["log"] for e in lines(tmp_path / "c.log")] == ["no newline"]


def test_unterminated_output_is_cut_at_16k(tmp_path: Path) -> None:
    log = JsonFileLog(tmp_path / "c.log")
    log.write("stdout", b"x" * (MAX_LINE + 10), NS)
    log.write("stdout", b"\n", NS)
    log.close()
    assert [len(e["log"]) for e in lines(tmp_path / "c.log")] == [MAX_LINE, 11]


def test_invalid_utf8_is_replaced_not_dropped(tmp_path: Path) -> None:
    log = JsonFileLog(tmp_path / "c.log")
    log.write("stdout", b"\xffok\n", NS)
    log.close()
    assert lines(tmp_path / "c.log")[0]["log"] == "\ufffdok\n"


def test_rotation_keeps_max_file_files(tmp_path: Path) -> None:
    log = JsonFileLog(tmp_path / "c.log", max_size=100, max_file=3)
    for i in range(40):
        log.write("stdout", f"line{i}\n".encode(), NS)
    log.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["c.log", "c.log.1", "c.log.2"]
    assert lines(tmp_path / "c.log")[-1]["log"] == "line39\n"
    newest_first = [lines(tmp_path / n)[0]["log"] for n in ("c.log", "c.log.1", "c.log.2")]
    assert newest_first == sorted(newest_first, key=lambda s: -int(s[4:]))


def test_rotation_with_one_file_truncates(tmp_path: Path) -> None:
    log = JsonFileLog(tmp_path / "c.log", max_size=100, max_file=1)
    for i in range(40):
        log.write("stdout", f"line{i}\n".encode(), NS)
    log.close()
    assert [p.name for p in tmp_path.iterdir()] == ["c.log"]
    assert (tmp_path / "c.log").stat().st_size < 200


def test_reopened_log_appends(tmp_path: Path) -> None:
    for text in (b"one\n", b"two\n"):
        log = JsonFileLog(tmp_path / "c.log")
        log.write("stdout", text, NS)
        log.close()
    assert [e["log"] for e in lines(tmp_path / "c.log")] == ["one\n", "two\n"]
