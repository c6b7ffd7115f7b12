"""``dockyard start``: start stopped containers; with ``-a`` attach and exit like ``run``."""

from __future__ import annotations

from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run"]


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Start one or more stopped containers",
        [
            Flag("attach", "a", help="Attach STDOUT/STDERR and forward signals"),
            Flag("detach-keys", "", "str", "Override the key sequence for detaching a container"),
            Flag("interactive", "i", help="Attach container's STDIN"),
        ],
        min_args=1,
    )


def _start_attached(ctx: Context, opts: dict[str, Any], name: str) -> int:
    from dockyard.cli import session
    from dockyard.cli.containers import inspect_container
    from dockyard.cli.context import CommandError

    info = inspect_container(ctx, name)
    config = info.get("Config") or {}
    host = info.get("HostConfig") or {}
    tty = bool(config.get("Tty"))
    stdin = bool(opts["interactive"] and config.get("OpenStdin"))
    if stdin and tty and not ctx.stdin.isatty():
        raise CommandError("the input device is not a TTY")
    try:
        keys = session.detach_key_bytes(opts["detach_keys"])
    except ValueError as err:
        raise CommandError(str(err)) from None
    stream = session.open_attach(
        ctx, name, stdin=stdin, stdout=True, stderr=True, detach_keys=opts["detach_keys"]
    )
    waiter = session.open_wait(ctx, name, "removed" if host.get("AutoRemove") else "next-exit")
    with session.forward_signals(ctx, name, not tty):
        try:
            ctx.client().request("POST", f"/containers/{name}/start").read()
        except BaseException:
            stream.close()
            raise
        with session.monitor_size(ctx, f"/containers/{name}/resize", tty):
            outcome = session.stream_session(ctx, stream, tty=tty, stdin=stdin, detach_keys=keys)
    if outcome == "detached":
        waiter.close()
        return 0
    return session.wait_status(ctx, waiter)


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.context import CommandError
    from dockyard.client.errors import ClientError

    if opts["attach"] or opts["interactive"]:
        if len(args) > 1:
            raise CommandError("you cannot start and attach multiple containers at once")
        return _start_attached(ctx, opts, args[0])
    client = ctx.client()
    failed: list[str] = []
    for name in args:
        try:
            client.request("POST", f"/containers/{name}/start").read()
        except ClientError as err:
            if err.status == 0:
                raise
            ctx.stderr.write(f"Error response from daemon: {err.message}\n")
            failed.append(name)
            continue
        ctx.write(f"{name}\n")
    if failed:
        raise CommandError(f"Error: failed to start containers: {', '.join(failed)}")
    return 0
