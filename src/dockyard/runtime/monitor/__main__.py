"""``python -m dockyard.runtime.monitor --exec-root DIR --runtime-root DIR [--foreground]``

Without ``--foreground`` the command returns once the monitor serves (exit 0) or could not
start (exit 1, the reason on stderr); a monitor already serving this exec root counts as
success. The monitor logs to its stderr: the daemon points it at ``<exec-root>/monitor.log``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from dockyard.errors import Conflict, DockyardError
from dockyard.runtime.monitor.process import PidLock, daemonize, set_child_subreaper
from dockyard.runtime.monitor.server import Monitor

log = logging.getLogger("dockyard.runtime.monitor")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="dockyard-monitor", description=__doc__)
    p.add_argument("--exec-root", type=Path, required=True)
    p.add_argument("--runtime-root", type=Path, required=True)
    p.add_argument("--foreground", action="store_true", help="do not detach")
    p.add_argument("--log-level", default="info")
    return p.parse_args(argv)


def _raise_fd_limit() -> None:
    """Three fds per container (stdout, stderr, log): lift the soft limit to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _serve(args: argparse.Namespace, ready: Callable[[str], None]) -> None:
    monitor = Monitor(args.exec_root.absolute(), args.runtime_root.absolute())
    await monitor.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("monitor (pid %d) serving on %s", os.getpid(), monitor.socket_path)
    ready("")
    await stop.wait()
    log.info("monitor stopping; containers keep running")
    await monitor.close()


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    args.exec_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    ready: Callable[[str], None] = lambda error: None  # noqa: E731
    if not args.foreground:
        ready = daemonize()
    lock = PidLock(args.exec_root)
    try:
        lock.acquire()
    except Conflict as err:
        log.info("%s", err)
        ready("")
        return 0
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        set_child_subreaper()
        _raise_fd_limit()
        asyncio.run(_serve(args, ready))
    except (DockyardError, OSError) as err:
        log.error("monitor failed: %s", err)
        ready(f"monitor failed: {err}\n")
        return 1
    finally:
        lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
