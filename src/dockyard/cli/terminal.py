"""The user's terminal during ``-it``: raw mode, its size, and SIGWINCH.

Only real terminals are touched (``isatty`` on a real file descriptor); in-memory streams
(tests) pass through every function unchanged.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

__all__ = ["fd_of", "raw_mode", "terminal_size", "watch_resize"]


def fd_of(stream: Any) -> int | None:
    """The descriptor of a real terminal behind ``stream``, else None."""
    try:
        fd = int(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    import os

    return fd if os.isatty(fd) else None


def _contextmanager(func: Any) -> Any:
    import contextlib

    return contextlib.contextmanager(func)


@_contextmanager
def raw_mode(stream: Any) -> Iterator[None]:
    """Put a terminal in raw mode (no echo, no line editing, no signals) while inside."""
    fd = fd_of(stream)
    if fd is None:
        yield
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    tty.setraw(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def terminal_size(stream: Any) -> tuple[int, int] | None:
    """(rows, columns) of the terminal behind ``stream``; a test double may instead offer
    ``terminal_size()`` itself."""
    own = getattr(stream, "terminal_size", None)
    if own is not None:
        size: tuple[int, int] | None = own()
        return size
    fd = fd_of(stream)
    if fd is None:
        return None
    import os

    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return size.lines, size.columns


@_contextmanager
def watch_resize(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback`` on SIGWINCH while inside (main thread only; else a no-op)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGWINCH, lambda signum, frame: callback())
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous)
