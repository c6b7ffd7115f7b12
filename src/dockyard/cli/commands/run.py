"""``dockyard run``: create, attach, wait (next-exit, or removed for --rm), start, resize.

Exits with the container's exit code; 125 for daemon errors, 126/127 when the command
cannot run / is not found; 0 after a detach (ctrl-p ctrl-q) or with ``-d``.
"""

from __future__ import annotations

from dockyard.cli.flags import Command
from dockyard.cli.runflags import run_flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run"]


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS] IMAGE [COMMAND] [ARG...]",
        "Create and run a new container from an image",
        run_flags(),
        min_args=1,
        interspersed=False,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli import session
    from dockyard.cli.commands.create import build_spec
    from dockyard.cli.containers import create_container, daemon_failure, with_help
    from dockyard.cli.context import CommandError
    from dockyard.client.errors import ClientError

    spec = build_spec(ctx, command("run"), opts, args)
    config = spec.body
    if opts["detach"]:
        if opts["attach"]:
            message = "conflicting options: cannot specify both --attach and --detach"
            raise CommandError(with_help(message, "run"), 125)
        config.update(AttachStdin=False, AttachStdout=False, AttachStderr=False, StdinOnce=False)
    elif config["AttachStdin"] and config["Tty"] and not ctx.stdin.isatty():
        raise CommandError(with_help("the input device is not a TTY", "run"), 1)
    try:
        keys = session.detach_key_bytes(opts["detach_keys"])
    except ValueError as err:
        raise CommandError(with_help(str(err), "run"), 125) from None

    cid = create_container(ctx, spec, "run")
    client = ctx.client()
    tty = bool(config["Tty"])
    attach = config["AttachStdin"] or config["AttachStdout"] or config["AttachStderr"]
    stream = None
    if attach:
        stream = session.open_attach(
            ctx,
            cid,
            stdin=config["AttachStdin"],
            stdout=config["AttachStdout"],
            stderr=config["AttachStderr"],
            detach_keys=opts["detach_keys"],
        )
    auto_remove = bool(spec.host_config.get("AutoRemove"))
    waiter = session.open_wait(ctx, cid, "removed" if auto_remove else "next-exit")
    with session.forward_signals(ctx, cid, opts["sig_proxy"] and not tty):
        try:
            client.request("POST", f"/containers/{cid}/start").read()
        except ClientError as err:
            if stream is not None:
                stream.close()
            if err.status == 0:
                raise
            if auto_remove:
                waiter.read()
            raise daemon_failure(err, "run") from None
        if stream is None:
            ctx.write(cid + "\n")
            waiter.close()
            return 0
        with session.monitor_size(ctx, f"/containers/{cid}/resize", tty):
            outcome = session.stream_session(
                ctx, stream, tty=tty, stdin=bool(config["AttachStdin"]), detach_keys=keys
            )
        if outcome == "detached":
            waiter.close()
            return 0
        return session.wait_status(ctx, waiter)
