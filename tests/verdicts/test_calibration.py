"""The verdicts' calibration targets on full MNIST with the shipped models (bench/bench_verdicts.py prints them).

Marked slow (about 30 s). Every group is judged as if the guided model had reached p(8) >= 0.99,
so only the judge and the realism index decide.
"""

import pytest

from guidance.api import load_guided_model, load_run_judge
from guidance.data.images import as_pixels
from guidance.verdicts.battery import failure_battery
from guidance.verdicts.judge import judge_images, verdict_counts

pytestmark = pytest.mark.slow
KNOWN_GAP = {"L1-shrunk sketches"}  # legible thin 8s: the per-image verdict calls them generated (README)


@pytest.fixture(scope="module")
def setting(full_mnist):
    data = full_mnist
    standard = load_guided_model("standard", 8, data=lambda: data)
    robust = load_guided_model("robust", 8, data=lambda: data)
    return data, standard, load_run_judge(8, data=lambda: data), failure_battery(data, standard, robust)


def generated_share(judge, images, guided) -> float:
    verdicts = judge_images(judge, images, guided, 8, 0.99, guided_p=[1.0] * len(images))
    return verdict_counts(verdicts)["generated"] / len(images)


def test_real_test_eights_are_generated(setting):
    data, standard, judge, _ = setting
    assert generated_share(judge, as_pixels(data.test_digits(8)), standard) >= 0.97


@pytest.mark.parametrize("group", [
    "uniform noise", "gaussian noise", "standard model's blobs", "blurred mean images",
    "flips of 2, 3, 5 (L2 <= 3)", "curved strokes", "smooth textures",
    pytest.param("L1-shrunk sketches", marks=pytest.mark.xfail(strict=True, reason="legible thin 8s pass")),
])
def test_no_battery_group_passes_as_generated(setting, group):
    _, standard, judge, battery = setting
    assert len(battery[group]) >= 64
    assert generated_share(judge, battery[group], standard) <= 0.02


def test_the_verdict_sees_through_the_issues_blobs(setting):
    """The issue's example: the standard model's blurred blobs, which the old verdict passed 22 of 32."""
    _, standard, judge, battery = setting
    verdicts = judge_images(judge, battery["standard model's blobs"][:32], standard, 8, 0.99)
    assert all(v["verdict"] == "unrealistic" for v in verdicts)  # none of the ten, unsure, or far from real 8s
