"""The guidance loop: every term falls, constraints hold, batches are independent."""

import pytest
import torch
from torch import nn

from guidance.configs import RunConfig
from guidance.models.guided import GuidedModel
from guidance.optimize.loop import Callback, guide
from guidance.optimize.objectives import LOSSES, REGULARIZERS
from guidance.optimize.starts import make_start
from guidance.optimize.steps import SCHEDULES, STEP_RULES


def noise(batch=2, seed=0):
    return make_start("noise:uniform", batch, seed, data=None).pixels


@pytest.fixture(scope="module")
def twos(sample):
    """Two real test-set 2s: the model is sure they are not 8s, so every loss has room to fall."""
    return make_start("digit:2", 2, 0, data=lambda: sample).pixels


def run(model, start, **changes):
    config = RunConfig(**{"param": "pixel", "stop_each": False, "steps": 10, "log_every": 1, "snapshot_every": 5, "lr": 0.05, **changes})
    return guide(model, start, config)


def column(result, key):
    return [row[key] for row in result.history]


@pytest.mark.parametrize("loss", LOSSES.names())
def test_each_loss_falls(tiny_model, twos, loss):
    lr = {"l1": 0.3, "mse": 0.3}.get(loss, 0.1)
    result = run(tiny_model, twos, loss=loss, step="normalized", lr=lr)
    losses = column(result, "loss")
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("rule", STEP_RULES.names())
def test_each_step_rule_lowers_the_loss(tiny_model, twos, rule):
    lr = {"sgd": 0.5, "sign": 0.01, "normalized": 0.2, "adam": 0.01, "langevin": 0.2}[rule]
    losses = column(run(tiny_model, twos, loss="ce", step=rule, lr=lr), "loss")
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("name", REGULARIZERS.names())
def test_each_regularizer_term_falls(tiny_model, name):
    start = noise()
    # proximity is zero at the start, so move away first (from blank toward noise) to measure it falling
    changes = {"proximity": {"proximity": 1.0}}.get(name, {name: 1.0})
    start = torch.cat([start, start + 0.01]) if name == "diversity" else start  # two near twins to push apart
    result = run(tiny_model, start, loss="ce", step="normalized", lr=0.3, **changes)
    term = column(result, f"term_reg:{name}")
    if name == "proximity":
        assert max(term) < 1.0  # ce pulls away, proximity holds the image near the start
    else:
        assert term[-1] < term[0]


def test_schedules_start_at_one_and_decay():
    assert SCHEDULES.get("constant")(50, 100) == 1.0
    assert SCHEDULES.get("linear")(0, 100) == 1.0 and SCHEDULES.get("linear")(99, 100) < 0.02
    assert SCHEDULES.get("cosine")(0, 100) == 1.0 and SCHEDULES.get("cosine")(99, 100) < 0.01


def test_clamp_keeps_pixels_in_range_and_no_clamp_does_not(tiny_model, twos):
    clamped = run(tiny_model, twos, step="sgd", lr=50.0)
    assert clamped.last.min() >= 0 and clamped.last.max() <= 1
    free = run(tiny_model, twos, step="sgd", lr=50.0, clamp=False)
    assert free.last.min() < 0 or free.last.max() > 1


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_eps_ball_projection_holds(tiny_model, norm):
    start = noise()
    result = run(tiny_model, start, step="sign", lr=0.05, eps=0.1, eps_norm=norm, clamp=False)
    delta = (result.last - start).flatten(1)
    size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
    assert (size <= 0.1 + 1e-5).all() and (size > 0.05).all()


def test_batch_equals_single_runs(tiny_model):
    """Images in a batch never interact: batch of 3 == three runs with seed+i (jitter included)."""
    settings = dict(loss="ce", step="adam", lr=0.02, jitter=2, tv=0.01)
    together = guide(tiny_model, noise(3, seed=5), RunConfig(param="pixel", steps=8, seed=5, **settings))
    for i in range(3):
        alone = guide(tiny_model, noise(1, seed=5 + i), RunConfig(param="pixel", steps=8, seed=5 + i, **settings))
        torch.testing.assert_close(together.last[i], alone.last[0], rtol=1e-4, atol=1e-5)


def test_best_image_has_the_lowest_loss(tiny_model, twos):
    result = run(tiny_model, twos, loss="ce", step="sgd", lr=30.0, keep="best")
    assert result.final is result.best
    best_loss = guide(tiny_model, result.best, RunConfig(param="pixel", steps=1, loss="ce")).history[0]["images"]["loss"]
    all_losses = torch.tensor([row["images"]["loss"] for row in result.history])
    assert torch.allclose(torch.tensor(best_loss), all_losses.min(0).values, atol=1e-4)


def test_frames_record_the_trajectory_and_close_on_the_final_image(tiny_model, twos):
    result = run(tiny_model, twos, steps=12, loss="ce")
    assert result.frame_steps == [0, 5, 10, 12]
    assert result.history[-1]["step"] == 12 and result.status == "finished"
    torch.testing.assert_close(result.frames[0], twos)
    torch.testing.assert_close(result.frames[-1], result.last)
    assert not torch.equal(result.frames[1], result.frames[2])  # snapshots are copies, not views


def test_early_stop_at_threshold(tiny_model, twos):
    result = run(tiny_model, twos, loss="ce", step="normalized", lr=1.0, steps=200, threshold=0.9, early_stop=True)
    assert result.status == "early_stop" and result.steps_done < 200
    assert min(result.history[-1]["images"]["p_target"]) >= 0.9
    assert all(step is not None for step in result.reached_step)


class SqrtOfMean(nn.Module):
    """Logits [-sqrt(mean), 0]: minimising the 'logit' loss drives the mean negative, giving NaN."""

    def forward(self, x):
        value = -x.mean(dim=(1, 2, 3)).sqrt()
        return torch.stack([value, torch.zeros_like(value)], 1)


def test_nan_stops_the_run_and_keeps_what_it_made():
    model = GuidedModel(SqrtOfMean(), 1, (0.0,), (1.0,), ["8", "not_8"], 0)
    result = guide(model, torch.full((1, 1, 28, 28), 0.5), RunConfig(param="pixel", loss="logit", step="sgd", lr=500.0, clamp=False, steps=50, log_every=1))
    assert result.status == "nan" and "non-finite" in result.message
    assert result.steps_done < 50 and len(result.history) >= 1


def test_interrupt_keeps_partial_result(tiny_model):
    class StopAt(Callback):
        def after_log(self, record):
            if record["step"] == 6:
                raise KeyboardInterrupt

    result = guide(tiny_model, noise(), RunConfig(param="pixel", steps=100, log_every=2, stop_each=False), [StopAt()])  # never early-stops
    assert result.status == "interrupted" and result.steps_done == 6
    assert result.frames.shape[0] >= 2


def test_normalized_space_steps_the_network_input(tiny_model):
    """With 'normalized' space the sgd step is taken on (x - mean) / std, as the write-up did."""
    start = noise(1)
    config = RunConfig(param="pixel", steps=1, step="sgd", lr=0.1, space="normalized", clamp=False, loss="ce")
    result = guide(tiny_model, start, config)
    inputs = tiny_model.normalize(start).requires_grad_(True)
    loss = -tiny_model.net(inputs).log_softmax(1)[:, 0].sum()
    (grad,) = torch.autograd.grad(loss, inputs)
    torch.testing.assert_close(result.last, tiny_model.denormalize(inputs - 0.1 * grad).detach())


def test_blur_every_k_steps_smooths_the_image(tiny_model):
    from guidance.optimize.objectives import total_variation

    start = noise()
    blurred = guide(tiny_model, start, RunConfig(param="pixel", steps=4, lr=1e-6, blur_every=2, blur_sigma=1.0, stop_each=False))
    plain = guide(tiny_model, start, RunConfig(param="pixel", steps=4, lr=1e-6, stop_each=False))
    assert (total_variation(blurred.last, start) < 0.5 * total_variation(plain.last, start)).all()


def test_cuda_on_a_machine_without_one_is_a_clear_error(tiny_model):
    from guidance.core.errors import ConfigError

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        guide(tiny_model, noise(), RunConfig(param="pixel", steps=1, device="cuda"))


def test_diversity_pushes_twins_apart_and_not_together():
    """The sign test (a peer library shipped this term inverted): descending it separates near-identical images."""
    from guidance.optimize.objectives import diversity

    base = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    images = torch.cat([base, base + 1e-3 * torch.randn(base.shape, generator=torch.Generator().manual_seed(1)),
                        torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(2))]).requires_grad_(True)
    before = (images[0] - images[1]).norm()
    grad = torch.autograd.grad(diversity(images, images).sum(), images)[0]
    assert torch.isfinite(grad).all()
    after = (images - 0.05 * grad / grad.norm())[:2]
    assert (after[0] - after[1]).norm() > before
    assert diversity(images[:1], images[:1]).tolist() == [0.0]


def test_langevin_noise_is_seeded_per_image(tiny_model):
    start = noise(batch=2)
    one = run(tiny_model, start, step="langevin", lr=0.1, noise=0.05)
    two = run(tiny_model, start, step="langevin", lr=0.1, noise=0.05)
    alone = run(tiny_model, start[:1], step="langevin", lr=0.1, noise=0.05)
    quiet = run(tiny_model, start, step="langevin", lr=0.1, noise=0.0)
    assert torch.equal(one.final, two.final) and torch.allclose(alone.final[0], one.final[0], atol=1e-6)
    assert not torch.allclose(one.final, quiet.final)  # the noise moves the images


def test_stop_each_freezes_an_image_once_it_reaches_the_threshold(tiny_model, twos):
    result = run(tiny_model, twos, loss="ce", step="normalized", lr=1.0, steps=60, threshold=0.9, stop_each=True,
                 snapshot_every=10)
    assert all(step is not None and step < 50 for step in result.reached_step)
    assert all(p >= 0.9 for p in result.final_p_target)
    # the first to reach the threshold did not move while the other went on; then nothing could move
    first = min(range(2), key=lambda i: result.reached_step[i])
    frame = next(k for k, step in enumerate(result.frame_steps) if step > result.reached_step[first])
    assert torch.equal(result.frames[frame][first], result.final[first])
    assert result.status == "early_stop" and result.steps_done == max(result.reached_step)


def test_a_pen_run_with_stops_and_restarts_resumes_byte_identical(tiny_model):
    """Stopped images skipped by the model, scribbles restarted: a resumed run still makes the same images."""

    class KeepState(Callback):
        state = None

        def at_checkpoint(self, state):
            if state.step == 10:
                KeepState.state = state

    config = RunConfig(param="strokes", loss="ce", lr=0.05, steps=24, threshold=0.9, restart_every=6,
                       snapshot_every=5, log_every=1, seed=2)
    start = torch.zeros(4, 1, 28, 28)
    whole = guide(tiny_model, start, config, [KeepState()])
    assert any(r is not None for r in whole.reached_step)  # some stopped, so the fast path ran
    resumed = guide(tiny_model, KeepState.state.start, config, resume=KeepState.state)
    assert torch.equal(whole.final, resumed.final) and whole.reached_step == resumed.reached_step
