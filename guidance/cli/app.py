"""The `guide` typer app; each command module in this package adds its command to it."""

from __future__ import annotations

import typer

app = typer.Typer(
    add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
    help="Push images along a classifier's gradient toward a digit; see the flip and the real 8.",
)


@app.callback()
def _quiet_library_warnings() -> None:
    """Deprecation chatter from torch/fastai internals is not the user's business."""
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def main() -> None:  # pragma: no cover - entry point for `python -m guidance`
    app(prog_name="guide")
