"""Command-line flags the way the docker CLI (cobra/pflag) parses them.

``-aq`` bundles booleans, ``-f x``/``-fx``/``--filter=x`` give values, list flags repeat,
``--`` ends flags, and flags may follow positional arguments. Errors carry Docker's text
and exit codes: an unknown flag is 125, a wrong number of arguments is 1.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Command", "Flag", "UsageError", "parse"]


class UsageError(Exception):
    """Bad command line; ``str()`` is the whole text to print."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Flag:
    """``kind``: ``bool``, ``str``, ``int`` or ``list`` (repeatable string).

    ``optional=True`` keeps the default ``None`` so that a verb can tell "not given" from
    the zero value (cobra's ``flags.Changed``); ``aliases`` are hidden extra long names
    (``--net`` for ``--network``).
    """

    __slots__ = ("aliases", "default", "help", "kind", "long", "metavar", "short")

    def __init__(
        self,
        long: str,
        short: str = "",
        kind: str = "bool",
        help: str = "",
        default: Any = None,
        metavar: str = "",
        optional: bool = False,
        aliases: tuple[str, ...] = (),
    ) -> None:
        self.long = long
        self.aliases = aliases
        self.short = short
        self.kind = kind
        self.help = help
        self.metavar = metavar or {"str": "string", "int": "int", "list": "list"}.get(kind, "")
        if default is None and not optional:
            default = {"bool": False, "str": "", "int": 0, "list": []}[kind]
        self.default = default

    @property
    def dest(self) -> str:
        return self.long.replace("-", "_")


class Command:
    """What a verb accepts; ``path`` is how usage names it (``image ls``)."""

    __slots__ = ("args", "description", "flags", "interspersed", "max_args", "min_args", "path")

    def __init__(
        self,
        path: str,
        args: str,
        description: str,
        flags: list[Flag],
        min_args: int = 0,
        max_args: int | None = None,
        interspersed: bool = True,
    ) -> None:
        """``interspersed=False``: flags end at the first positional (``run IMAGE CMD -x``)."""
        self.path = path
        self.interspersed = interspersed
        self.args = args
        self.description = description
        self.flags = flags
        self.min_args = min_args
        self.max_args = max_args

    def usage(self) -> str:
        return f"Usage:  dockyard {self.path} {self.args}".rstrip()

    def help(self) -> str:
        lines = ["", self.usage(), "", self.description, ""]
        if self.flags:
            lines.append("Options:")
            rows = []
            for flag in self.flags:
                name = f"-{flag.short}, --{flag.long}" if flag.short else f"    --{flag.long}"
                if flag.metavar:
                    name += f" {flag.metavar}"
                rows.append((name, flag.help))
            width = max(len(name) for name, _ in rows)
            lines.extend(f"  {name.ljust(width)}   {text}".rstrip() for name, text in rows)
        return "\n".join(lines) + "\n"

    def fail(self, message: str) -> UsageError:
        return UsageError(
            f"{message}\n\n{self.usage()}\n\n"
            f"Run 'dockyard {self.path} --help' for more information",
            125,
        )


class HelpRequested(Exception):
    pass


def parse(cmd: Command, argv: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Options by ``dest`` (defaults filled in) and the positional arguments."""
    by_long = {flag.long: flag for flag in cmd.flags}
    by_long.update({alias: flag for flag in cmd.flags for alias in flag.aliases})
    by_short = {flag.short: flag for flag in cmd.flags if flag.short}
    opts: dict[str, Any] = {
        f.dest: list(f.default) if f.kind == "list" and f.default is not None else f.default
        for f in cmd.flags
    }
    positional: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            positional.extend(argv[i:])
            break
        if (arg == "--help" and "help" not in by_long) or (arg == "-h" and "h" not in by_short):
            raise HelpRequested
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            flag = by_long.get(name)
            if flag is None:
                raise cmd.fail(f"unknown flag: --{name}")
            if flag.kind == "bool":
                opts[flag.dest] = _bool(cmd, flag, value) if eq else True
                continue
            if not eq:
                if i >= len(argv):
                    raise cmd.fail(f"flag needs an argument: --{name}")
                value = argv[i]
                i += 1
            _store(cmd, opts, flag, value, f"--{name}")
        elif arg.startswith("-") and arg != "-":
            j = 1
            while j < len(arg):
                short = arg[j]
                flag = by_short.get(short)
                if flag is None:
                    raise cmd.fail(f"unknown shorthand flag: '{short}' in {arg}")
                j += 1
                if flag.kind == "bool":
                    if j < len(arg) and arg[j] == "=":
                        opts[flag.dest] = _bool(cmd, flag, arg[j + 1 :])
                        break
                    opts[flag.dest] = True
                    continue
                value = arg[j:].removeprefix("=")
                if not value:
                    if i >= len(argv):
                        raise cmd.fail(f"flag needs an argument: '{short}' in -{short}")
                    value = argv[i]
                    i += 1
                _store(cmd, opts, flag, value, f"-{short}")
                break
        else:
            positional.append(arg)
            if not cmd.interspersed:
                positional.extend(argv[i:])
                break
    _check_count(cmd, positional)
    return opts, positional


def _bool(cmd: Command, flag: Flag, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "t", "true"):
        return True
    if lowered in ("0", "f", "false"):
        return False
    raise cmd.fail(
        f'invalid argument "{value}" for "--{flag.long}" flag: strconv.ParseBool: '
        f'parsing "{value}": invalid syntax'
    )


def _store(cmd: Command, opts: dict[str, Any], flag: Flag, value: str, shown: str) -> None:
    if flag.kind == "list":
        if opts[flag.dest] is None:
            opts[flag.dest] = []
        opts[flag.dest].append(value)
    elif flag.kind == "int":
        try:
            opts[flag.dest] = int(value)
        except ValueError:
            raise cmd.fail(
                f'invalid argument "{value}" for "{shown}" flag: strconv.ParseInt: '
                f'parsing "{value}": invalid syntax'
            ) from None
    else:
        opts[flag.dest] = value


def _check_count(cmd: Command, positional: list[str]) -> None:
    n, lo, hi = len(positional), cmd.min_args, cmd.max_args
    message = ""
    if hi == 0 and n:
        message = f"'dockyard {cmd.path}' accepts no arguments"
    elif lo == hi and n != lo:
        message = f"'dockyard {cmd.path}' requires {lo} argument{'s' if lo != 1 else ''}"
    elif n < lo:
        message = f"'dockyard {cmd.path}' requires at least {lo} argument{'s' if lo != 1 else ''}"
    elif hi is not None and n > hi:
        message = f"'dockyard {cmd.path}' requires at most {hi} argument{'s' if hi != 1 else ''}"
    if message:
        raise UsageError(
            f"dockyard: {message}\n\n{cmd.usage()}\n\n"
            f"Run 'dockyard {cmd.path} --help' for more information",
            1,
        )
