"""``dockyardd``: parse flags, merge daemon.json, serve the API until SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from dockyard import __version__
from dockyard.daemon.config import DaemonConfig, load_file, merge
from dockyard.daemon.wiring import Engine, build
from dockyard.errors import DockyardError, InvalidParameter

__all__ = ["main", "serve"]

log = logging.getLogger("dockyard.daemon")

DEFAULT_CONFIG_FILE = "/etc/dockyard/daemon.json"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dockyardd", description="The Dockyard container engine")
    p.add_argument(
        "-H",
        "--host",
        action="append",
        dest="hosts",
        metavar="HOST",
        help="socket to listen on: unix:///path or tcp://ADDR:PORT (repeatable)",
    )
    p.add_argument("--data-root", help="root of persistent state (default /var/lib/dockyard)")
    p.add_argument("--exec-root", help="root of runtime state (default /run/dockyard)")
    p.add_argument("--config-file", help=f"daemon.json (default {DEFAULT_CONFIG_FILE})")
    p.add_argument("-p", "--pidfile", help="pid file (default /run/dockyard.pid)")
    p.add_argument("-D", "--debug", action="store_true", default=None)
    p.add_argument("-l", "--log-level", choices=["debug", "info", "warn", "error", "fatal"])
    p.add_argument("--live-restore", action="store_true", default=None)
    p.add_argument("--default-runtime")
    p.add_argument("--bip")
    p.add_argument("--insecure-registry", action="append", dest="insecure_registries")
    p.add_argument("--version", action="version", version=f"dockyardd {__version__}")
    return p


def load_config(argv: list[str]) -> DaemonConfig:
    args = _parser().parse_args(argv)
    flags: dict[str, Any] = {}
    for name in (
        "data_root",
        "exec_root",
        "pidfile",
        "debug",
        "log_level",
        "live_restore",
        "default_runtime",
        "bip",
    ):
        value = getattr(args, name)
        if value is not None:
            flags[name] = value
    if args.hosts:
        flags["hosts"] = tuple(args.hosts)
    if args.insecure_registries:
        flags["insecure_registries"] = tuple(args.insecure_registries)
    path = Path(args.config_file or DEFAULT_CONFIG_FILE)
    file_values: dict[str, Any] = {}
    if args.config_file is not None or path.exists():
        file_values = load_file(path)
    return merge(flags, file_values)


def _lock_pidfile(path: str) -> int:
    """Hold an exclusive lock on the pid file so that two daemons never share a data root."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as err:
        os.close(fd)
        raise DockyardError(f"pid file {path} is locked: is another dockyardd running?") from err
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _unix_socket(path: str) -> socket.socket:
    """Bind a unix socket, replacing a stale file left by a crashed daemon."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_socket() or target.exists():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except OSError:
            target.unlink()
        else:
            raise DockyardError(f"{path} is in use by another daemon")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    Path(path).chmod(0o660)
    return sock


async def serve(engine: Engine, stop: asyncio.Event) -> None:
    # handler_cancellation: a client that goes away (an `events` or `logs -f` stream) ends
    # its handler instead of leaving it parked forever, which would also stall shutdown.
    runner = web.AppRunner(
        engine.app,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=5.0,
        handler_cancellation=True,
    )
    await runner.setup()
    unix_paths: list[str] = []
    try:
        for host in engine.config.hosts:
            if host.startswith("unix://"):
                path = host[len("unix://") :]
                site: web.BaseSite = web.SockSite(runner, _unix_socket(path))
                unix_paths.append(path)
            elif host.startswith("tcp://"):
                addr, _, port = host[len("tcp://") :].rpartition(":")
                site = web.TCPSite(runner, addr or "127.0.0.1", int(port or "2375"))
            else:
                raise InvalidParameter(f"invalid host {host!r}: use unix:// or tcp://")
            await site.start()
            log.info("API listening on %s", host)
        await stop.wait()
    finally:
        await runner.cleanup()
        for path in unix_paths:
            with contextlib.suppress(FileNotFoundError):
                Path(path).unlink()


def main(argv: list[str] | None = None) -> int:
    try:
        config = load_config(sys.argv[1:] if argv is None else argv)
    except DockyardError as err:
        print(f"dockyardd: {err}", file=sys.stderr)
        return 1
    level = (
        logging.DEBUG
        if config.debug
        else getattr(
            logging,
            config.log_level.upper().replace("WARN", "WARNING").replace("FATAL", "CRITICAL"),
        )
    )
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        pid_fd = _lock_pidfile(config.pidfile)
    except DockyardError as err:
        print(f"dockyardd: {err}", file=sys.stderr)
        return 1
    engine = build(config)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(engine, stop)

    try:
        asyncio.run(run())
    except DockyardError as err:
        log.error("%s", err)
        return 1
    finally:
        engine.close()
        with contextlib.suppress(FileNotFoundError):
            Path(config.pidfile).unlink()
        os.close(pid_fd)
    log.info("dockyardd stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
