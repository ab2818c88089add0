"""Set metrics: the PRDC arithmetic matches the reference package, and the measures behave.

The behaviour tests use the shipped judge on the embedded sample: real 8s against other
real 8s score near the real-vs-real baseline, noise scores far, and 64 copies of one 8
cover almost nothing.
"""

import contextlib
import io

import pytest
import torch

from guidance.data.images import as_pixels
from guidance.verdicts.judge import load_judge
from guidance.verdicts.metrics import c2st_accuracy, frechet_distance, precision_recall_density_coverage, set_metrics


def test_prdc_matches_the_reference_implementation():
    prdc = pytest.importorskip("prdc")
    generator = torch.Generator().manual_seed(0)
    real, fake = torch.randn(300, 16, generator=generator), torch.randn(64, 16, generator=generator) * 1.3 + 0.2
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints its sample sizes
        expected = prdc.compute_prdc(real.numpy(), fake.numpy(), nearest_k=5)
    measured = precision_recall_density_coverage(real, fake, k=5)
    assert measured == pytest.approx({name: float(value) for name, value in expected.items()}, abs=1e-6)


def test_frechet_distance_is_zero_for_one_set_and_grows_with_a_shift():
    features = torch.randn(500, 8, generator=torch.Generator().manual_seed(1))
    assert frechet_distance(features, features) == pytest.approx(0, abs=1e-6)
    assert frechet_distance(features, features + 1) == pytest.approx(8, rel=0.01)  # ||mean shift||^2


@pytest.fixture(scope="module")
def judge(sample):
    return load_judge(lambda: sample, 8)


def test_set_metrics_tell_real_from_noise_from_copies(judge, sample):
    eights = sample.test_digits(8)
    real = set_metrics(judge, as_pixels(eights[1::2][:64]), eights)  # mostly other test 8s than the baseline
    assert real["fd"] < 3 * real["fd_real"] and real["recall"] > 0.5 * real["recall_real"]
    noise = set_metrics(judge, torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(2)), eights)
    assert noise["fd"] > 10 * noise["fd_real"] and noise["precision"] < 0.1
    copies = set_metrics(judge, as_pixels(eights[:1]).expand(64, -1, -1, -1), eights)
    assert copies["recall"] < 0.1 and copies["coverage"] < 0.1 < copies["coverage_real"]
    assert copies["twins"] == 1.0 and real["twins"] <= 0.05 and real["twins_real"] <= 0.05  # near-duplicates
    jittered = as_pixels(eights[:32]).repeat(2, 1, 1, 1) + 0.01 * torch.rand(64, 1, 28, 28)  # each image twice
    assert set_metrics(judge, jittered, eights)["twins"] == 1.0


def test_small_batches_get_no_set_metrics(judge, sample):
    assert set_metrics(judge, as_pixels(sample.test_digits(8)[:3]), sample.test_digits(8)) is None


def test_c2st_cannot_tell_one_distribution_from_itself_and_tells_shifted_ones():
    generator = torch.Generator().manual_seed(4)
    first, second = torch.randn(64, 32, generator=generator), torch.randn(64, 32, generator=generator)
    assert c2st_accuracy(first, second) < 0.65  # chance, give or take a small sample's luck
    assert c2st_accuracy(first, second + 1.0) > 0.9  # the sign: a real shift is found, not hidden


def test_c2st_sits_beside_its_real_vs_real_value(judge, sample):
    eights = sample.test_digits(8)
    noise = set_metrics(judge, torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(2)), eights)
    assert noise["c2st"] > 0.95
    assert noise["c2st_real"] is not None and noise["c2st_real"] < 0.7
    copies = set_metrics(judge, as_pixels(eights[:1]).expand(64, -1, -1, -1), eights)
    assert copies["c2st"] > 0.9  # 64 copies of one real 8 are told from 64 different ones
