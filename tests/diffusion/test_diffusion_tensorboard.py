"""`guide diffuse --tensorboard`: the sampler's scalars and both image sequences, read back with TensorBoard."""

import json

import numpy as np
import pytest

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from guidance.api import diffuse  # noqa: E402
from guidance.configs import DiffuseConfig  # noqa: E402


def test_a_sampling_logs_its_noise_schedule_and_both_image_sequences(tiny_denoiser_folder, tmp_path):
    config = DiffuseConfig(denoiser=str(tiny_denoiser_folder), guidance="free", batch=2, sampling_steps=6,
                           snapshot_every=2, tensorboard=str(tmp_path / "tb"))
    outcome = diffuse(config, out=tmp_path / "run")
    log = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    events = EventAccumulator(str(tmp_path / "tb" / "run"), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    for tag, key in (("sampling/timestep", "timestep"), ("sampling/noise_level", "noise_level"), ("run/p_target", "p_target")):
        assert [(e.step, e.value) for e in events.Scalars(tag)] == [(r["step"], pytest.approx(r[key], rel=1e-6)) for r in log]
    steps = np.load(outcome.folder / "images.npz")["steps"].tolist()
    assert [e.step for e in events.Images("images/x_t")] == steps
    assert [e.step for e in events.Images("images/x0_hat")] == steps
    for verdict, count in outcome.summary["verdicts"].items():
        assert events.Scalars(f"verdicts/{verdict}")[-1].value == count
