"""``dockyard``: global flags, then exactly one verb module is imported and run.

Start-up time is a feature (``dockyard version`` is benchmarked against ``docker version``):
this module imports nothing beyond :mod:`sys`/:mod:`os`; verbs live in
``dockyard.cli.commands.<module>`` and expose ``COMMAND`` (a :class:`~dockyard.cli.flags.
Command`) and ``run(ctx, opts, args) -> int``.

Exit codes: 0 ok; 125 for daemon errors (``Error response from daemon: ...``), an
unreachable daemon and bad flags; 1 for client-side failures (templates, argument counts,
refusing to write to a terminal), like the docker CLI.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO, TextIO

    from dockyard.client.types import Transport

__all__ = ["main", "run"]

VERBS = {
    "version": "version",
    "info": "info",
    "images": "images",
    "inspect": "inspect",
    "history": "history",
    "tag": "tag",
    "rmi": "rmi",
    "save": "save",
    "load": "load",
    "import": "import_",
    "events": "events",
    "create": "create",
    "run": "run",
    "start": "start",
    "stop": "stop",
    "restart": "restart",
    "kill": "kill",
    "pause": "pause",
    "unpause": "unpause",
    "wait": "wait",
    "rm": "rm",
    "ps": "ps",
    "logs": "logs",
    "exec": "exec",
    "attach": "attach",
    "top": "top",
    "stats": "stats",
    "cp": "cp",
    "export": "export",
    "diff": "diff",
    "commit": "commit",
    "rename": "rename",
    "update": "update",
    "port": "port",
}

_CONTAINER_VERBS = (
    "create run start stop restart kill pause unpause wait logs exec attach top stats cp "
    "export diff commit rename update port"
)

GROUPS = {
    "image": {
        "ls": "images",
        "list": "images",
        "inspect": "image_inspect",
        "history": "history",
        "tag": "tag",
        "rm": "rmi",
        "remove": "rmi",
        "save": "save",
        "load": "load",
        "import": "import_",
        "prune": "image_prune",
    },
    "system": {"df": "df", "info": "info", "events": "events"},
    "container": {
        **{verb: verb for verb in _CONTAINER_VERBS.split()},
        "ls": "ps",
        "list": "ps",
        "ps": "ps",
        "rm": "rm",
        "remove": "rm",
        "inspect": "container_inspect",
        "prune": "container_prune",
    },
}

HELP = """
Usage:  dockyard [OPTIONS] COMMAND

A container engine that speaks the Docker Engine API

Common Commands:
  run         Create and run a new container from an image
  exec        Execute a command in a running container
  ps          List containers
  images      List images

Commands:
  attach      Attach local standard input, output, and error streams to a running container
  commit      Create a new image from a container's changes
  cp          Copy files/folders between a container and the local filesystem
  create      Create a new container
  diff        Inspect changes to files or directories on a container's filesystem
  events      Get real time events from the server
  export      Export a container's filesystem as a tar archive
  history     Show the history of an image
  images      List images
  import      Import the contents from a tarball to create a filesystem image
  info        Display system-wide information
  inspect     Return low-level information on Docker objects
  kill        Kill one or more running containers
  load        Load an image from a tar archive or STDIN
  logs        Fetch the logs of a container
  pause       Pause all processes within one or more containers
  port        List port mappings or a specific mapping for the container
  rename      Rename a container
  restart     Restart one or more containers
  rm          Remove one or more containers
  rmi         Remove one or more images
  save        Save one or more images to a tar archive (streamed to STDOUT by default)
  start       Start one or more stopped containers
  stats       Display a live stream of container(s) resource usage statistics
  stop        Stop one or more running containers
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
  top         Display the running processes of a container
  unpause     Unpause all processes within one or more containers
  update      Update configuration of one or more containers
  version     Show the Dockyard version information
  wait        Block until one or more containers stop, then print their exit codes

Management Commands:
  container   Manage containers
  image       Manage images
  system      Manage Dockyard

Global Options:
  -H, --host string   Daemon socket to connect to (default unix:///run/dockyard.sock)
  -v, --version       Print version information and quit
"""

_GLOBAL_VALUE_FLAGS = ("-H", "--host", "-l", "--log-level", "-c", "--context", "--config")


def _split_globals(argv: list[str]) -> tuple[str | None, list[str], str]:
    """(host flag, rest starting at the verb, early action: "help"/"version"/"")."""
    host = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg == "-":
            return host, argv[i:], ""
        name, eq, value = arg.partition("=")
        if name in _GLOBAL_VALUE_FLAGS:
            if not eq:
                i += 1
                value = argv[i] if i < len(argv) else ""
            if name in ("-H", "--host"):
                host = value
        elif arg in ("-h", "--help"):
            return host, [], "help"
        elif arg in ("-v", "--version"):
            return host, [], "version"
        elif not arg.startswith("-H") or len(arg) <= 2:
            if arg not in ("-D", "--debug", "--tls", "--tlsverify"):
                raise _Fail(
                    f"unknown flag: {name}\n\nRun 'dockyard --help' for more information", 125
                )
        else:
            host = arg[2:]
        i += 1
    return host, [], "help"


class _Fail(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def run(
    argv: list[str],
    *,
    stdout: TextIO,
    stderr: TextIO,
    stdin: BinaryIO,
    environ: dict[str, str],
    transport: Transport | None = None,
    now: float | None = None,
) -> int:
    """Run one command line and return its exit code (the in-process entry for tests)."""
    try:
        host_flag, rest, early = _split_globals(argv)
    except _Fail as err:
        stderr.write(f"{err}\n")
        return err.code
    if early == "help":
        stdout.write(HELP)
        return 0
    if early == "version":
        from dockyard import __version__

        stdout.write(f"Dockyard version {__version__}\n")
        return 0
    verb, args = rest[0], rest[1:]
    path = verb
    module = VERBS.get(verb)
    if module is None and verb in GROUPS:
        table = GROUPS[verb]
        if not args or args[0] in ("-h", "--help"):
            stdout.write(f"\nUsage:  dockyard {verb} COMMAND\n\nCommands:\n")
            stdout.write("".join(f"  {name}\n" for name in table))
            return 0
        module = table.get(args[0])
        if module is None:
            stderr.write(
                f"dockyard: unknown command: dockyard {verb} {args[0]}\n\n"
                f"Run 'dockyard {verb} --help' for more information\n"
            )
            return 1
        path = f"{verb} {args[0]}"
        args = args[1:]
    if module is None:
        stderr.write(
            f"dockyard: unknown command: dockyard {verb}\n\n"
            "Run 'dockyard --help' for more information\n"
        )
        return 1
    host = host_flag or environ.get("DOCKYARD_HOST") or environ.get("DOCKER_HOST")
    return _dispatch(module, path, args, host, stdout, stderr, stdin, environ, transport, now)


def _dispatch(
    module: str,
    path: str,
    args: list[str],
    host: str | None,
    stdout: TextIO,
    stderr: TextIO,
    stdin: BinaryIO,
    environ: dict[str, str],
    transport: Transport | None,
    now: float | None,
) -> int:
    __import__(f"dockyard.cli.commands.{module}")
    verb = sys.modules[f"dockyard.cli.commands.{module}"]
    from dockyard.cli.context import CommandError, Context
    from dockyard.cli.flags import HelpRequested, UsageError, parse
    from dockyard.client.errors import ClientError, DaemonUnreachable
    from dockyard.client.hosts import DEFAULT_HOST

    command = verb.command(path)
    ctx = Context(host or DEFAULT_HOST, stdout, stderr, stdin, environ, transport, now)
    try:
        opts, positional = parse(command, args)
        code: int = verb.run(ctx, opts, positional)
        return code
    except HelpRequested:
        stdout.write(command.help())
        return 0
    except UsageError as err:
        stderr.write(f"{err}\n")
        return err.exit_code
    except DaemonUnreachable as err:
        stderr.write(f"{err.message}\n")
        return 125
    except ClientError as err:
        stderr.write(f"Error response from daemon: {err.message}\n")
        return 125
    except CommandError as err:
        stderr.write(f"{err}\n")
        return err.exit_code
    except ValueError as err:  # e.g. an unparsable DOCKER_HOST
        stderr.write(f"{err}\n")
        return 125
    finally:
        if ctx._client is not None:
            ctx._client.close()


def main(argv: list[str] | None = None) -> int:
    environ = dict(os.environ)
    try:
        code = run(
            sys.argv[1:] if argv is None else argv,
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin=sys.stdin.buffer,
            environ=environ,
        )
        sys.stdout.flush()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
