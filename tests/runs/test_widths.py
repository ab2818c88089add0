"""Every terminal view readable at 80, 100 and 120 columns: one line a run, no cell cut, frames whole."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import runner

from guidance.cli import app
from guidance.runs.tables import age, verdict_cell

WIDTHS = (80, 100, 120)
LONG_NAME = "a-rather-long-experiment-name-for-80-columns"
FRAME = "▀" * 28


def at_width(width, *args):
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= width, f"a line is wider than {width} columns"
    return result.output


@pytest.fixture(scope="module")
def results(browse_results, tmp_path_factory):
    """The browse runs, plus a judged one with a long name and a diffusion-looking one."""
    root = tmp_path_factory.mktemp("wide")
    for out in ("a1", "a2", "b1"):
        shutil.copytree(browse_results / out, root / out)
    judged = shutil.copytree(browse_results / "a1", root / "judged")
    summary = json.loads((judged / "summary.json").read_text())
    summary["experiment"] = LONG_NAME
    summary["verdicts"] = {"generated": 58, "artificial": 4, "flip": 2, "unchanged": 0, "already": 0, "unrealistic": 0}
    (judged / "summary.json").write_text(json.dumps(summary))
    return root


def frame_steps(output):
    """The steps under the drawn frames ('step 3' captions), in the order printed."""
    return [int(word) for line in output.splitlines() for word in re.findall(r"step (\d+)", line)]


def body_lines(output, names):
    return [line for line in output.splitlines() if line.split() and line.split()[0] in names]


@pytest.mark.parametrize("width", WIDTHS)
def test_list_prints_one_whole_line_a_run(results, width):
    output = at_width(width, "list", "--root", results)
    names = {"alpha", "beta", LONG_NAME}
    rows = body_lines(output, names)
    assert len(rows) == 4 and sum(LONG_NAME in row for row in rows) == 1  # one line each, the long name whole
    assert "58 gen 4 art 2 flip" in output and "gen = generated" in output
    for row in rows:  # nothing cut but the folder, which loses its start, never its end
        cells = row.split()
        assert all("…" not in cell for cell in cells[:-1])
        assert cells[-1].startswith("…") or "…" not in cells[-1]
    if width >= 100:
        assert "status" in output and "p mean" in output


def test_list_says_what_it_left_out_and_wide_and_json_hold_every_column(results):
    narrow = at_width(80, "list", "--root", results)
    assert "not shown at 80 columns:" in narrow and "--wide" in narrow
    wide = runner.invoke(app, ["list", "--root", str(results), "--wide"], env={"COLUMNS": "80"}).output
    assert "…" not in wide and "artificial" in wide and "p(target) mean" in wide
    rows = json.loads(runner.invoke(app, ["list", "--root", str(results), "--json"], env={"COLUMNS": "80"}).stdout)
    assert len(rows) == 4 and {"name", "date", "folder", "path", "generated", "p_mean"} <= set(rows[0])
    assert all((results / row["folder"]).resolve() == Path(row["path"]) for row in rows)
    empty = runner.invoke(app, ["list", "--root", str(results / "a1" / "frames"), "--json"])
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []


@pytest.mark.parametrize("width, frames", [(80, 2), (100, 3), (120, 4)])
def test_show_draws_as_many_whole_frames_as_fit(results, width, frames):
    output = at_width(width, "show", results / "b1", "--images", "1")
    steps = frame_steps(output)
    assert steps[0] == 0 and steps[-1] == 6 and len(steps) == min(frames, 3)  # the run saved steps 0, 3, 6
    image_lines = [line for line in output.splitlines() if "▀" in line]
    assert all(line.count("▀") % 28 == 0 and FRAME in line for line in image_lines)
    assert "…" not in output


def test_show_wraps_every_frame_onto_further_lines_rather_than_cut(results):
    output = at_width(80, "show", results / "b1", "--images", "1", "--frames", "all")
    assert frame_steps(output) == [0, 3, 6]
    assert max(line.count(FRAME) for line in output.splitlines()) == 2  # two a line at 80 columns, the third below


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_of_run_folders_fits(results, width, tmp_path):
    output = at_width(width, "compare", results / "a1", results / "judged", "--out", tmp_path / "cmp")
    rows = body_lines(output, {"alpha", LONG_NAME})
    assert len(rows) == 2 and all("…" not in row for row in rows)
    assert "58 gen 4 art 2 flip" in output


@pytest.mark.parametrize("width", WIDTHS)
def test_judge_fits(width, tmp_path, sample):
    path = tmp_path / "eights.npz"
    np.savez(path, images=sample.test_digits(8)[:12])
    output = at_width(width, "judge", path, "--target", "8")
    rows = [line for line in output.splitlines() if re.match(r"\s*\d+\s+\d\.\d{4}\s", line)]
    assert len(rows) == 12 and all(line.split()[-1] in ("generated", "artificial", "unrealistic") for line in rows)
    assert "…" not in output


def test_the_compact_cells():
    assert verdict_cell({"generated": 3, "flip": 1, "artificial": 0}) == "3 gen 1 flip"
    assert verdict_cell({"generated": None}) == "-" and verdict_cell({"generated": 0}) == "0"
    now = 1_800_000_000.0
    import time

    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(now - 3 * 3600 - 5))
    assert age(stamp, now) == "3h ago" and age("2001-02-03 04:05", now) == "2001-02-03" and age(None) == "-"
