"""Runs, comparisons and sweeps in TensorBoard: what is written is what the run measured, read back
with TensorBoard's own event reader and served by a real `tensorboard` process."""

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest
from cli_helpers import invoke, one_line_error

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

RUN = ("--start", "digit:2", "--batch", "2", "--steps", "12", "--log-every", "2", "--snapshot-every", "4",
       "--param", "pixel", "--lr", "0.5", "--no-judge")


def events(folder):
    accumulator = EventAccumulator(str(folder), size_guidance={"images": 0, "scalars": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


@pytest.fixture(scope="module")
def logged_run(tiny_model_folder, tmp_path_factory):
    root = tmp_path_factory.mktemp("tb")
    result = invoke("run", "--model", tiny_model_folder, *RUN, "--out", root / "run", "--tensorboard-dir", root / "tb")
    assert result.exit_code == 0, result.output
    return root


def test_a_run_logs_the_scalars_it_measured(logged_run):
    log = [json.loads(line) for line in (logged_run / "run" / "metrics.jsonl").read_text().splitlines()]
    accumulator = events(logged_run / "tb" / "run")
    for tag, key in (("run/p_target", "p_target"), ("run/loss", "loss"), ("run/step_size", "lr"), ("terms/ce", "term_ce")):
        written = [(event.step, event.value) for event in accumulator.Scalars(tag)]
        assert written == [(row["step"], pytest.approx(row[key], rel=1e-6)) for row in log], tag
    l2 = [event.value for event in accumulator.Scalars("run/l2_from_start")]
    assert l2 == [pytest.approx(sum(row["images"]["l2"]) / 2, rel=1e-6) for row in log]


def test_a_run_logs_a_grid_per_snapshot_and_its_config(logged_run):
    import numpy as np

    accumulator = events(logged_run / "tb" / "run")
    steps = np.load(logged_run / "run" / "images.npz")["steps"].tolist()
    assert [event.step for event in accumulator.Images("images/image")] == steps
    config = accumulator.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert 'kind = "run"' in config and "steps = 12" in config
    assert "not judged" in accumulator.Tensors("verdicts/text_summary")[0].tensor_proto.string_val[0].decode()


def test_verdict_counts_are_scalars_at_the_last_step(tiny_model_folder, tmp_path):
    result = invoke("run", "--model", tiny_model_folder, *RUN[:-1], "--out", tmp_path / "run",
                    "--tensorboard-dir", tmp_path / "tb")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    accumulator = events(tmp_path / "tb" / "run")
    for verdict, count in summary["verdicts"].items():
        assert [(e.step, e.value) for e in accumulator.Scalars(f"verdicts/{verdict}")] == [(summary["steps_done"], count)]


def test_a_sweep_fills_the_hparams_view(tiny_model_folder, tmp_path):
    base = {"model": str(tiny_model_folder), "start": "digit:2", "batch": 2, "steps": 4, "log_every": 2,
            "snapshot_every": 2, "param": "pixel", "judge": False}
    sweep = tmp_path / "s.toml"
    sweep.write_text("[base]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in base.items())
                     + '\n[axes]\nloss = ["ce", "logit"]\n')
    result = invoke("sweep", sweep, "--out", tmp_path / "sw", "--workers", "1", "--tensorboard-dir", tmp_path / "tb")
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    for row in rows:
        accumulator = events(tmp_path / "tb" / "sw" / row["name"])
        content = accumulator.PluginTagToContent("hparams")["_hparams_/session_start_info"]
        hparams = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info.hparams
        assert hparams["loss"].string_value == row["loss"]
        assert accumulator.Scalars("sweep/p_mean")[0].value == pytest.approx(row["p_mean"], rel=1e-6)
        assert accumulator.Scalars("run/p_target")  # the point's own run is there too


def test_bad_tensorboard_folders_and_a_missing_package_get_one_line(tiny_model_folder, tmp_path, monkeypatch):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    result = invoke("run", "--model", tiny_model_folder, *RUN, "--out", tmp_path / "run", "--tensorboard-dir", a_file)
    one_line_error(result, "is a file")
    assert not (tmp_path / "run").exists()
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if the extra were not installed
    result = invoke("run", "--model", tiny_model_folder, *RUN, "--out", tmp_path / "run", "--tensorboard")
    one_line_error(result, "pip install 'guidance-kit[tensorboard]'")
    assert not (tmp_path / "run").exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def test_a_real_tensorboard_server_serves_the_run(logged_run):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(logged_run / "tb"),
                               "--host", "127.0.0.1", "--port", str(port), "--reload_interval", "0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        runs = []
        while time.monotonic() < deadline and "run" not in runs:
            try:
                runs = json.loads(_get(f"{base}/data/runs"))
            except OSError:
                time.sleep(0.5)
        assert "run" in runs
        query = urllib.parse.urlencode({"run": "run", "tag": "run/p_target"})
        series = json.loads(_get(f"{base}/data/plugin/scalars/scalars?{query}"))
        assert len(series) == len((logged_run / "run" / "metrics.jsonl").read_text().splitlines())
        query = urllib.parse.urlencode({"run": "run", "tag": "images/image"})
        images = json.loads(_get(f"{base}/data/plugin/images/images?{query}"))
        png = _get(f"{base}/data/plugin/images/individualImage?{images[-1]['query']}")
        assert png.startswith(b"\x89PNG")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_comparison_logs_each_run_under_its_folder(tiny_model_folder, tmp_path):
    configs = []
    for loss in ("ce", "logit"):
        path = tmp_path / f"{loss}.toml"
        path.write_text(f'model = "{tiny_model_folder}"\nloss = "{loss}"\nstart = "digit:2"\nbatch = 2\nsteps = 4\n'
                        'log_every = 2\nsnapshot_every = 2\nparam = "pixel"\njudge = false\n')
        configs.append(path)
    result = invoke("compare", *configs, "--out", tmp_path / "cmp", "--tensorboard-dir", tmp_path / "tb")
    assert result.exit_code == 0, result.output
    for loss in ("ce", "logit"):
        assert events(tmp_path / "tb" / "cmp" / loss).Scalars("run/p_target")
