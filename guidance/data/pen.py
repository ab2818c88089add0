"""Pen strokes: an image drawn as one pen path, the way MNIST's digits were made.

The optimised tensor is not pixels but the control points of a smooth pen path (a clamped
uniform cubic B-spline through ``POINTS`` points in the unit square). ``render`` draws it as
MNIST's makers did: the path is scaled so its larger side fills a 20-pixel box and centred on
its centre of mass in a 28x28 frame, then inked with a round pen of anti-aliased edges. So every
image the loop can reach is a stroke someone could have written, and the classifier's gradient
only decides where the pen goes. Random control points are this parameterisation's "noise": a
scribble of no digit in particular, different for every seed, which is where the variety of
the drawn digits comes from.
"""

from __future__ import annotations

from functools import lru_cache

import torch

SIZE = 28
POINTS = 8  # control points of the pen path: enough for an 8's two loops
SAMPLES_PER_SPAN = 5  # points drawn per B-spline span: segments under a pixel long
BOX = 20  # MNIST scaled each digit to fit a 20x20 box, then centred it by its centre of mass
PEN_RADII = (0.55, 1.15)  # pixels: each image's pen is drawn from this range; MNIST's strokes are 1.5-4 pixels wide
PEN_EDGE = 0.3  # pixels: the anti-aliased edge's softness
GRADIENT_REACH = 1.0  # pixels: the softer edge the gradient sees, so ink wanted a few pixels away pulls the pen
PEN_GAIN = 1.3  # the pen's middle saturates: about a third of the inked pixels are full white, as in MNIST


@lru_cache(maxsize=None)  # the same constants every step: made once
def _spline_basis(samples: int) -> torch.Tensor:
    """(samples, 4) weights of a uniform cubic B-spline span at evenly spaced parameters."""
    u = torch.linspace(0, 1, samples + 1)[:-1]
    return torch.stack([(1 - u) ** 3, 3 * u**3 - 6 * u**2 + 4, -3 * u**3 + 3 * u**2 + 3 * u + 1, u**3], 1) / 6


def pen_path(points: torch.Tensor, samples: int = SAMPLES_PER_SPAN) -> torch.Tensor:
    """(B, N, 2) control points -> (B, P, 2) points along the clamped B-spline (it starts and ends at the ends)."""
    ends = points[:, :1], points[:, -1:]
    padded = torch.cat([ends[0], ends[0], points, ends[1], ends[1]], 1)
    windows = padded.unfold(1, 4, 1)  # (B, N + 2, 2, 4): four neighbouring control points per span
    path = torch.einsum("sj,bwcj->bwsc", _spline_basis(samples).to(points), windows).flatten(1, 2)
    return torch.cat([path, ends[1]], 1)


def fit_to_box(path: torch.Tensor, radius: torch.Tensor) -> torch.Tensor:
    """Scale a (B, P, 2) path as MNIST was normalised: larger side (with the (B,) pen radius) to the box, centre of mass to the middle."""
    low, high = path.amin(1, keepdim=True), path.amax(1, keepdim=True)
    size = (high - low).amax(2, keepdim=True).clamp_min(1e-3)
    scale = (BOX - 2 * radius.view(-1, 1, 1)) / size
    return (path - path.mean(1, keepdim=True)) * scale + SIZE / 2


@lru_cache(maxsize=None)
def _pixel_centres(device) -> torch.Tensor:
    centres = torch.arange(SIZE, dtype=torch.float32, device=device) + 0.5
    y, x = torch.meshgrid(centres, centres, indexing="ij")
    return torch.stack([x, y], -1).view(SIZE * SIZE, 2)


def distance_to_path(path: torch.Tensor) -> torch.Tensor:
    """(B, P, 2) path in pixels -> (B, 784) each pixel centre's distance to the nearest of its segments.

    Written with matrix products, not a (B, 784, P, 2) difference tensor: twice as fast on a CPU.
    """
    pixels = _pixel_centres(path.device)
    a, along = path[:, :-1], path[:, 1:] - path[:, :-1]  # segment starts and directions, (B, M, 2)
    length2 = (along**2).sum(-1).clamp_min(1e-8)[:, None]  # (B, 1, M)
    projection = pixels @ along.transpose(1, 2) - (a * along).sum(-1)[:, None]  # (p - a) . along
    to_start2 = (pixels**2).sum(-1)[None, :, None] - 2 * pixels @ a.transpose(1, 2) + (a**2).sum(-1)[:, None]
    t = (projection / length2).clamp(0, 1)  # where along the segment the nearest point is
    return (to_start2 - 2 * t * projection + t * t * length2).amin(2).clamp_min(1e-8).sqrt()


def draw(pens: torch.Tensor) -> torch.Tensor:
    """(B, POINTS + 1, 2) pens in [0, 1] -> (B, 1, 28, 28) inked pixels in [0, 1].

    Rows 0..POINTS-1 are the path's control points; row POINTS holds the pen's width (its first
    number, mapped onto PEN_RADII). The width is part of the noise, not of what the gradient moves:
    a model that liked one width would otherwise give every image that width.
    """
    radius = PEN_RADII[0] + (PEN_RADII[1] - PEN_RADII[0]) * pens[:, POINTS, 0].detach()
    distance = distance_to_path(fit_to_box(pen_path(pens[:, :POINTS]), radius))
    inside = radius[:, None] - distance
    ink = (torch.sigmoid(inside / PEN_EDGE) * PEN_GAIN).clamp(max=1)
    reach = torch.sigmoid(inside / GRADIENT_REACH)
    ink = ink + reach - reach.detach()  # looks like the pen, but pixels further away also pull on it
    return ink.view(-1, 1, SIZE, SIZE)


def random_pens(batch: int, seed: int) -> torch.Tensor:
    """(B, POINTS + 1, 2) pens uniform in [0, 1] (control points and width); image i from seed + i, like the noise starts."""
    return torch.stack([torch.rand(POINTS + 1, 2, generator=torch.Generator().manual_seed(seed + i)) for i in range(batch)])
