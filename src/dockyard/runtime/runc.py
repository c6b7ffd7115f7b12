"""The Runtime contract over the ``runc`` command line (Debian's runc 1.1; crun takes the same
arguments).

Every call is ``runc --root <root> --log <root>/<cid>.runc.log --log-format json <verb> ...``:
the runtime's state lives under the daemon's exec root, and runc's own JSON log is kept per
container so that an error message can quote runc's last error line even when runc's stderr
went elsewhere (``create`` gives runc the container's stdio). The log of a container is
removed with it by :meth:`RuncRuntime.delete`.

Errors: runc's "container does not exist" is NotFound, a verb the container's state does not
allow is Conflict, anything else is DockyardError with runc's words in the message.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dockyard.errors import Conflict, DockyardError, NotFound
from dockyard.runtime.base import ProcessIO, RuntimeState, RuntimeStatus

__all__ = ["RuncRuntime"]

log = logging.getLogger(__name__)

# Phrases of runc 1.1 for a verb the container's state does not allow.
_CONFLICT_PHRASES = (
    "already exists",
    "already running",
    "not running",
    "not paused",
    "not stopped",
    "has stopped",
    "stopped container",
    "paused container",
    "is paused",
)
_NOT_FOUND_PHRASE = "container does not exist"


class RuncRuntime:
    """An OCI runtime driven through its CLI; thread-safe (every call is its own process)."""

    def __init__(
        self, root: Path, binary: str = "runc", name: str = "runc", timeout: float = 60.0
    ) -> None:
        self.root = Path(root)
        self.binary = binary
        self.name = name
        self.timeout = timeout

    # -- lifecycle -------------------------------------------------------------------------

    def create(self, cid: str, bundle: Path, io: ProcessIO, pid_file: Path) -> int:
        args = ["create", "--bundle", str(bundle), "--pid-file", str(pid_file)]
        if io.console_socket:
            args += ["--console-socket", io.console_socket]
        self._stdio_call(cid, "create", [*args, cid], io)
        return _read_pid(pid_file)

    def start(self, cid: str) -> None:
        self._call(cid, "start", ["start", cid])

    def state(self, cid: str) -> RuntimeState:
        out = self._call(cid, "state", ["state", cid])
        return _parse_state(json.loads(out))

    def list(self) -> list[RuntimeState]:
        out = self._call(None, "list", ["list", "--format", "json"])
        items = json.loads(out or b"null") or []
        return [_parse_state(item) for item in items]

    def kill(self, cid: str, signal: int, all_processes: bool = False) -> None:
        args = ["kill", *(["--all"] if all_processes else []), cid, str(int(signal))]
        self._call(cid, "kill", args)

    def pause(self, cid: str) -> None:
        self._call(cid, "pause", ["pause", cid])

    def resume(self, cid: str) -> None:
        self._call(cid, "resume", ["resume", cid])

    def exec(self, cid: str, process: Mapping[str, Any], io: ProcessIO, pid_file: Path) -> int:
        process_file = pid_file.with_name(pid_file.name + ".process.json")
        process_file.write_text(json.dumps(process))
        args = ["exec", "--detach", "--process", str(process_file), "--pid-file", str(pid_file)]
        if io.console_socket:
            args += ["--console-socket", io.console_socket, "--tty"]
        try:
            self._stdio_call(cid, "exec", [*args, cid], io)
        finally:
            process_file.unlink(missing_ok=True)
        return _read_pid(pid_file)

    def update(self, cid: str, resources: Mapping[str, Any]) -> None:
        data = json.dumps(resources).encode()
        self._call(cid, "update", ["update", "--resources", "-", cid], stdin=data)

    def delete(self, cid: str, force: bool = False) -> None:
        self._call(cid, "delete", ["delete", *(["--force"] if force else []), cid])
        self._log_file(cid).unlink(missing_ok=True)

    def exists(self, cid: str) -> bool:
        return (self.root / cid / "state.json").exists()

    # -- plumbing --------------------------------------------------------------------------

    def _log_file(self, cid: str | None) -> Path:
        return self.root / (f"{cid}.runc.log" if cid else "runc.log")

    def _argv(self, cid: str | None, args: Sequence[str]) -> builtins.list[str]:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return [
            self.binary,
            "--root",
            str(self.root),
            "--log",
            str(self._log_file(cid)),
            "--log-format",
            "json",
            *args,
        ]

    def _call(
        self, cid: str | None, verb: str, args: Sequence[str], stdin: bytes | None = None
    ) -> bytes:
        argv = self._argv(cid, args)
        mark = _size(self._log_file(cid))
        try:
            proc = subprocess.run(
                argv, input=stdin, capture_output=True, timeout=self.timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise DockyardError(f"{self.name} {verb} {cid or ''}: {err}".strip()) from err
        if proc.returncode != 0:
            raise self._error(cid, verb, proc.returncode, proc.stderr, mark)
        return proc.stdout

    def _stdio_call(self, cid: str, verb: str, args: Sequence[str], io: ProcessIO) -> None:
        """Run a verb whose child inherits ``io`` as its stdio (create, exec).

        runc hands its own stdin/stdout/stderr to the container process (a pipe of ours
        would stay open for the container's life), so its error text is read back from its
        log rather than from its stderr.
        """
        argv = self._argv(cid, args)
        mark = _size(self._log_file(cid))
        devnull = subprocess.DEVNULL
        use_fds = not io.console_socket
        try:
            proc = subprocess.run(
                argv,
                stdin=io.stdin if use_fds and io.stdin is not None else devnull,
                stdout=io.stdout if use_fds and io.stdout is not None else devnull,
                stderr=io.stderr if use_fds and io.stderr is not None else devnull,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise DockyardError(f"{self.name} {verb} {cid}: {err}") from err
        if proc.returncode != 0:
            raise self._error(cid, verb, proc.returncode, b"", mark)

    def _error(
        self, cid: str | None, verb: str, code: int, stderr: bytes, mark: int
    ) -> DockyardError:
        """The error for a failed call, from the log lines this call wrote (after ``mark``)."""
        text = _last_log_error(self._log_file(cid), mark)
        text = text or stderr.decode(errors="replace").strip()
        message = f"{self.name} {verb}{' ' + cid if cid else ''}: {text or f'exit {code}'}"
        if _NOT_FOUND_PHRASE in text:
            return NotFound(f"No such container: {cid}")
        if any(phrase in text for phrase in _CONFLICT_PHRASES):
            return Conflict(message)
        return DockyardError(message)


def _read_pid(pid_file: Path) -> int:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError) as err:
        raise DockyardError(f"runtime left no pid in {pid_file}: {err}") from err


def _parse_state(raw: Mapping[str, Any]) -> RuntimeState:
    try:
        status = RuntimeStatus(raw["status"])
    except ValueError as err:
        raise DockyardError(f"unknown runtime status {raw['status']!r}") from err
    return RuntimeState(
        id=str(raw["id"]), pid=int(raw.get("pid") or 0), status=status, bundle=raw["bundle"]
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _last_log_error(path: Path, start: int, tail: int = 8192) -> str:
    """The message of the last error-level line runc logged after offset ``start``."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(start, fh.tell() - tail))
            lines = fh.read().splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and entry.get("level") in ("error", "fatal"):
                return str(entry.get("msg", ""))
    return ""
