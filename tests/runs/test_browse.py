"""`guide compare`, `guide show`, `guide list`: what they read, compute and draw."""

import csv
import json

import numpy as np
import pytest
from cli_helpers import invoke, one_line_error
from rich.console import Console

from guidance.api import run_experiment
from guidance.configs import RunConfig
from guidance.optimize.loop import Callback
from guidance.runs.render import frames_view, terminal_image
from guidance.runs.tables import COMPARE_COLUMNS, rows_table, run_row


def write_config(path, model, **values):
    settings = dict(model=str(model), steps=6, batch=2, log_every=2, snapshot_every=3, judge=False,
                    start="digit:2", lr=0.5, stop_each=False)
    config = RunConfig(**settings | values)
    path.write_text(config.to_toml())
    return path


@pytest.fixture(scope="module")
def results(browse_results):
    return browse_results


def test_terminal_image_draws_each_pixel_pair_as_one_half_block():
    image = np.array([[0.0, 1.0], [0.5, 0.25], [1.0, 0.0]])  # odd height: padded with black
    console = Console(record=True, width=20, color_system="truecolor")
    console.print(terminal_image(image))
    text = terminal_image(image)
    assert text.plain == "▀▀\n▀▀"
    cells = [(span.style.color.triplet, span.style.bgcolor.triplet) for span in text.spans]
    as_rgb = lambda v: (round(v * 255),) * 3
    assert [(tuple(c), tuple(b)) for c, b in cells] == [
        (as_rgb(0.0), as_rgb(0.5)), (as_rgb(1.0), as_rgb(0.25)),
        (as_rgb(1.0), as_rgb(0.0)), (as_rgb(0.0), as_rgb(0.0)),
    ]
    assert "38;2;255;255;255" in console.export_text(styles=True)  # a white top pixel, drawn in colour


def test_frames_view_shows_the_chosen_steps_side_by_side():
    frames = np.zeros((3, 1, 28, 28))
    console = Console(record=True, width=200)
    console.print(frames_view(frames, [0, 10, 20], [0, 2], [0], ["#0 noise seed 0"]))
    output = console.export_text()
    assert "#0 noise seed 0" in output and "step 0" in output and "step 20" in output and "step 10" not in output
    assert output.count("▀" * 28) == 2 * 14  # two 28-pixel-wide images, 14 lines each


def test_rows_table_prints_the_summary_numbers(results):
    summary = json.loads((results / "a1" / "summary.json").read_text())
    row = run_row(summary, "alpha")
    assert row["p_mean"] == pytest.approx(np.mean([i["p_target"] for i in summary["images"]]))
    assert row["l2_mean"] == pytest.approx(np.mean([i["l2"] for i in summary["images"]]))
    console = Console(record=True, width=250)
    console.print(rows_table([row], COMPARE_COLUMNS))
    output = console.export_text()
    assert f"{row['p_mean']:.4f}" in output and f"{row['l2_mean']:.3f}" in output and "alpha" in output


def test_list_filters_and_sorts(results):
    result = invoke("list", "--root", results, "--sort", "p_mean")
    assert result.exit_code == 0, result.output
    assert "3 runs" in result.output and "alpha" in result.output and "beta" in result.output
    means = {out: json.loads((results / out / "summary.json").read_text())["mean_p_target"] for out in ("a1", "a2", "b1")}
    order = [line.split()[-1] for line in result.output.splitlines() if line.split()[:1] in (["alpha"], ["beta"])]
    assert order == sorted(means, key=means.get, reverse=True)  # the folder is the last column at 250 columns
    rows = json.loads(invoke("list", "--root", results, "--sort", "p_mean", "--json").stdout)
    assert [row["folder"] for row in rows] == order
    only = invoke("list", "--root", results, "--experiment", "beta")
    assert "1 runs" in only.output and "alpha" not in only.output


def test_list_refusals(results, tmp_path):
    one_line_error(invoke("list", "--root", tmp_path), "no runs under")
    one_line_error(invoke("list", "--root", results, "--experiment", "gamma"), "no runs of experiment 'gamma'")
    one_line_error(invoke("list", "--root", results, "--sort", "pmean"), "did you mean 'p_mean'")


def test_show_prints_config_log_verdict_table_and_frames(results):
    result = invoke("show", results / "a1", "--frames", "0,6", "--images", "1")
    assert result.exit_code == 0, result.output
    for fragment in ("alpha", "finished", "loss = 'ce'", "log (4 rows", "step 0", "step 6", "#0 test 2 #0"):
        assert fragment in result.output, fragment
    assert "step 3" not in result.output and "#1 test 2" not in result.output
    one_line_error(invoke("show", results / "a1", "--frames", "5"), "no snapshot at step '5'")


def test_show_works_on_interrupted_and_killed_runs(tiny_model_folder, tmp_path):
    class StopAfterTwoRows(Callback):
        def after_log(self, record):
            if record["step"] >= 2:
                raise KeyboardInterrupt

    config = RunConfig(model=str(tiny_model_folder), steps=50, batch=1, log_every=1, judge=False)
    run_experiment(config, out=tmp_path / "stopped", callbacks=[StopAfterTwoRows()])
    result = invoke("show", tmp_path / "stopped")
    assert result.exit_code == 0, result.output
    assert "interrupted" in result.output and "step 2" in result.output

    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "config.toml").write_text(config.to_toml())
    (killed / "metrics.jsonl").write_text(json.dumps({"step": 0, "lr": 0.1, "loss": 1.0, "p_target": 0.1}) + '\n{"step": 1, "lo')
    result = invoke("show", killed)
    assert result.exit_code == 0, result.output
    assert "incomplete" in result.output and "no images.npz" in result.output and "log (1 rows" in result.output


def test_show_png_writes_missing_pictures(results, tmp_path):
    import shutil

    copy = shutil.copytree(results / "b1", tmp_path / "b1")
    (copy / "contact.png").unlink()
    result = invoke("show", copy, "--png")
    assert result.exit_code == 0 and f"wrote {copy / 'contact.png'}" in result.output
    assert "curves.png already there" in result.output and (copy / "contact.png").stat().st_size > 1000


def test_show_refusals(results, tmp_path):
    one_line_error(invoke("show", tmp_path / "nope"), "run folder not found")
    (tmp_path / "empty").mkdir()
    one_line_error(invoke("show", tmp_path / "empty"), "not a run folder")
    old = tmp_path / "old"
    old.mkdir()
    summary = json.loads((results / "a1" / "summary.json").read_text()) | {"format": "guide-run/0"}
    (old / "summary.json").write_text(json.dumps(summary))
    one_line_error(invoke("show", old), "incompatible version")


def test_compare_runs_configs_on_the_same_starts_and_tabulates(results, tiny_model_folder, tmp_path):
    first = write_config(tmp_path / "first.toml", tiny_model_folder, loss="ce", experiment="first")
    second = write_config(tmp_path / "second.toml", tiny_model_folder, loss="logit", experiment="second", batch=5, seed=9)
    out = tmp_path / "cmp"
    result = invoke("compare", first, second, results / "b1", "--out", out, "--sort", "p_mean")
    assert result.exit_code == 0, result.output
    with open(out / "compare.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["name"] for row in rows] == sorted(
        ["first", "second", "beta"], key=lambda n: -float(next(r for r in rows if r["name"] == n)["p_mean"]))
    made = {name: np.load(out / "runs" / name / "images.npz") for name in ("first", "second")}
    assert made["second"]["start"].shape == (2, 28, 28)  # the first config's batch, for every config
    assert np.array_equal(made["first"]["start"], made["second"]["start"])
    for row in rows:
        folder = out / row["folder"] if row["name"] != "beta" else results / "b1"
        summary = json.loads((folder / "summary.json").read_text())
        assert float(row["p_mean"]) == pytest.approx(summary["mean_p_target"])
    assert (out / "snapshots.png").stat().st_size > 1000 and (out / "curves.png").stat().st_size > 1000
    assert json.loads((out / "compare.json").read_text())[0]["name"] == rows[0]["name"]
    assert "first" in result.output and "p mean" in result.output


def test_compare_refusals(tiny_model_folder, tmp_path):
    eight = write_config(tmp_path / "eight.toml", tiny_model_folder)
    three = tmp_path / "three.toml"
    three.write_text(eight.read_text().replace("target = 8", "target = 3"))
    one_line_error(invoke("compare", eight, three, "--out", tmp_path / "x"), "different targets")
    one_line_error(invoke("compare", eight, tmp_path / "missing.toml"), "config file not found")
    (tmp_path / "bad.toml").write_text("loss = [")
    one_line_error(invoke("compare", eight, tmp_path / "bad.toml"), "not valid TOML")
    one_line_error(invoke("compare", eight, "--sort", "speed", "--out", tmp_path / "y"), "cannot sort by 'speed'")
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())


def test_showcase_finds_the_repository_experiments():
    from guidance.runs.compare import showcase_configs

    paths = showcase_configs()
    assert [p.stem for p in paths][:4] == ["blog-flip", "noise-l1", "generate-noise", "generate-from-2"]
    assert {p.stem for p in paths[4:]} == {"diffuse-free", "diffuse-standard", "diffuse-robust", "diffuse-noisy"}
    assert all(p.is_file() for p in paths)


def test_run_table_fits_80_columns_with_at_most_two_lines_an_image():
    from guidance.runs.render import run_table

    image = {"start": "test 2 #1234", "p_target": 0.99991, "top_class": "not_8", "l2": 12.345, "reached_step": 345,
             "verdict": "flip", "judge_top": "2", "judge_p_top": 0.97, "nn_distance": 8.21, "realism_cutoff": 7.47,
             "survives_saving": False, "p_target_saved": 0.42}
    images = [dict(image, start=f"noise seed {1000 + i}") for i in range(15)] + [image]
    summary = {"experiment": "a-rather-long-experiment-name", "status": "finished", "steps_done": 500,
               "wall_seconds": 12.3, "final_holds": "last", "config": {"target": 8},
               "reached": {"threshold": 0.99}, "images": images, "verdicts": {"flip": 16}}
    console = Console(width=80, record=True, color_system=None)
    console.print(run_table(summary))
    text = console.export_text()
    lines = [line.rstrip() for line in text.splitlines()]
    assert max(map(len, lines)) <= 80
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["#", "start"])
    body = lines[header + 2: lines.index("", header + 2)]  # from under the header rule to the blank line
    assert [line.split()[0] for line in body if line[:3].strip()] == [str(i) for i in range(16)]
    assert len(body) <= 2 * 16  # at most two lines an image
    assert "#0 p=0.42" in text.replace("\n", " ")  # the long note went to the footnote


def test_compare_with_no_sources_is_the_kits_one_line_error():
    result = invoke("compare")
    one_line_error(result, "nothing to compare")
