"""``dockyard exec``: run a command in a running container; exit with its exit code."""

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
        "[OPTIONS] CONTAINER COMMAND [ARG...]",
        "Execute a command in a running container",
        [
            Flag("detach", "d", help="Detached mode: run command in the background"),
            Flag("detach-keys", "", "str", "Override the key sequence for detaching a container"),
            Flag("env", "e", "list", "Set environment variables"),
            Flag("env-file", "", "list", "Read in a file of environment variables"),
            Flag("interactive", "i", help="Keep STDIN open even if not attached"),
            Flag("privileged", help="Give extended privileges to the command"),
            Flag("tty", "t", help="Allocate a pseudo-TTY"),
            Flag("user", "u", "str", 'Username or UID (format: "<name|uid>[:<group|gid>]")'),
            Flag("workdir", "w", "str", "Working directory inside the container"),
        ],
        min_args=2,
        interspersed=False,
    )


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli import session
    from dockyard.cli.context import CommandError
    from dockyard.cli.runopts import OptionsError, read_kv_file, validate_env

    cmd = command("exec")
    env: list[str] = []
    try:
        for path in opts["env_file"]:
            env += read_kv_file(path, ctx.environ)
    except OptionsError as err:
        raise CommandError(str(err)) from None
    for item in opts["env"]:
        try:
            env.append(validate_env(item, ctx.environ))
        except ValueError as err:
            raise cmd.fail(f'invalid argument "{item}" for "-e, --env" flag: {err}') from None
    try:
        keys = session.detach_key_bytes(opts["detach_keys"])
    except ValueError as err:
        raise CommandError(str(err)) from None
    container, command_line = args[0], args[1:]
    detach, tty = opts["detach"], opts["tty"]
    client = ctx.client()
    client.json("GET", f"/containers/{container}/json")
    body = {
        "User": opts["user"],
        "Privileged": opts["privileged"],
        "Tty": tty,
        "AttachStdin": opts["interactive"] and not detach,
        "AttachStdout": not detach,
        "AttachStderr": not detach,
        "Detach": detach,
        "DetachKeys": opts["detach_keys"],
        "Env": env or None,
        "WorkingDir": opts["workdir"],
        "Cmd": command_line,
    }
    exec_id = str(client.json("POST", f"/containers/{container}/exec", body=body)["Id"])
    if detach:
        client.json("POST", f"/exec/{exec_id}/start", body={"Detach": True, "Tty": tty})
        return 0
    stdin = bool(body["AttachStdin"])
    if stdin and tty and not ctx.stdin.isatty():
        raise CommandError("the input device is not a TTY")
    stream = client.fork().hijack(
        "POST", f"/exec/{exec_id}/start", body={"Detach": False, "Tty": tty}
    )
    with session.monitor_size(ctx, f"/exec/{exec_id}/resize", tty):
        outcome = session.stream_session(ctx, stream, tty=tty, stdin=stdin, detach_keys=keys)
    if outcome == "detached":
        return 0
    info = client.json("GET", f"/exec/{exec_id}/json") or {}
    return int(info.get("ExitCode") or 0)
