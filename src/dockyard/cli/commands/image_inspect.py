"""``dockyard image inspect``: the daemon's JSON, as an array indented like docker's."""

from __future__ import annotations

from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "inspect_objects", "print_inspected", "run"]

INSPECT_FORMAT_HELP = (
    "Format output using a custom template:\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template."
)


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS] IMAGE [IMAGE...]",
        "Display detailed information on one or more images",
        [Flag("format", "f", "str", INSPECT_FORMAT_HELP)],
        min_args=1,
    )


def inspect_objects(ctx: Context, fmt: str, names: list[str], path: str) -> int:
    """Fetch each ``path.format(name)``; print what was found, then the errors (exit 1)."""
    from dockyard.client.errors import ClientError

    found: list[Any] = []
    errors: list[str] = []
    client = ctx.client()
    for name in names:
        try:
            found.append(client.json("GET", path.format(name=name)))
        except ClientError as err:
            if err.status == 0:
                raise
            errors.append(f"Error response from daemon: {err.message}")
    return print_inspected(ctx, fmt, found, errors)


def print_inspected(ctx: Context, fmt: str, found: list[Any], errors: list[str]) -> int:
    """The found objects (JSON array or one template line each), then the errors; exit 1
    when any name failed, as docker's inspect does."""
    if fmt and fmt != "json":
        from dockyard.cli.output.formatter import compile_format
        from dockyard.cli.output.gotemplate import TemplateError

        template = compile_format(fmt)
        for doc in found:
            try:
                ctx.write(template.execute(doc) + "\n")
            except TemplateError as err:
                raise TemplateError(f"template parsing error: {err}") from None
    else:
        import json

        ctx.write(json.dumps(found, indent=4, ensure_ascii=False) + "\n")
    if errors:
        ctx.stderr.write("".join(f"{e}\n" for e in errors))
        return 1
    return 0


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    return inspect_objects(ctx, opts["format"], args, "/images/{name}/json")
