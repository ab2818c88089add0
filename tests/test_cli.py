"""The `guide` command line: one-line errors, complete run folders, replay, Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from guidance.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0 and "train" in result.output and "run" in result.output


@pytest.mark.parametrize("args, fragment", [
    (["run", "--loss", "nope"], "unknown loss 'nope'"),
    (["run", "--step", "sgdd"], "did you mean 'sgd'"),
    (["run", "--steps", "-1"], "steps must be > 0"),
    (["run", "--batch", "0"], "batch must be > 0"),
    (["run", "--log-every", "0"], "log every must be > 0"),
    (["run", "--lr", "0"], "lr must be"),
    (["run", "--lr", "inf"], "lr must be"),
    (["run", "--schedule", "exp"], "unknown schedule"),
    (["run", "--target", "11"], "target 11 is out of range"),
    (["run", "--config", "no/such.toml"], "config file not found"),
    (["run", "--model", "no/such/folder"], "neither a preset"),
    (["run", "--model", "no/such/learner.pkl"], "learner file not found"),
    (["train", "--target", "12"], "target 12 is out of range"),
    (["train", "--epochs", "0"], "epochs must be > 0"),
    (["train", "--batch-size", "0"], "batch size must be > 0"),
    (["train", "--lr", "-1"], "learning rate must be"),
    (["train", "--arch", "resnet-18"], "did you mean 'resnet18'"),
    (["train", "--preset", "fast"], "unknown preset"),
    (["train", "--robust", "--pgd-eps", "0"], "robust eps must be a finite number > 0"),
    (["train", "--robust", "--pgd-eps", "-1"], "robust eps must be"),
    (["train", "--robust", "--pgd-steps", "0"], "robust PGD steps must be > 0"),
    (["train", "--norm", "l3"], "unknown robust norm 'l3'"),
    (["train", "--norm", "L2"], "did you mean 'l2'"),
    (["run", "--param", "blurry"], "unknown param 'blurry'"),
    (["run", "--param", "lowres", "--param-factor", "3"], "param_factor must divide 28"),
    (["run", "--param", "blur", "--space", "normalized"], "works in pixel space"),
    (["run", "--start", "noise:pink"], "unknown noise 'pink'"),
    (["train", "--data", "/no/such/dir"], "MNIST data folder not found"),
])
def test_bad_input_gives_one_line_and_exit_1(args, fragment):
    assert_one_line_error(invoke(*args), fragment)


def test_bad_config_keys_and_types_are_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('loss = "ce"\nsteps = "ten"\n')
    assert_one_line_error(invoke("run", "--config", path), "key 'steps' must be int")
    path.write_text("colour = 1\n")
    assert_one_line_error(invoke("run", "--config", path), "unknown key 'colour'")


def test_run_refusals_that_need_a_model(tiny_model_folder, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("keep me")
    assert_one_line_error(invoke("run", "--model", tiny_model_folder, "--out", tmp_path / "taken"), "never overwrite")
    assert (tmp_path / "taken" / "x").read_text() == "keep me"
    assert_one_line_error(invoke("run", "--model", tiny_model_folder, "--start", "digit:12"), "N in 0-9")
    assert_one_line_error(invoke("run", "--model", tiny_model_folder, "--start", "file:nope.png"), "not found")
    Image.new("L", (30, 30)).save(tmp_path / "odd.png")
    assert_one_line_error(invoke("run", "--model", tiny_model_folder, "--start", f"file:{tmp_path / 'odd.png'}"), "30x30")
    assert_one_line_error(invoke("run", "--model", tiny_model_folder, "--target", "3"), "not '3'")
    (tmp_path / "learner.pkl").write_bytes(b"whatever")
    assert_one_line_error(invoke("run", "--model", tmp_path / "learner.pkl"), "--trust-pickle")


def test_an_rgba_start_file_is_said_in_one_line(tiny_model_folder, tmp_path):
    Image.new("RGBA", (28, 28), (255, 255, 255, 0)).save(tmp_path / "clear.png")
    result = invoke("run", "--model", tiny_model_folder, "--start", f"file:{tmp_path / 'clear.png'}", "--steps", "2",
                    "--no-judge", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "784 of its 784 pixels are (partly) transparent" in notes[0]
    assert np.load(tmp_path / "run" / "images.npz")["start"].max() == 0  # transparent white read as black


def test_train_refuses_an_existing_out_folder(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.safetensors").write_bytes(b"mine")
    assert_one_line_error(invoke("train", "--out", tmp_path / "model"), "never overwritten")
    assert (tmp_path / "model" / "weights.safetensors").read_bytes() == b"mine"


def test_corrupt_model_folder_is_one_line(tiny_model_folder, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "metrics.json").write_text((tiny_model_folder / "metrics.json").read_text())
    (broken / "weights.safetensors").write_bytes(b"junk")
    assert_one_line_error(invoke("run", "--model", broken), "corrupt")


@pytest.fixture(scope="module")
def finished_run(tiny_model_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run1"
    result = invoke(
        "run", "--model", tiny_model_folder, "--start", "digit:3", "--batch", "3", "--steps", "20",
        "--loss", "ce", "--step", "normalized", "--lr", "0.5", "--target", "8", "--log-every", "5",
        "--snapshot-every", "10", "--seed", "3", "--out", out, "--experiment", "cli-test", "--no-stop-each",
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_folder_is_complete_and_consistent(finished_run, tiny_model_folder):
    from guidance.models.store import load_model

    out, output = finished_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["steps_done"] == 20 and len(summary["images"]) == 3
    images = np.load(out / "images.npz")
    assert images["frames"].shape == (3, 3, 28, 28) and images["steps"].tolist() == [0, 10, 20]
    assert images["final"].min() >= 0 and images["final"].max() <= 1
    # p(target) in the summary is what the saved model says about the saved final images
    model = load_model(tiny_model_folder)
    probs = model(torch.from_numpy(images["final"]).unsqueeze(1)).softmax(1)[:, 0]
    assert np.allclose(probs.detach().numpy(), [i["p_target"] for i in summary["images"]], atol=1e-5)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [0, 5, 10, 15, 20]
    assert len(rows[0]["images"]["p_target"]) == 3
    assert sorted(p.name for p in (out / "frames").iterdir()) == ["step_00000.png", "step_00010.png", "step_00020.png"]
    with Image.open(out / "trajectory.gif") as gif:
        assert gif.n_frames == 3
    with Image.open(out / "contact.png") as sheet:
        assert sheet.width > sheet.height  # 3 snapshots wide, 3 images high, plus labels
    assert "cli-test" in output and "saved to" in output
    # every run ends with verdicts, per image and counted
    assert sum(summary["verdicts"].values()) == 3 and "verdicts:" in output
    assert {"verdict", "judge_top", "nn_distance", "survives_saving"} <= set(summary["images"][0])


def test_judge_an_existing_run_and_bad_inputs(finished_run, tmp_path):
    out, _ = finished_run
    result = invoke("judge", out)
    assert result.exit_code == 0, result.output
    assert "verdicts for" in result.output and "verdicts:" in result.output
    (tmp_path / "empty").mkdir()
    assert_one_line_error(invoke("judge", tmp_path / "empty"), "holds no images")
    (tmp_path / "bad.npz").write_bytes(b"junk")
    assert_one_line_error(invoke("judge", tmp_path / "bad.npz"), "not a readable .npz")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "summary.json").write_text("{}")
    assert_one_line_error(invoke("judge", tmp_path / "run"), "has no images.npz")


def test_config_toml_replays_the_run_bit_for_bit(finished_run, tmp_path):
    out, _ = finished_run
    result = invoke("run", "--config", out / "config.toml", "--out", tmp_path / "replay")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "replay" / "images.npz").read_bytes() == (out / "images.npz").read_bytes()


def test_runs_without_out_never_collide(tiny_model_folder, monkeypatch, tmp_path):
    monkeypatch.setenv("GUIDE_RUNS", str(tmp_path))
    for _ in range(2):
        assert invoke("run", "--model", tiny_model_folder, "--steps", "2", "--no-judge").exit_code == 0
    assert len(list(tmp_path.iterdir())) == 2


def test_nan_mid_run_stops_keeps_and_exits_1(tiny_model_folder, tmp_path):
    result = invoke(
        "run", "--model", tiny_model_folder, "--start", "digit:2", "--loss", "logit", "--step", "sgd",
        "--lr", "1e38", "--no-clamp", "--steps", "50", "--out", tmp_path / "nan",
    )
    assert result.exit_code == 1 and "non-finite" in result.output and "Traceback" not in result.output
    summary = json.loads((tmp_path / "nan" / "summary.json").read_text())
    assert summary["status"] == "nan" and summary["steps_done"] < 50
    assert (tmp_path / "nan" / "images.npz").is_file()


def _interruptible() -> None:
    """In the child: Ctrl-C as in a terminal. Earlier tests' libraries can leave SIGINT blocked or ignored in
    the pytest process, and a child inherits both, which would test the inheritance rather than the kit."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_keeps_the_run_and_marks_it_interrupted(tiny_model_folder, tmp_path):
    out = tmp_path / "interrupted"
    process = subprocess.Popen(
        [sys.executable, "-m", "guidance", "run", "--model", str(tiny_model_folder), "--steps", "1000000",
         "--log-every", "5", "--out", str(out), "--device", "cpu", "--no-stop-each"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        preexec_fn=_interruptible,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        metrics = out / "metrics.jsonl"
        if metrics.is_file() and len(metrics.read_text().splitlines()) >= 3:
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        out_text, err_text = process.communicate()
        masks = [line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(("SigBlk", "SigIgn"))]
        raise AssertionError(f"no exit 60 s after Ctrl-C (pytest's {masks}); stdout tail: {out_text[-300:]!r}; stderr: {err_text[-1500:]!r}") from None
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and 10 <= summary["steps_done"] < 1000000
    assert np.load(out / "images.npz")["frames"].shape[0] >= 2
