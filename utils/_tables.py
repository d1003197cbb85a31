"""The fixed-width plain-text tables that ``utils`` prints (receptive fields, costs)."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    left: int,
    footer: Sequence[str] | None = None,
) -> str:
    """``rows`` under ``header`` in columns as wide as their widest cell, in ASCII.

    The first ``left`` columns are aligned left (names), the others right
    (numbers). A rule of dashes follows the header and, if there is one,
    precedes the ``footer`` row (a total, say). Characters outside ASCII become
    ``?``, so the table looks the same in every notebook viewer.
    """
    lines_of_cells = [header, *rows, *([footer] if footer is not None else [])]
    widths = [
        max(len(cells[k]) for cells in lines_of_cells) for k in range(len(header))
    ]

    def line(cells: Sequence[str]) -> str:
        aligned = [
            f"{c:<{w}}" if k < left else f"{c:>{w}}"
            for k, (c, w) in enumerate(zip(cells, widths))
        ]
        return "  ".join(aligned).rstrip()

    rule = "-" * len(line(header))
    lines = [line(header), rule, *(line(cells) for cells in rows)]
    if footer is not None:
        lines += [rule, line(footer)]
    return "\n".join(lines).encode("ascii", "replace").decode("ascii")
