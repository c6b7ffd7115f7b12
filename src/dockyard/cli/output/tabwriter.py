"""Go's ``text/tabwriter`` (elastic tabstops), as the docker CLI configures it.

Cells are tab-terminated; the text after a line's last tab is not a cell and is never
padded. A column's width is the widest cell of the run of consecutive lines that have that
column, plus ``padding``, and at least ``minwidth`` (docker tables: 10, padding 3).
"""

from __future__ import annotations

__all__ = ["align"]


def align(text: str, minwidth: int = 10, padding: int = 3) -> str:
    lines = [line.split("\t") for line in text.split("\n")]
    widths: list[list[int]] = [[0] * (len(cells) - 1) for cells in lines]
    _format(lines, widths, 0, 0, len(lines), minwidth, padding)
    out = []
    for cells, cell_widths in zip(lines, widths, strict=True):
        parts = [cell.ljust(width) for cell, width in zip(cells, cell_widths, strict=False)]
        parts.append(cells[-1])
        out.append("".join(parts))
    return "\n".join(out)


def _format(
    lines: list[list[str]],
    widths: list[list[int]],
    column: int,
    line0: int,
    line1: int,
    minwidth: int,
    padding: int,
) -> None:
    """Mirror of tabwriter.format: find each block of lines having ``column`` and size it."""
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        start = this
        width = minwidth
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + padding)
            this += 1
        for i in range(start, this):
            widths[i][column] = width
        _format(lines, widths, column + 1, start, this, minwidth, padding)
