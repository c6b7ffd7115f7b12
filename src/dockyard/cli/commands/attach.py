"""``dockyard attach``: attach the terminal to a running container's main process."""

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
        "[OPTIONS] CONTAINER",
        "Attach local standard input, output, and error streams to a running container",
        [
            Flag("detach-keys", "", "str", "Override the key sequence for detaching a container"),
            Flag("no-stdin", help="Do not attach STDIN"),
            Flag(
                "sig-proxy",
                help="Proxy all received signals to the process (default true)",
                default=True,
            ),
        ],
        min_args=1,
        max_args=1,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli import session
    from dockyard.cli.containers import inspect_container
    from dockyard.cli.context import CommandError

    name = args[0]
    info = inspect_container(ctx, name)
    state = info.get("State") or {}
    if not state.get("Running"):
        raise CommandError("You cannot attach to a stopped container, start it first")
    if state.get("Paused"):
        raise CommandError("You cannot attach to a paused container, unpause it first")
    if state.get("Restarting"):
        raise CommandError("You cannot attach to a restarting container, wait until it is running")
    config = info.get("Config") or {}
    tty = bool(config.get("Tty"))
    stdin = bool(config.get("OpenStdin")) and not opts["no_stdin"]
    if stdin and tty and not ctx.stdin.isatty():
        raise CommandError("the input device is not a TTY")
    try:
        keys = session.detach_key_bytes(opts["detach_keys"])
    except ValueError as err:
        raise CommandError(str(err)) from None
    waiter = session.open_wait(ctx, name, "not-running")
    stream = session.open_attach(
        ctx, name, stdin=stdin, stdout=True, stderr=True, detach_keys=opts["detach_keys"]
    )
    with (
        session.forward_signals(ctx, name, opts["sig_proxy"] and not tty),
        session.monitor_size(ctx, f"/containers/{name}/resize", tty),
    ):
        outcome = session.stream_session(ctx, stream, tty=tty, stdin=stdin, detach_keys=keys)
    if outcome == "detached":
        waiter.close()
        return 0
    return session.wait_status(ctx, waiter)
