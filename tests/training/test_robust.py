"""Adversarial training, parameterisations and the noise:data start (issue 5's unit-sized parts)."""

import math

import pytest
import torch
import torch.nn.functional as F

from guidance.configs import RunConfig, TrainConfig
from guidance.core.errors import TrainingDiverged
from guidance.optimize.loop import guide
from guidance.optimize.starts import make_start
from guidance.optimize.steps import gaussian_blur, per_image_norm
from guidance.training.robust import AdversarialTraining, pgd


@pytest.fixture(scope="module")
def twos(sample):
    return make_start("digit:2", 8, 0, data=lambda: sample).pixels


@pytest.mark.parametrize("norm", ["l2", "linf"])
def test_pgd_stays_in_the_ball_and_in_pixel_range_and_raises_the_loss(tiny_model, twos, norm):
    labels = torch.ones(len(twos), dtype=torch.long)  # class 1 = "not 8"
    eps = 1.5 if norm == "l2" else 0.1
    attacked = pgd(tiny_model.eval(), twos, labels, norm, eps, steps=10, step_size=2.5 * eps / 10,
                   generator=torch.Generator().manual_seed(0))
    change = (attacked - twos)
    size = per_image_norm(change).flatten() if norm == "l2" else change.abs().flatten(1).amax(1)
    assert (size <= eps + 1e-5).all()
    assert attacked.min() >= 0 and attacked.max() <= 1
    with torch.no_grad():
        before = F.cross_entropy(tiny_model(twos), labels)
        after = F.cross_entropy(tiny_model(attacked), labels)
    assert after > before


def test_eps_ramps_up_over_the_first_epoch():
    callback = AdversarialTraining("l2", eps=2.0, steps=3, step_size=1.0, ramp_epochs=1.0)
    callback.n_epoch = 3
    observed = []
    for pct in (0.0, 1 / 6, 1 / 3, 2 / 3):
        callback.pct_train = pct
        observed.append(callback.current_eps())
    assert observed == pytest.approx([0.0, 1.0, 2.0, 2.0])


def test_robust_training_records_clean_and_robust_accuracy(sample):
    from guidance.training.classifier import train_classifier

    config = TrainConfig(epochs=1, lr=1e-2, train_limit=1000, robust="l2", robust_eps=1.0, robust_steps=2)
    model = train_classifier(config, sample)
    robust = model.info["robust"]
    assert robust["norm"] == "l2" and robust["eps"] == 1.0
    assert robust["steps"] == 20  # stronger than training's 2 steps
    assert robust["n"] == 1000
    assert 0 <= robust["robust_accuracy"] <= robust["clean_accuracy"] <= 1
    assert math.isclose(robust["clean_accuracy"], 1 - _error_on_first(model, sample, 1000), abs_tol=1e-6)


def _error_on_first(model, data, n):
    from guidance.training.classifier import evaluate

    return evaluate(model, data.test_images[:n], data.test_labels[:n], TrainConfig()).error_rate


def test_diverging_robust_training_stops_and_saves_nothing(sample, tmp_path):
    from guidance.api import train_model

    config = TrainConfig(epochs=1, lr=1e12, train_limit=512, robust="linf", robust_eps=0.1, robust_steps=1)
    with pytest.raises(TrainingDiverged, match="diverged"):
        train_model(config, out=tmp_path / "model", data_dir=None)
    assert not (tmp_path / "model" / "weights.safetensors").exists()


def test_cache_key_ignores_fields_left_at_their_defaults():
    assert TrainConfig().cache_key() == TrainConfig(robust="none", noise_std=0.0).cache_key()
    assert "robust" not in TrainConfig().cache_key()
    assert TrainConfig(robust="l2").cache_key() != TrainConfig().cache_key()


@pytest.mark.parametrize("name, expected_first_frame", [
    ("pixel", lambda x: x),
    ("blur", lambda x: gaussian_blur(x, 1.0)),
    ("lowres", lambda x: F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="bilinear", align_corners=False)),
])
def test_parameterisations_render_what_the_model_sees(tiny_model, twos, name, expected_first_frame):
    config = RunConfig(param=name, param_sigma=1.0, steps=20, snapshot_every=10, log_every=10, lr=0.2)
    result = guide(tiny_model, twos[:2], config)
    assert torch.allclose(result.frames[0], expected_first_frame(twos[:2]), atol=1e-6)
    assert result.history[-1]["p_target"] > result.history[0]["p_target"]
    assert result.final.min() >= 0 and result.final.max() <= 1


def test_lowres_images_have_no_detail_finer_than_their_grid(tiny_model, twos):
    result = guide(tiny_model, twos[:2], RunConfig(param="lowres", param_factor=4, steps=20, lr=0.5))
    coarse = F.avg_pool2d(result.final, 4)
    rebuilt = F.interpolate(coarse, scale_factor=4, mode="bilinear", align_corners=False)
    pixel = guide(tiny_model, twos[:2], RunConfig(param="pixel", steps=20, lr=0.5)).final
    pixel_rebuilt = F.interpolate(F.avg_pool2d(pixel, 4), scale_factor=4, mode="bilinear", align_corners=False)
    assert (result.final - rebuilt).abs().mean() < (pixel - pixel_rebuilt).abs().mean()


def test_data_noise_is_seeded_black_at_the_border_and_in_range(sample):
    first = make_start("noise:data", 3, 5, data=lambda: sample).pixels
    again = make_start("noise:data", 3, 5, data=lambda: sample).pixels
    assert torch.equal(first, again)
    assert not torch.equal(first[0], first[1])
    assert first.min() >= 0 and first.max() <= 1
    never_inked = torch.from_numpy(sample.pixel_statistics()[1] == 0)  # e.g. the corners
    assert never_inked.sum() > 20 and first[:, 0][:, never_inked].abs().max() == 0
    assert first[..., 10:18, 10:18].std() > 0.1
