"""The diffusion targets on full MNIST with the shipped denoiser and classifiers.

Marked slow (about a minute: nothing trains). bench/bench_diffuse.py prints the same figures, with timings.
"""

import json
from pathlib import Path

import pytest

from tests.cli_helpers import invoke

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_dir(full_mnist):
    return full_mnist.source.removeprefix("mnist:")


def diffuse(tmp_path, name, *options):
    result = invoke("diffuse", *options, "--out", tmp_path / name)
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / name / "summary.json").read_text())


def test_guide_diffuse_defaults_make_real_and_varied_eights(data_dir, tmp_path):
    """Issue 23's target is >= 95% of 64 generated; the 24-48-48 denoiser at the default scale 2.0 makes
    58 of 64 (docs/diffusion.md), so this holds a floor under that; recall >= 0.8 of real-vs-real (0.85 measured)."""
    summary = diffuse(tmp_path, "defaults", "--batch", "64", "--data", data_dir)
    assert summary["config"]["guidance"] == "free" and summary["verdicts"]["generated"] >= 54
    sets = summary["set_metrics"]
    assert sets["recall"] >= 0.8 * sets["recall_real"] and sets["twins"] <= 0.05


def test_without_guidance_the_denoiser_makes_every_digit(data_dir, tmp_path):
    """The 8s come from the guidance: unguided, 8s are about as rare as in the data and every digit appears."""
    census = diffuse(tmp_path, "none", "--guidance", "none", "--batch", "64", "--data", data_dir)["census"]
    assert census["digits_made"] == 10
    assert abs(census["share"]["8"] - census["data_share"]["8"]) <= 0.08
    assert census["real_share"] >= 0.65  # floor of the measured share, 46 of 64 (72%; the 90% target is not reached)


def test_the_sneaker_denoiser_makes_real_sneakers_and_every_class(data_dir, tmp_path):
    """Fashion-MNIST: experiments/diffuse-sneaker.toml makes 60 of 64 generated; unguided, all ten classes."""
    config = Path(__file__).resolve().parents[2] / "experiments" / "diffuse-sneaker.toml"
    sneakers = diffuse(tmp_path, "sneaker", "--config", config, "--data", data_dir)
    assert sneakers["verdicts"]["generated"] >= 56
    census = diffuse(tmp_path, "clothes", "--guidance", "none", "--dataset", "fashion-mnist", "--batch", "64",
                     "--data", data_dir)["census"]
    assert census["digits_made"] == 10 and census["real_share"] >= 0.7  # 49 of 64 (77%) measured


def test_the_robust_classifier_steers_the_denoiser_and_the_standard_one_mostly_flips(data_dir, tmp_path):
    robust = diffuse(tmp_path, "robust", "--guidance", "classifier", "--model", "robust", "--scale", "30",
                     "--batch", "32", "--data", data_dir)
    standard = diffuse(tmp_path, "standard", "--guidance", "classifier", "--model", "standard", "--scale", "30",
                       "--batch", "32", "--data", data_dir)
    assert robust["verdicts"]["generated"] >= 0.9 * 32
    assert standard["verdicts"]["generated"] <= 0.5 * 32 and standard["verdicts"]["flip"] >= 0.25 * 32
    sure = [image for image in standard["images"] if image["p_guide"] >= 0.99]
    assert len(sure) >= 0.75 * 32  # the standard CNN is sure of its "8s" all the same (27 of 32 measured)
