"""The terminal views of docs/commands.md, captured from a real terminal at 80 and 120 columns.

    python bench/figures_terminal.py [--out results/terminal] [--quick]

Each view (`guide list`, `guide show`, `guide compare`, `guide judge`) runs in a tmux pane of
the given width, on copies of the committed showcase runs (results/showcase/runs); the pane is
captured with its colours (`tmux capture-pane -e`) and saved as SVG by rich (VIEW-WIDTH.svg).
It prints a table of each capture's widest line, so a view that overflows its pane shows.
Needs tmux. --quick: the `guide list` view at 80 columns only, into a temporary folder.
The pictures show the views' defaults: `guide list` without `--wide`, `guide show` with its frames
fitted to the width and `--images 1`, `guide judge` with its first 32 rows.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

REPO = Path(__file__).resolve().parents[1]
SHOWCASE = REPO / "results" / "showcase" / "runs"
GUIDE = [sys.executable, "-m", "guidance"]
TMUX = ["tmux", "-L", "guide-figures", "-f", "/dev/null"]  # a server of its own: this environment, no user config


def views(root: Path) -> dict[str, list[str]]:
    """The command of each view, on the run folders copied into `root`."""
    return {
        "list": ["list", "--root", str(root)],
        "show": ["show", str(root / "generate-noise"), "--images", "1"],
        "compare": ["compare", str(root / "generate-from-2"), str(root / "noise-l1"), str(root / "diffuse-free"),
                    "--out", str(root / "comparison")],
        "judge": ["judge", str(root / "generate-from-2")],
    }


def capture(command: list[str], width: int, cwd: Path) -> str:
    """`command`'s output, run in `cwd`, as a terminal `width` columns wide shows it, colours kept (ANSI)."""
    session = f"guide-figure-{width}-{time.monotonic_ns()}"
    done = Path(tempfile.mkstemp(suffix=".done")[1])
    done.unlink()
    shell = " ".join(map(_quote, command)) + f"; touch {done}; sleep 600"
    subprocess.run([*TMUX, "new-session", "-d", "-s", session, "-x", str(width), "-y", "300", "-c", str(cwd),
                    shell], check=True)
    try:
        deadline = time.monotonic() + 300
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        screen = subprocess.run([*TMUX, "capture-pane", "-p", "-e", "-J", "-t", session, "-S", "-"],
                                capture_output=True, text=True, check=True).stdout
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True)
        done.unlink(missing_ok=True)
    return screen.rstrip() + "\n"


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "results" / "terminal")
    parser.add_argument("--quick", action="store_true", help="`guide list` at 80 columns, into a temporary folder")
    args = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        sys.exit("error: tmux is not installed (apt-get install tmux)")
    widths = (80,) if args.quick else (80, 120)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        root = Path("runs")  # relative, as a user in that folder would type it
        shutil.copytree(SHOWCASE, scratch / root)
        out = scratch / "figures" if args.quick else args.out
        out.mkdir(parents=True, exist_ok=True)
        chosen = {"list": views(root)["list"]} if args.quick else views(root)
        table = Table(title="terminal views captured from tmux")
        for header in ("view", "columns", "widest line", "lines", "file"):
            table.add_column(header, justify="left" if header in ("view", "file") else "right")
        for name, command in chosen.items():
            for width in widths:
                shutil.rmtree(scratch / root / "comparison", ignore_errors=True)  # compare never overwrites
                screen = capture([*GUIDE, *command], width, scratch)
                text = Text.from_ansi(screen)
                recorder = Console(record=True, width=width, file=open("/dev/null", "w"), force_terminal=True)
                recorder.print(text, soft_wrap=True)
                path = out / f"{name}-{width}.svg"
                path.write_text(recorder.export_svg(title=f"guide {name}  ({width} columns)"))
                widest = max(len(line) for line in text.plain.splitlines())
                table.add_row(name, str(width), str(widest), str(len(text.plain.splitlines())), str(path.name))
    Console().print(table)


if __name__ == "__main__":
    main()
