"""An attached session to a container or exec: open, wait, resize, forward signals, pump.

Each long-lived exchange gets its own connection (:meth:`Client.fork`): the hijacked
attach stream, the pending ``wait`` (whose response head the daemon flushes at once and
whose body arrives at exit), while start/resize/kill use the main one -- the order docker
run uses: create, attach, wait, start, resize.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from dockyard.cli.context import Context
    from dockyard.client.types import HijackedStream, ResponseLike

__all__ = [
    "detach_key_bytes",
    "forward_signals",
    "open_attach",
    "open_wait",
    "stream_session",
    "wait_status",
]

FORWARDED = ("SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGTERM")


def _contextmanager(func: Any) -> Any:
    import contextlib

    return contextlib.contextmanager(func)


def detach_key_bytes(keys: str) -> bytes:
    """The detach sequence (default ctrl-p,ctrl-q); ValueError in docker's words."""
    from dockyard.client.stream import DEFAULT_DETACH_KEYS, parse_detach_keys

    if not keys:
        return DEFAULT_DETACH_KEYS
    try:
        return parse_detach_keys(keys)
    except ValueError as err:
        raise ValueError(f"invalid detach keys ({keys}): {err}") from None


def open_attach(
    ctx: Context, cid: str, *, stdin: bool, stdout: bool, stderr: bool, detach_keys: str
) -> HijackedStream:
    query = {
        "stream": True,
        "stdin": stdin,
        "stdout": stdout,
        "stderr": stderr,
        "detachKeys": detach_keys or None,
    }
    return ctx.client().fork().hijack("POST", f"/containers/{cid}/attach", query)


def open_wait(ctx: Context, cid: str, condition: str) -> ResponseLike:
    """``POST /containers/{id}/wait?condition=...`` whose body is read after the exit."""
    return ctx.client().fork().request("POST", f"/containers/{cid}/wait", {"condition": condition})


def wait_status(ctx: Context, response: ResponseLike) -> int:
    """The exit code from a wait response; 125 (and the message) when the wait failed."""
    from dockyard.client.jsonfast import loads

    try:
        doc = loads(response.read() or b"{}")
    except ValueError:
        doc = {}
    error = (doc.get("Error") or {}).get("Message") if isinstance(doc, dict) else None
    if error:
        ctx.stderr.write(f"Error waiting for container: {error}\n")
        return 125
    return int(doc.get("StatusCode", 125)) if isinstance(doc, dict) else 125


def resize(ctx: Context, path: str) -> None:
    """``POST <path>?h=&w=`` with the terminal's size (if stdout is a terminal)."""
    from dockyard.cli.terminal import terminal_size
    from dockyard.client.errors import ClientError

    size = terminal_size(ctx.stdout)
    if size is None:
        return
    import contextlib

    # the process may already be gone; docker only logs a failed resize
    with contextlib.suppress(ClientError):
        ctx.client().request("POST", path, {"h": size[0], "w": size[1]}).read()


@_contextmanager
def monitor_size(ctx: Context, path: str, tty: bool) -> Iterator[None]:
    """Resize now and on every SIGWINCH while inside (TTY sessions only)."""
    if not tty:
        yield
        return
    from dockyard.cli.terminal import watch_resize

    resize(ctx, path)
    with watch_resize(lambda: resize(ctx, path)):
        yield


@_contextmanager
def forward_signals(ctx: Context, cid: str, enabled: bool) -> Iterator[None]:
    """--sig-proxy: signals the CLI receives are sent to the container (by name)."""
    import signal
    import threading

    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return
    client = ctx.client().fork()

    def handler(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name.removeprefix("SIG")
        import contextlib

        # best effort, like docker's ForwardAllSignals
        with contextlib.suppress(Exception):
            client.request("POST", f"/containers/{cid}/kill", {"signal": name}).read()

    previous = {}
    for name in FORWARDED:
        signum = getattr(signal, name)
        previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def stream_session(
    ctx: Context,
    stream: HijackedStream,
    *,
    tty: bool,
    stdin: bool,
    detach_keys: bytes,
) -> str:
    """Copy until the output ends (``"done"``) or the user detaches (``"detached"``)."""
    import contextlib

    from dockyard.cli.hijack_io import pump
    from dockyard.cli.terminal import raw_mode

    ctx.stdout.flush()
    ctx.stderr.flush()
    out = ctx.stdout.buffer
    err = out if tty else ctx.stderr.buffer
    raw = raw_mode(ctx.stdin) if tty and stdin else contextlib.nullcontext()
    with raw:
        try:
            return pump(
                stream,
                stdin=ctx.stdin if stdin else None,
                stdout=out,
                stderr=err,
                tty=tty,
                detach_keys=detach_keys,
            )
        finally:
            stream.close()
