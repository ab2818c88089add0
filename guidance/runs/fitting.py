"""Tables that fit the terminal: whole cells, one line a row, columns left out by priority.

`guide list`, `guide compare` and `guide sweep` print rows of runs. Rather than squeeze every
column until each cell reads "adh…", a table here keeps each cell whole on one line and leaves
out the least important columns until the rest fit the width; the caller says which were left
out and where to find them (``--wide``, ``--json``, compare.csv). One column may be *flexible*
(a folder path): it takes the width left over and is shortened from the left, never elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

ELLIPSIS = "…"
GAP = 2  # between two columns: one space of padding, one of the (blank) rule
FLEXIBLE_WANTED = 24  # a folder is worth this much room before the columns after it in the drop order


@dataclass
class FittedTable:
    table: Table
    shown: list[str]  # the columns printed, in order
    left_out: list[str]  # the columns that did not fit (or said nothing: every cell '-'), in column order


def shorten_left(text: str, width: int) -> str:
    """`text` in at most `width` characters, its start replaced by '…' (a path keeps its last parts)."""
    return text if len(text) <= width else ELLIPSIS + text[len(text) - width + 1:]


def fit_table(
    rows: list[dict[str, Any]], columns: list[str], width: int, *, headers: dict[str, str],
    cell: Callable[[dict[str, Any], str], str | Text], right: Callable[[str], bool],
    drop_order: list[str] = (), flexible: str | None = None, title: str = "",
) -> FittedTable:
    """The widest table of `rows` that fits `width` columns.

    Columns in `drop_order` whose every cell is '-' go first; then the others in `drop_order`, first to
    last, until the table fits. The rest always stay: where they alone are wider than the terminal,
    their cells wrap onto a second line rather than lose letters.
    `flexible` (in `drop_order` too) counts as FLEXIBLE_WANTED wide at most while columns are chosen,
    then takes the width that remains, shortened from the left.
    """
    cells = {column: [cell(row, column) for row in rows] for column in columns}
    full = cells.get(flexible, [])
    if flexible in cells:  # while choosing columns, the flexible one counts as FLEXIBLE_WANTED wide at most
        cells[flexible] = [shorten_left(str(c), FLEXIBLE_WANTED) for c in full]
    empty = [column for column in drop_order if column in cells and all(str(c) == "-" for c in cells[column])]
    keep = [column for column in columns if column not in empty]
    dropping = [column for column in drop_order if column in keep]
    while natural_width(_table(rows, keep, cells, headers, right, title)) > width and dropping:
        keep.remove(dropping.pop(0))
    if flexible in keep:
        others = natural_width(_table(rows, [c for c in keep if c != flexible], cells, headers, right, title))
        widest = max([len(headers.get(flexible, flexible)), *(len(str(c)) for c in full)])
        room = max(width - others - GAP, 2)  # never below "…x", even when nothing else could go
        cells[flexible] = [shorten_left(str(c), min(room, widest)) for c in full]
    table = _table(rows, keep, cells, headers, right, title)
    return FittedTable(table, keep, [column for column in columns if column not in keep])


def _table(rows, columns, cells, headers, right, title) -> Table:
    from rich import box

    table = Table(title=title or None, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False, padding=(0, 1, 0, 0))
    for column in columns:
        # wrapping is allowed: a table that fits never wraps, one that cannot fit wraps rather than crops
        table.add_column(headers.get(column, column), justify="right" if right(column) else "left", overflow="fold")
    for i in range(len(rows)):
        table.add_row(*(cells[column][i] for column in columns))
    return table


def natural_width(table: Table) -> int:
    """The columns `table` needs to print each row on one line, however wide the terminal."""
    return Console(width=10_000).measure(table).maximum
