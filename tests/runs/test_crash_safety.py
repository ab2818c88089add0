"""Runs and sweeps that survive SIGKILL: a killed folder reads back, and --resume makes the very images
an uninterrupted run makes."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import invoke, one_line_error, start_and_kill, status

from guidance.runs.browse import read_run

RUN = ("--start", "digit:2", "--batch", "3", "--steps", "400", "--param", "pixel", "--lr", "0.2", "--no-stop-each",
       "--log-every", "5", "--snapshot-every", "25", "--step", "adam", "--jitter", "1", "--no-judge", "--device", "cpu")


@pytest.fixture(scope="module")
def uninterrupted(tiny_model_folder, tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole") / "run"
    assert invoke("run", "--model", tiny_model_folder, *RUN, "--out", folder).exit_code == 0
    return folder


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_run_killed_at_a_random_moment_reads_back_and_resumes_byte_identical(
        tiny_model_folder, uninterrupted, tmp_path, seed):
    folder = tmp_path / "run"
    at_step = random.Random(seed).randrange(0, 380)  # the moment, drawn by seed: before the first checkpoint too
    start_and_kill(["run", "--model", str(tiny_model_folder), *RUN, "--out", str(folder)], folder, at_step)
    record = read_run(folder)
    assert record.state == "killed" and record.summary is None
    for command in (("show", folder), ("list", "--root", tmp_path), ("compare", folder, "--out", tmp_path / "cmp")):
        result = invoke(*command)
        assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    if (folder / "images.npz").is_file():  # from the first checkpoint on, the images so far are there to judge
        assert invoke("judge", folder).exit_code == 0
    assert "killed" in invoke("show", folder).output
    resumed = invoke("run", "--resume", folder)
    assert resumed.exit_code == 0, resumed.output
    assert (folder / "images.npz").read_bytes() == (uninterrupted / "images.npz").read_bytes()
    steps = lambda f: [json.loads(line)["step"] for line in (f / "metrics.jsonl").read_text().splitlines()]
    assert steps(folder) == steps(uninterrupted)
    assert read_run(folder).state == "finished" and not (folder / "checkpoint.pt").exists()


def test_resume_refuses_what_it_cannot_continue(uninterrupted, tiny_model_folder, tmp_path):
    one_line_error(invoke("run", "--resume", uninterrupted), "has finished; nothing to resume")
    one_line_error(invoke("run", "--resume", uninterrupted, "--steps", "5"), "drop --steps")
    one_line_error(invoke("diffuse", "--resume", uninterrupted), "resume it with guide run --resume")
    one_line_error(invoke("run", "--resume", tmp_path / "nothing"), "run folder not found")


def write_sweep(path: Path, model: Path) -> Path:
    base = {"model": str(model), "start": "digit:2", "batch": 2, "steps": 1500, "log_every": 10,
            "snapshot_every": 50, "param": "pixel", "judge": False, "device": "cpu", "stop_each": False}
    path.write_text("[base]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in base.items())
                    + "\n[axes]\nlr = [0.1, 0.2, 0.3]\n")
    return path


def kill_a_running_point(sweep: Path, process: subprocess.Popen, timeout: float = 180) -> str:
    """SIGKILL the worker of the first point that has taken a few checkpoints; return its name."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        for point in sorted((sweep / "points").glob("*")):
            state = status(point)
            if state.get("status") == "running" and (state.get("checkpoint_step") or 0) >= 100:
                os.kill(state["pid"], signal.SIGKILL)
                return point.name
        time.sleep(0.05)
    raise AssertionError(f"no point was running; sweep stderr: {process.stderr.read().decode()[-800:]}")


def test_a_killed_local_worker_fails_its_point_alone_and_resume_goes_on(tiny_model_folder, tmp_path):
    path, out = write_sweep(tmp_path / "s.toml", tiny_model_folder), tmp_path / "sw"
    process = subprocess.Popen([sys.executable, "-m", "guidance", "sweep", str(path), "--out", str(out),
                                "--workers", "2"], env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = kill_a_running_point(out, process)
    stdout, stderr = process.communicate(timeout=300)  # ends by itself: no hang on a dead worker
    assert process.returncode == 0, stderr.decode()[-800:]
    rows = {row["name"]: row for row in json.loads((out / "sweep.json").read_text())}
    assert rows[killed]["status"] == "failed" and "worker process running this point died" in rows[killed]["error"]
    assert all(row["status"] == "finished" for name, row in rows.items() if name != killed)
    again = invoke("sweep", path, "--out", out, "--workers", "1")
    assert again.exit_code == 0 and "resumed: 2 of 3 points had finished" in again.output
    assert all(row["status"] == "finished" for row in json.loads((out / "sweep.json").read_text()))


def test_ray_runs_the_points_and_retries_one_whose_worker_process_dies(tiny_model_folder, tmp_path):
    pytest.importorskip("ray")
    path, out = write_sweep(tmp_path / "s.toml", tiny_model_folder), tmp_path / "ray"
    process = subprocess.Popen([sys.executable, "-m", "guidance", "sweep", str(path), "--out", str(out),
                                "--workers", "2", "--ray"], env=os.environ.copy(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = kill_a_running_point(out, process)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()[-800:]
    rows = {row["name"]: row for row in json.loads((out / "sweep.json").read_text())}
    assert all(row["status"] == "finished" for row in rows.values()), rows[killed]
    for point in sorted((out / "points").iterdir()):  # each, the killed and retried one too, as a run never killed
        alone = invoke("run", "--config", point / "config.toml", "--out", tmp_path / "alone" / point.name)
        assert alone.exit_code == 0
        assert (point / "images.npz").read_bytes() == (tmp_path / "alone" / point.name / "images.npz").read_bytes()
