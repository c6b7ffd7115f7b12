"""``--format`` for lists: Docker's formatter.Context (table prefix, headers, escapes).

A format starting with ``table`` prints a header row (the template executed against the
header names, with formatting functions made no-ops) and aligns columns with the
tabwriter; any other format prints the template once per row. ``json`` means ``{{json .}}``.
Template failures raise :class:`~dockyard.cli.output.gotemplate.TemplateError` with
Docker's ``template parsing error:`` prefix.
"""

from __future__ import annotations

from dockyard.cli.output.gotemplate import HEADER_FUNCS, Template, TemplateError
from dockyard.cli.output.tabwriter import align

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

__all__ = ["is_table", "render", "template_string"]


def is_table(fmt: str) -> bool:
    return fmt.startswith("table")


def template_string(fmt: str) -> str:
    """Docker's Format.templateString: drop ``table``, trim spaces, expand ``\\t``/``\\n``."""
    if fmt == "json":
        return "{{json .}}"
    if fmt.startswith("table"):
        fmt = fmt[len("table") :]
    return fmt.strip(" ").replace("\\t", "\t").replace("\\n", "\n")


def compile_format(fmt: str, name: str = "") -> Template:
    try:
        return Template(template_string(fmt), name)
    except TemplateError as err:
        raise TemplateError(f"template parsing error: {err}") from None


def render(fmt: str, rows: Iterable[Any], headers: dict[str, str]) -> str:
    """The whole output for ``rows`` (each ends with a newline)."""
    tmpl = compile_format(fmt)
    parts = []
    for row in rows:
        try:
            parts.append(tmpl.execute(row) + "\n")
        except TemplateError as err:
            raise TemplateError(f"template parsing error: {err}") from None
    body = "".join(parts)
    if not is_table(fmt):
        return body
    header = tmpl.execute(headers, HEADER_FUNCS)
    text = align(header + "\n" + body)
    return text
