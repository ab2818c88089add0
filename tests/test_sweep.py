"""`guide sweep`: grids of ordinary runs, resumable, failures recorded, bad input refused before any run."""

import filecmp
import json

import pytest
from cli_helpers import invoke, one_line_error

from guidance.sweep import Sweep, expand, load_sweep


def write_sweep(path, model, axes: str, **base):
    settings = {"model": str(model), "start": "digit:2", "batch": 2, "steps": 6, "log_every": 2,
                "snapshot_every": 3, "param": "pixel", "judge": False} | base
    lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    path.write_text("[base]\n" + "\n".join(lines) + "\n[axes]\n" + axes)
    return path


def test_a_grid_expands_in_axis_order_and_samples_are_seeded(tiny_model_folder, tmp_path):
    sweep = load_sweep(write_sweep(tmp_path / "s.toml", tiny_model_folder, 'loss = ["ce", "logit"]\nlr = [0.1, 0.2, 0.3]\n'))
    points = expand(sweep)
    assert [p.values for p in points[:2]] == [{"loss": "ce", "lr": 0.1}, {"loss": "ce", "lr": 0.2}]
    assert len(points) == 6 and points[5].config.loss == "logit" and points[5].config.lr == 0.3
    drawn = expand(Sweep(sweep.name, sweep.base, sweep.axes, samples=3, sample_seed=4))
    assert len(drawn) == 3 and drawn == expand(Sweep(sweep.name, sweep.base, sweep.axes, samples=3, sample_seed=4))


def test_sweep_runs_resumes_and_matches_guide_run(tiny_model_folder, tmp_path):
    path = write_sweep(tmp_path / "s.toml", tiny_model_folder, 'loss = ["ce", "logit"]\nlr = [0.1, 0.3]\n')
    first = invoke("sweep", path, "--out", tmp_path / "sw", "--workers", "1", "--plot", "p_mean", "--x", "lr", "--y", "loss")
    assert first.exit_code == 0, first.output
    rows = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    assert len(rows) == 4 and all(row["status"] == "finished" for row in rows)
    assert {row["lr"] for row in rows} == {0.1, 0.3} and (tmp_path / "sw" / "heatmap-p_mean.png").stat().st_size > 0
    assert "best by generated" in first.output
    again = invoke("sweep", path, "--out", tmp_path / "sw", "--workers", "1")
    assert again.exit_code == 0 and "resumed: 4 of 4 points had finished" in again.output
    point = next((tmp_path / "sw" / "points").iterdir())  # the same config alone gives the same images
    alone = invoke("run", "--config", point / "config.toml", "--out", tmp_path / "alone")
    assert alone.exit_code == 0, alone.output
    assert filecmp.cmp(point / "images.npz", tmp_path / "alone" / "images.npz", shallow=False)


def test_a_sweep_in_this_process_leaves_torchs_thread_count_as_it_was(tiny_model_folder, tmp_path):
    import torch

    from guidance.sweep.workers import worker_threads

    before = torch.get_num_threads()
    mine = worker_threads(1) + 1  # not what a one-worker sweep sets its points to
    torch.set_num_threads(mine)
    try:
        path = write_sweep(tmp_path / "s.toml", tiny_model_folder, 'lr = [0.1, 0.3]\n')
        assert invoke("sweep", path, "--out", tmp_path / "sw", "--workers", "1").exit_code == 0
        assert torch.get_num_threads() == mine  # a point may use the machine's threads, the caller keeps its own
    finally:
        torch.set_num_threads(before)


def test_a_failed_point_is_recorded_and_the_others_run(tiny_model_folder, tmp_path):
    path = write_sweep(tmp_path / "s.toml", tiny_model_folder, f'model = [{json.dumps(str(tiny_model_folder))}, "no/such/model"]\n')
    result = invoke("sweep", path, "--out", tmp_path / "sw", "--workers", "1")
    assert result.exit_code == 0, result.output
    rows = {row["model"] if "model" in row else None: row for row in json.loads((tmp_path / "sw" / "sweep.json").read_text())}
    statuses = sorted(row["status"] for row in rows.values())
    assert statuses == ["failed", "finished"]
    failed = next(row for row in rows.values() if row["status"] == "failed")
    assert "neither a preset" in failed["error"] and "failed:" in result.output


def test_two_local_workers_give_the_same_images_as_one(tiny_model_folder, tmp_path):
    path = write_sweep(tmp_path / "s.toml", tiny_model_folder, 'lr = [0.1, 0.2, 0.3, 0.4]\n')
    for workers in ("1", "2"):
        assert invoke("sweep", path, "--out", tmp_path / f"w{workers}", "--workers", workers).exit_code == 0
    for point in (tmp_path / "w1" / "points").iterdir():
        assert filecmp.cmp(point / "images.npz", tmp_path / "w2" / "points" / point.name / "images.npz", shallow=False)


@pytest.mark.parametrize("axes, options, fragment", [
    ('lossy = ["ce"]\n', [], "axis 'lossy' is not a config key (did you mean 'loss'?)"),
    ("lr = []\n", [], "axis 'lr' is empty"),
    ('lr = "0.1"\n', [], "axis 'lr' must be a list of values, like lr = [\"0.1\"]"),
    ('loss = ["nope"]\n', [], "unknown loss 'nope'"),
    ("lr = [" + ", ".join(str(0.01 * (i + 1)) for i in range(101)) + "]\nseed = [" + ", ".join(map(str, range(100))) + "]\n",
     [], "the grid has 10,100 points"),
    ('lr = [0.1]\n', ["--plot", "p_mean", "--x", "lr", "--y", "loss"], "'loss' is not an axis of this sweep"),
    ('lr = [0.1]\n', ["--sort", "nope"], "cannot sort by 'nope'"),
])
def test_bad_sweeps_fail_before_any_run(tiny_model_folder, tmp_path, axes, options, fragment):
    path = write_sweep(tmp_path / "s.toml", tiny_model_folder, axes)
    one_line_error(invoke("sweep", path, "--out", tmp_path / "sw", *options), fragment)
    assert not (tmp_path / "sw" / "points").exists() or not any((tmp_path / "sw" / "points").iterdir())


def test_a_folder_of_another_sweep_is_refused(tiny_model_folder, tmp_path):
    first = write_sweep(tmp_path / "a.toml", tiny_model_folder, "lr = [0.1]\n")
    assert invoke("sweep", first, "--out", tmp_path / "sw", "--workers", "1").exit_code == 0
    other = write_sweep(tmp_path / "b.toml", tiny_model_folder, "lr = [0.2]\n")
    one_line_error(invoke("sweep", other, "--out", tmp_path / "sw"), "was written by another sweep")


def test_sweep_help_names_the_ray_extra_whole():
    result = invoke("sweep", "--help")
    assert "guidance-kit[ray]" in result.output and "guidance-kit[tensorboard]" not in result.output


def test_an_unreachable_ray_address_is_one_line(tiny_model_folder, tmp_path):
    pytest.importorskip("ray")
    path = write_sweep(tmp_path / "s.toml", tiny_model_folder, "lr = [0.1]\n")
    one_line_error(invoke("sweep", path, "--out", tmp_path / "sw", "--ray-address", "127.0.0.1:1"), "cannot reach a Ray cluster")
