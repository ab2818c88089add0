"""One rich progress bar for everything that takes a while (training, guidance, sweeps).

It lives at the base of the package so every room can draw progress the same way.
"""

from __future__ import annotations


def progress_bar(label: str, detail: str, console=None):
    """A rich progress bar: label, bar, done/total, a detail column, elapsed time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn(detail), TimeElapsedColumn(),
        console=console,
    )
