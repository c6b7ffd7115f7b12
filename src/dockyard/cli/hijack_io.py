"""Copy a hijacked attach/exec stream to the user's streams and stdin to it.

Like docker's hijackedIOStreamer: output is copied until the daemon ends the stream
(demultiplexed to stdout/stderr unless TTY); stdin is copied until EOF, then the write
side is half-closed; with a TTY the detach sequence ends the session at once, leaving the
container running. Two daemon threads do the copying so that the caller can stop waiting
(detach) while either side is blocked.
"""

from __future__ import annotations

from dockyard.client.stream import EscapeProxy, FrameDemuxer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

    from dockyard.client.types import HijackedStream

__all__ = ["DETACHED", "DONE", "pump", "read_some"]

DONE = "done"
DETACHED = "detached"


def read_some(stream: Any, size: int = 4096) -> bytes:
    """What is available now from ``stream`` (a keystroke in raw mode), ``b""`` at EOF."""
    from dockyard.cli.terminal import fd_of

    fd = fd_of(stream)
    if fd is not None:
        import os

        return os.read(fd, size)
    read1 = getattr(stream, "read1", None)
    data = read1(size) if read1 is not None else stream.read(size)
    return bytes(data or b"")


def copy_output(stream: HijackedStream, stdout: BinaryIO, stderr: BinaryIO, tty: bool) -> None:
    """Until the stream ends: raw bytes (TTY) or demultiplexed frames to stdout/stderr."""
    demux = None if tty else FrameDemuxer()
    while data := stream.recv(65536):
        if demux is None:
            stdout.write(data)
            stdout.flush()
            continue
        for kind, payload in demux.feed(data):
            sink = stderr if kind == 2 else stdout
            sink.write(payload)
            sink.flush()


def pump(
    stream: HijackedStream,
    *,
    stdin: BinaryIO | None,
    stdout: BinaryIO,
    stderr: BinaryIO,
    tty: bool,
    detach_keys: bytes | None,
) -> str:
    """Run the session; :data:`DONE` when output ended, :data:`DETACHED` on the detach keys.

    Raises :class:`dockyard.client.stream.StreamError` for an error frame from the daemon.
    """
    import queue
    import threading

    events: queue.Queue[tuple[str, BaseException | None]] = queue.Queue()

    def output() -> None:
        try:
            copy_output(stream, stdout, stderr, tty)
        except BaseException as err:  # noqa: BLE001  (handed to the waiting thread)
            events.put(("output", err))
            return
        events.put(("output", None))

    def feed_input() -> None:
        assert stdin is not None
        proxy = EscapeProxy(detach_keys) if tty and detach_keys else None
        try:
            while data := read_some(stdin):
                if proxy is not None:
                    data, detached = proxy.feed(data)
                    if data:
                        stream.sendall(data)
                    if detached:
                        events.put((DETACHED, None))
                        return
                else:
                    stream.sendall(data)
        except OSError:
            pass
        stream.close_write()
        events.put(("input", None))

    threading.Thread(target=output, daemon=True, name="attach-output").start()
    if stdin is not None:
        threading.Thread(target=feed_input, daemon=True, name="attach-input").start()
    while True:
        what, err = events.get()
        if what == DETACHED:
            stream.close()
            return DETACHED
        if what == "output":
            if err is not None:
                raise err
            return DONE
