"""The pen-strokes parameterisation: it draws like MNIST, its gradient reaches the pen, its noise is seeded."""

import pytest
import torch

from guidance.configs import RunConfig
from guidance.core.errors import ConfigError
from guidance.data.pen import BOX, POINTS, distance_to_path, draw, pen_path, random_pens
from guidance.optimize.loop import guide


def test_distance_to_path_matches_brute_force():
    path = torch.rand(2, 12, 2, generator=torch.Generator().manual_seed(0)) * 28
    pixels = torch.stack(torch.meshgrid(torch.arange(28) + 0.5, torch.arange(28) + 0.5, indexing="xy"), -1).view(-1, 2)
    a, b = path[:, :-1, None], path[:, 1:, None]  # (B, M, 1, 2)
    t = (((pixels - a) * (b - a)).sum(-1) / (b - a).square().sum(-1)).clamp(0, 1)
    brute = (pixels - (a + t[..., None] * (b - a))).norm(dim=-1).amin(1)
    assert torch.allclose(distance_to_path(path), brute, atol=0.05)  # float32 cancellation near the path


def test_a_scribble_is_drawn_like_an_mnist_digit():
    """Any control points: ink in [0, 1], the larger side filling the 20-pixel box, the centre of mass in the middle."""
    images = draw(random_pens(16, seed=3))
    assert images.shape == (16, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    ink = images[:, 0] > 0.5
    rows, cols = ink.any(2), ink.any(1)
    for row, col in zip(rows, cols):
        height = row.nonzero().max() - row.nonzero().min() + 1
        width = col.nonzero().max() - col.nonzero().min() + 1
        assert BOX - 3 <= max(height, width) <= BOX + 1
    grid = torch.arange(28.0) + 0.5
    mass = images[:, 0].sum((1, 2))
    centre_y = (images[:, 0].sum(2) * grid).sum(1) / mass
    assert (centre_y - 14).abs().max() < 2.5
    assert ((images > 0.99).sum() / (images > 0.05).sum()) > 0.15  # a pen, not a blur: part of the ink saturates


def test_the_path_starts_and_ends_at_its_end_points():
    points = random_pens(3, seed=0)[:, :POINTS]
    path = pen_path(points)
    assert torch.allclose(path[:, 0], points[:, 0], atol=1e-6) and torch.allclose(path[:, -1], points[:, -1], atol=1e-6)


def test_the_gradient_reaches_every_control_point_and_never_the_width():
    pens = random_pens(4, seed=1).requires_grad_(True)
    draw(pens).sum().backward()
    assert (pens.grad[:, :POINTS].norm(dim=2) > 0).all()
    assert (pens.grad[:, POINTS] == 0).all()


def test_each_image_has_its_own_pen_width():
    pens = random_pens(2, seed=0)
    pens[1, :POINTS] = pens[0, :POINTS]  # the same path, two widths
    pens[:, POINTS, 0] = torch.tensor([0.0, 1.0])
    thin, thick = draw(pens).sum((1, 2, 3))
    assert thick > 1.3 * thin


def test_strokes_noise_is_seeded_per_image():
    assert torch.equal(random_pens(3, seed=5)[1], random_pens(1, seed=6)[0])
    assert not torch.equal(random_pens(1, seed=5), random_pens(1, seed=6))


def test_the_loop_moves_the_pen_and_measures_from_the_scribble(tiny_model):
    start = torch.zeros(2, 1, 28, 28)  # ignored: the pen draws its own start
    result = guide(tiny_model, start, RunConfig(param="strokes", steps=20, lr=0.03, loss="logit", log_every=1, seed=4))
    assert torch.allclose(result.start, draw(random_pens(2, seed=4)))
    assert torch.allclose(result.frames[0], result.start)
    logits = [row["loss"] for row in result.history]
    assert logits[-1] < logits[0]
    assert not torch.allclose(result.final, result.start)


@pytest.mark.parametrize("start", ["digit:2", "blank", "file:x.png"])
def test_strokes_from_an_image_start_is_refused_in_one_line(start):
    with pytest.raises(ConfigError, match="param 'strokes' starts from its own noise"):
        RunConfig(param="strokes", start=start).validate()


def test_scribbles_are_a_junk_kind_the_judge_does_not_learn_unless_asked():
    from guidance.data.junk import JUDGE_JUNK, junk_images

    assert "scribbles" not in JUDGE_JUNK
    first = junk_images(4, torch.Generator().manual_seed(0), "scribbles")
    again = junk_images(4, torch.Generator().manual_seed(0), "scribbles")
    assert torch.equal(first, again) and first.shape == (4, 1, 28, 28)
    assert ((first > 0.99).sum((1, 2, 3)) > 10).all()  # pen ink, not noise


def test_an_unknown_junk_kind_is_refused_with_the_closest_name():
    from guidance.data.junk import junk_makers

    with pytest.raises(ConfigError, match="unknown junk 'scribble'.*scribbles"):
        junk_makers("scribbles,scribble")
