"""The diffusion room on tiny models: storage, steering, samplers, reproducibility, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from guidance.configs import DenoiserConfig, DiffuseConfig, NoisyClassifierConfig
from guidance.core.errors import ConfigError, ModelError
from tests.cli_helpers import invoke, one_line_error


@pytest.fixture(scope="module")
def denoiser(tiny_denoiser_folder):
    from guidance.diffusion.denoiser import load_denoiser

    return load_denoiser(tiny_denoiser_folder)


def test_denoiser_round_trips_through_its_folder(tiny_denoiser_folder, denoiser):
    from guidance.diffusion.training import denoiser_test_loss

    info = json.loads((tiny_denoiser_folder / "metrics.json").read_text())
    assert info["train_config"]["width"] == 8 and info["data"]["fingerprint"]
    x, t, labels = torch.randn(3, 1, 28, 28), torch.tensor([5, 500, 900]), torch.tensor([8, 10, 3])
    with torch.no_grad():
        assert denoiser(x, t, labels).shape == (3, 1, 28, 28)
    fresh = DenoiserConfig(width=8)
    from guidance.diffusion.denoiser import Denoiser

    untrained = Denoiser(fresh)
    assert not torch.equal(untrained.unet.conv_in.weight, denoiser.unet.conv_in.weight)
    assert denoiser_test_loss(denoiser, _sample_data(), count=100)["mse_conditional"] == pytest.approx(
        info["test"]["mse_conditional"], rel=0.5)  # same test noise, fewer images: the same ballpark


def _sample_data():
    from guidance.data.loading import load_sample

    return load_sample()


def test_training_lowers_the_noise_error_where_there_is_signal(tiny_denoiser_folder):
    mse = json.loads((tiny_denoiser_folder / "metrics.json").read_text())["test"]["mse_conditional"]
    assert mse["999"] < 0.5  # predicting eps from almost pure noise is easy once learnt; an untrained UNet gives ~1


@pytest.mark.parametrize("damage", ["missing", "no_weights", "corrupt_weights", "corrupt_json", "classifier_folder",
                                    "other_architecture"])
def test_a_bad_denoiser_folder_is_refused(tiny_denoiser_folder, tiny_model_folder, tmp_path, damage):
    import shutil

    from guidance.diffusion.denoiser import load_denoiser

    folder = tmp_path / "denoiser"
    if damage == "classifier_folder":
        folder = tiny_model_folder
    elif damage != "missing":
        shutil.copytree(tiny_denoiser_folder, folder)
        if damage == "no_weights":
            (folder / "weights.safetensors").unlink()
        elif damage == "corrupt_weights":
            (folder / "weights.safetensors").write_bytes(b"not a safetensors file")
        elif damage == "other_architecture":  # metrics.json says one UNet, the weights are another's
            info = json.loads((folder / "metrics.json").read_text())
            info["train_config"]["width"], info["train_config"]["attention"] = 16, not info["train_config"]["attention"]
            (folder / "metrics.json").write_text(json.dumps(info))
        else:
            (folder / "metrics.json").write_text("{not json")
    with pytest.raises(ModelError):
        load_denoiser(folder)


def _steer(kind, denoiser, scale, classifier=None):
    from guidance.diffusion.denoiser import noise_scheduler
    from guidance.diffusion.steering import steered_noise

    alphas = noise_scheduler(1000, "squaredcos_cap_v2").alphas_cumprod.float()
    return steered_noise(kind, denoiser, scale, 8, alphas, classifier)


def test_free_guidance_scale_zero_is_unconditional_and_one_is_conditional(denoiser):
    x, t = torch.randn(4, 1, 28, 28), torch.tensor(600)
    with torch.no_grad():
        unconditional = denoiser(x, t.expand(4), torch.full((4,), 10))
        conditional = denoiser(x, t.expand(4), torch.full((4,), 8))
        torch.testing.assert_close(_steer("free", denoiser, 0.0)(x, t), unconditional, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(_steer("free", denoiser, 1.0)(x, t), conditional, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(_steer("none", denoiser, 5.0)(x, t), unconditional, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("which", ["noisy", "pixel"])
def test_classifier_guidance_moves_x_toward_the_target(denoiser, tiny_noisy_folder, tiny_model, which):
    """A small step along the steered noise's difference from the unguided one raises log p(target)."""
    from guidance.diffusion.classifier import load_noisy_classifier
    from guidance.diffusion.denoiser import to_pixels
    from guidance.diffusion.steering import predicted_clean

    classifier = load_noisy_classifier(tiny_noisy_folder, 8) if which == "noisy" else tiny_model.eval()
    from guidance.data.images import as_pixels
    from guidance.diffusion.denoiser import add_noise

    data, t = _sample_data(), torch.tensor(300)
    twos = as_pixels(data.train_images[data.train_labels == 2][:4]) * 2 - 1  # noised real 2s: p(8) is not saturated
    x = add_noise(twos, torch.randn(twos.shape, generator=torch.Generator().manual_seed(0)), t.expand(4), _alphas().float())
    with torch.no_grad():
        unguided = _steer("none", denoiser, 0.0)(x, t)
    steered = _steer("classifier", denoiser, 1.0, classifier)(x, t)
    alpha_bar = torch.tensor(float(_alphas()[300]))
    direction = -(steered - unguided) / (1 - alpha_bar).sqrt()  # = grad log p(target)
    assert direction.abs().sum() > 0

    def log_p(images):
        with torch.no_grad():
            if which == "noisy":
                logits = classifier(images, t.expand(4))
            else:
                logits = classifier(to_pixels(predicted_clean(images, _steer("none", denoiser, 0)(images, t), alpha_bar)))
        return logits.log_softmax(1)[:, 0]

    step = 1e-2 / direction.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    assert bool((log_p(x + step * direction) > log_p(x)).all())
    with torch.no_grad():
        torch.testing.assert_close(_steer("classifier", denoiser, 0.0, classifier)(x, t), unguided, atol=1e-5, rtol=1e-4)


def _alphas():
    from guidance.diffusion.denoiser import noise_scheduler

    return noise_scheduler(1000, "squaredcos_cap_v2").alphas_cumprod


def _diffuse(folder, out, **changes):
    from guidance.api import diffuse

    config = DiffuseConfig(denoiser=str(folder), batch=4, sampling_steps=6, snapshot_every=2, judge=False).override(**changes)
    return diffuse(config, out=out)


def test_free_guidance_with_a_negative_class_pushes_away_from_it(denoiser):
    """The negative class's prediction takes the unconditional one's place (diffusers' negative prompt)."""
    from guidance.diffusion.denoiser import noise_scheduler
    from guidance.diffusion.steering import steered_noise

    alphas = noise_scheduler(1000, "squaredcos_cap_v2").alphas_cumprod.float()
    x, t = torch.randn(4, 1, 28, 28), torch.tensor(600)
    with torch.no_grad():
        threes = denoiser(x, t.expand(4), torch.full((4,), 3))
        eights = denoiser(x, t.expand(4), torch.full((4,), 8))
        steered = steered_noise("free", denoiser, 2.5, 8, alphas, negative=3)(x, t)
    torch.testing.assert_close(steered, threes + 2.5 * (eights - threes), atol=1e-5, rtol=1e-4)


def test_classifier_guidance_away_from_the_same_classifier_cancels(denoiser, tiny_noisy_folder):
    """grad log p(target) - grad log p(negative): the same classifier on both sides leaves the unguided noise."""
    from guidance.diffusion.classifier import load_noisy_classifier

    classifier = load_noisy_classifier(tiny_noisy_folder, 8)
    x, t = torch.randn(4, 1, 28, 28), torch.tensor(300)
    with torch.no_grad():
        unguided = _steer("none", denoiser, 0.0)(x, t)
    guided = _steer("classifier", denoiser, 3.0, classifier)(x, t)
    assert (guided - unguided).abs().max() > 1e-4
    from guidance.diffusion.steering import steered_noise

    cancelled = steered_noise("classifier", denoiser, 3.0, 8, _alphas().float(), classifier, 3, classifier)(x, t)
    torch.testing.assert_close(cancelled, unguided, atol=1e-5, rtol=1e-4)


def test_image_to_image_strength_trades_the_start_against_the_denoiser(tiny_denoiser_folder, tmp_path):
    """SDEdit: a low strength enters late in the schedule and stays near the start; a high one moves further."""
    from guidance.diffusion.sampling import entry_step

    assert [entry_step(50, s) for s in (1.0, 0.6, 0.02, 0.01)] == [0, 20, 49, 50]
    start = dict(start="digit:2", sampling_steps=10, snapshot_every=1)
    light = _diffuse(tiny_denoiser_folder, tmp_path / "light", strength=0.2, **start)
    heavy = _diffuse(tiny_denoiser_folder, tmp_path / "heavy", strength=0.9, **start)
    _diffuse(tiny_denoiser_folder, tmp_path / "again", strength=0.2, **start)
    assert light.result.history[0]["step"] == 8 and heavy.result.history[0]["step"] == 1
    assert light.summary["images"][0]["start"] == "test 2 #0"
    np.testing.assert_array_equal(light.result.start.numpy(), heavy.result.start.numpy())  # the real 2s, not noise
    l2 = lambda outcome: np.mean([image["l2"] for image in outcome.summary["images"]])  # noqa: E731
    assert l2(light) < l2(heavy)
    assert (tmp_path / "light" / "images.npz").read_bytes() == (tmp_path / "again" / "images.npz").read_bytes()


@pytest.mark.parametrize("sampler", ["ddim", "ddpm", "dpm"])
def test_same_config_and_seed_give_byte_identical_images(tiny_denoiser_folder, tmp_path, sampler):
    first = _diffuse(tiny_denoiser_folder, tmp_path / "a", sampler=sampler)
    second = _diffuse(tiny_denoiser_folder, tmp_path / "b", sampler=sampler)
    assert (tmp_path / "a" / "images.npz").read_bytes() == (tmp_path / "b" / "images.npz").read_bytes()
    other = _diffuse(tiny_denoiser_folder, tmp_path / "c", sampler=sampler, seed=1)
    assert not torch.equal(first.result.final, other.result.final)
    assert first.summary["steps_done"] == 6 and second.summary["status"] == "finished"


def test_image_i_is_the_same_whatever_the_batch(tiny_denoiser_folder, tmp_path):
    """Image i starts from seed + i: a batch of 2 is the first two images of a batch of 4 (ddpm's noise too)."""
    four = _diffuse(tiny_denoiser_folder, tmp_path / "four", sampler="ddpm")
    two = _diffuse(tiny_denoiser_folder, tmp_path / "two", sampler="ddpm", batch=2)
    torch.testing.assert_close(two.result.final, four.result.final[:2], atol=1e-5, rtol=1e-4)


def test_a_diffusion_run_folder_reads_like_a_guide_run(tiny_denoiser_folder, tmp_path):
    from guidance.runs.browse import read_run
    from guidance.runs.folders import load_images

    outcome = _diffuse(tiny_denoiser_folder, tmp_path / "run", judge=True, batch=2)
    arrays = load_images(tmp_path / "run")
    assert arrays["frames"].shape == arrays["predicted"].shape == (4, 2, 28, 28)  # steps 0, 2, 4 and the end
    assert list(arrays["steps"]) == [0, 2, 4, 6]
    np.testing.assert_array_equal(arrays["predicted"][-1], arrays["final"])
    assert arrays["final"].min() >= 0 and arrays["final"].max() <= 1
    record = read_run(tmp_path / "run")
    assert record.config["guidance"] == "free" and [row["step"] for row in record.log] == [0, 2, 4, 6]
    assert set(outcome.summary["verdicts"]) >= {"generated", "flip", "unrealistic"}
    assert sum(outcome.summary["verdicts"].values()) == 2
    for command in (["show", tmp_path / "run"], ["list", "--root", tmp_path], ["judge", tmp_path / "run"]):
        result = invoke(*command)
        assert result.exit_code == 0, result.output


def test_unguided_sampling_takes_a_census(tiny_denoiser_folder, tmp_path):
    outcome = _diffuse(tiny_denoiser_folder, tmp_path / "run", guidance="none", judge=True)
    census = outcome.summary["census"]
    assert census["n"] == 4 and sum(census["counts"].values()) == 4 and len(census["real"]) == 4
    assert census["data_share"]["8"] == pytest.approx(0.1, abs=0.03)


@pytest.mark.parametrize("args, fragment", [
    (["--scale", "-1"], "scale must be a finite number >= 0"),
    (["--guidance", "clasifier"], "did you mean 'classifier'"),
    (["--sampler", "euler"], "unknown sampler 'euler'"),
    (["--sampling-steps", "1001"], "more than the denoiser's schedule has (1000)"),
    (["--target", "12"], "target 12 is out of range"),
    (["--batch", "0"], "batch must be > 0"),
    (["--guidance", "classifier", "--model", "nope"], "or 'noisy', the noise-aware classifier"),
    (["--start", "digit:2", "--strength", "0"], "strength must be in (0, 1], got 0.0"),
    (["--start", "digit:2", "--strength", "1.5"], "strength must be in (0, 1], got 1.5"),
    (["--start", "digit:2", "--strength", "nan"], "strength must be in (0, 1], got nan"),
    (["--strength", "0.5"], "needs an image to start from"),
    (["--start", "digt:2", "--strength", "0.5"], "unknown start 'digt' (did you mean 'digit'?)"),
    (["--negative", "8"], "negative class 8 is the target itself"),
    (["--negative", "12"], "negative 12 is out of range"),
    (["--negative", "sneaker"], "unknown digit 'sneaker'"),
    (["--negative", "3", "--guidance", "none"], "a negative class needs guidance"),
])
def test_bad_diffuse_options_get_one_line_and_write_nothing(tiny_denoiser_folder, tmp_path, args, fragment):
    out = tmp_path / "run"
    result = invoke("diffuse", "--denoiser", tiny_denoiser_folder, "--out", out, *args)
    one_line_error(result, fragment)
    assert not out.exists()


def test_classifier_guidance_with_a_model_for_another_target_is_refused(tiny_denoiser_folder, tiny_model_folder, tmp_path):
    out = tmp_path / "run"
    result = invoke("diffuse", "--denoiser", tiny_denoiser_folder, "--guidance", "classifier",
                    "--model", tiny_model_folder, "--target", "3", "--out", out)
    one_line_error(result, "separates digit '8' from the rest, not '3'")
    assert not out.exists()


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_missing_or_corrupt_denoiser_is_one_line(tiny_denoiser_folder, tmp_path, damage):
    import shutil

    folder = tmp_path / "denoiser"
    if damage == "corrupt":
        shutil.copytree(tiny_denoiser_folder, folder)
        (folder / "weights.safetensors").write_bytes(b"\x00" * 64)
    out = tmp_path / "run"
    result = invoke("diffuse", "--denoiser", folder, "--out", out)
    one_line_error(result, "denoiser")
    assert not out.exists()


def test_a_guide_run_config_is_not_a_diffusion_config(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('loss = "l1"\n')  # no kind: read by its keys, as files from before kinds are
    one_line_error(invoke("diffuse", "--config", config), "is a 'run' config; run it with guide run --config")
    config.write_text('kind = "diffuse"\nscale = 2.0\n')
    one_line_error(invoke("run", "--config", config), "is a 'diffuse' config; run it with guide diffuse --config")


def test_configs_check_their_values():
    with pytest.raises(ConfigError, match="label_dropout"):
        DenoiserConfig(label_dropout=0.0).validate()
    with pytest.raises(ConfigError, match="did you mean 'squaredcos_cap_v2'"):
        NoisyClassifierConfig(schedule="squaredcos").validate()
    assert DenoiserConfig().cache_key() != DenoiserConfig(epochs=1).cache_key()


@pytest.mark.train
def test_guide_train_makes_both_diffusion_models(tmp_path):
    """`guide train --preset denoiser | noisy` writes a model folder the sampler loads, and reports its test metrics."""
    from guidance.diffusion.classifier import load_noisy_classifier
    from guidance.diffusion.denoiser import load_denoiser

    denoiser = invoke("train", "--preset", "denoiser", "--epochs", "1", "--train-limit", "256", "--out", tmp_path / "d")
    assert denoiser.exit_code == 0, denoiser.output
    assert "noise MSE" in denoiser.output and load_denoiser(tmp_path / "d").config.train_limit == 256
    noisy = invoke("train", "--preset", "noisy", "--target", "3", "--epochs", "1", "--train-limit", "512", "--out", tmp_path / "n")
    assert noisy.exit_code == 0, noisy.output
    assert "3 vs rest" in noisy.output and load_noisy_classifier(tmp_path / "n", 3).class_names == ["3", "not_3"]


def test_guide_train_refuses_a_target_for_the_denoiser_and_a_misspelt_preset():
    one_line_error(invoke("train", "--preset", "denoiser", "--target", "3"), "the denoiser learns every class")
    one_line_error(invoke("train", "--preset", "denoisr"), "did you mean 'denoiser'")


def test_an_interrupted_sampling_keeps_what_it_made(tiny_denoiser_folder, tmp_path):
    """Ctrl-C mid-sampling: the run is marked interrupted and keeps its frames and the last predicted image."""
    from guidance.optimize.loop import Callback

    class CtrlC(Callback):
        def after_log(self, record):
            if record["step"] == 2:
                raise KeyboardInterrupt

    from guidance.api import diffuse

    config = DiffuseConfig(denoiser=str(tiny_denoiser_folder), batch=2, sampling_steps=6, snapshot_every=2, judge=False)
    outcome = diffuse(config, out=tmp_path / "run", callbacks=[CtrlC()])
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "interrupted" and "step 2" in summary["message"]
    assert outcome.result.frame_steps == [0, 2]
    np.testing.assert_array_equal(outcome.result.final.numpy(), outcome.result.predicted[-1].numpy())


def test_a_noise_aware_classifier_folder_guides_like_the_preset(tiny_denoiser_folder, tiny_noisy_folder, tmp_path):
    from guidance.api import diffuse
    from guidance.diffusion.classifier import NoisyClassifier

    config = DiffuseConfig(denoiser=str(tiny_denoiser_folder), guidance="classifier", model=str(tiny_noisy_folder),
                           batch=2, sampling_steps=4, judge=False)
    assert isinstance(diffuse(config, out=tmp_path / "run").model, NoisyClassifier)


def test_a_strength_sweep_reports_what_is_left_of_the_start_and_draws_it(tiny_denoiser_folder, tmp_path):
    path = tmp_path / "strength.toml"
    path.write_text(f'[base]\nkind = "diffuse"\ndenoiser = "{tiny_denoiser_folder}"\nstart = "digit:2"\nbatch = 2\n'
                    'sampling_steps = 6\nsnapshot_every = 3\nnegative = 3\n[axes]\nstrength = [0.3, 1.0]\n')
    result = invoke("sweep", path, "--out", tmp_path / "sweep", "--workers", "1")
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert [row["start"] for row in rows] == ["digit:2 @ 0.3", "digit:2 @ 1.0"]
    assert all(0 <= row["p_start_mean"] <= 1 and 0 <= row["p_negative_mean"] <= 1 for row in rows)
    assert (tmp_path / "sweep" / "strengths.png").stat().st_size > 0


def test_a_run_steered_away_from_class_0_records_the_judges_p_of_it(tiny_denoiser_folder, tmp_path):
    """Class 0 is a class like any other (a falsy index once broke this)."""
    outcome = _diffuse(tiny_denoiser_folder, tmp_path / "run", negative=0, judge=True, batch=2)
    assert all(0 <= image["judge_p_negative"] <= 1 for image in outcome.summary["images"])
