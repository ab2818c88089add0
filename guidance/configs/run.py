"""One guidance-loop experiment: ``guide run``, and each experiments/*.toml without a ``guidance`` key."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from guidance.configs.base import ConfigBase, check_target, choice, positive, require
from guidance.configs.presets import DEFAULT_MODEL, DEVICES
from guidance.core.datasets import DEFAULT_DATASET, get_dataset


@dataclass(frozen=True)
class RunConfig(ConfigBase):
    """One guidance experiment. Written into every run folder as config.toml."""

    kind: ClassVar[str] = "run"

    experiment: str = "adhoc"  # a name for the run folder and tables
    model: str = DEFAULT_MODEL  # a preset (robust10, robust, standard, blog) or a model folder / learner .pkl path
    dataset: str = DEFAULT_DATASET  # mnist or fashion-mnist: the models, the judge and the real images compared with
    target: int = 8  # the class the image is pushed toward: an index, or a name ('sneaker') turned into one
    start: str = "noise"  # noise (per-pixel Gaussian of no digit), noise:uniform, noise:gaussian, blank, digit:N, file:PATH
    batch: int = 1  # images optimised at once; image i uses seed+i or digit index I+i
    seed: int = 0  # seeds the start noise and jitter; same seed, same images
    loss: str = "ce"  # l1, mse (softmax vs one-hot, the write-up's), ce, logit, margin
    steps: int = 500  # optimisation steps: 500 unit-L2 steps of 0.05 leave room to draw an 8 (L2 ~10)
    step: str = "normalized"  # step rule: sgd (the write-up's), sign, normalized, adam
    lr: float = 0.05  # step size (per-image L2 length for 'normalized' and 'langevin', per-pixel for 'sign')
    noise: float = 0.01  # step = 'langevin': std of the Gaussian noise added to each pixel after each step (annealed like lr)
    schedule: str = "constant"  # step size over time: constant, linear, cosine
    space: str = "pixel"  # where the step is taken: 'pixel' [0,1] or 'normalized' model input
    param: str = "auto"  # what is optimised: the pixels, a latent shown 'blur'red, a 'lowres' grid, or a pen path ('strokes'); auto: see `parameterisation`
    param_sigma: float = 0.5  # blur width for param = 'blur': smooth ink, not single-pixel speckle
    param_factor: int = 2  # 28 / grid size for param = 'lowres' (2, 4, 7 or 14)
    clamp: bool = True  # keep pixels in [0, 1] after each step; false replays the write-up
    eps: float = 0.0  # radius of the ball around the start the image stays in (0 = none)
    eps_norm: str = "linf"  # norm of that ball: linf or l2
    l2: float = 0.0  # weight of the L2 shrink term (sum of squared pixels)
    l1: float = 0.0  # weight of the L1 shrink term (sum of absolute pixels)
    tv: float = 0.0  # weight of the total-variation term (smoothness)
    proximity: float = 0.0  # weight of the squared L2 distance to the start image
    diversity: float = 0.0  # weight of the repulsion between the batch's images (RBF kernel, as in SVGD): variety
    blur_every: int = 0  # Gaussian-blur the image every k steps (0 = never)
    blur_sigma: float = 0.5  # blur width in pixels
    jitter: int = 0  # shift the model's view by up to this many pixels each step
    threshold: float = 0.99  # p(target) that counts as reached
    early_stop: bool = False  # stop once every image reaches the threshold
    stop_each: bool = True  # freeze each image once it reaches the threshold (the others go on): pushing on makes every image one prototype
    restart_every: int = 50  # param 'strokes': every k steps, an image still under the threshold starts again from a fresh scribble (0 = never)
    keep: str = "last"  # which image 'final' holds: the last one or the best by loss
    log_every: int = 10  # steps between log rows
    snapshot_every: int = 50  # steps between saved frames
    device: str = "auto"  # auto, cpu or cuda
    judge: bool = True  # give every image a verdict (flip / generated / ...) at the end
    tensorboard: str = ""  # also log the run to TensorBoard under this folder ('' = not); one TensorBoard run per run folder

    @property
    def parameterisation(self) -> str:
        """``param`` with 'auto' resolved: a pen path from noise on handwriting (MNIST), else a blurred latent.

        Pixels themselves when stepping in the normalized space. A pen path draws only strokes someone
        could write; it cannot start from an image, and clothes are not drawn with a pen.
        """
        if self.param != "auto":
            return self.param
        if self.space != "pixel":
            return "pixel"
        return "strokes" if self.from_noise and get_dataset(self.dataset).kind == "digit" else "blur"

    @property
    def from_noise(self) -> bool:
        """Whether the start is noise of some kind (``noise``, ``noise:uniform``, ...), not an image."""
        return self.start.partition(":")[0] == "noise"

    def validate(self) -> None:
        check_target(self.target, self.dataset)
        require(self.model != "default", "model 'default' is gone: the plain CNN is now 'standard', and the default "
                 f"model (the one whose gradient draws) is '{DEFAULT_MODEL}'; name one of them")
        for name in ("steps", "batch", "log_every", "snapshot_every"):
            value = getattr(self, name)
            require(value > 0, f"{name.replace('_', ' ')} must be > 0, got {value}")
        positive("lr", self.lr)
        require(self.eps >= 0 and math.isfinite(self.eps), f"eps must be >= 0, got {self.eps}")
        for name in ("l2", "l1", "tv", "proximity", "diversity", "noise", "blur_sigma", "param_sigma"):
            value = getattr(self, name)
            require(value >= 0 and math.isfinite(value), f"{name} must be >= 0, got {value}")
        require(self.blur_every >= 0, f"blur_every must be >= 0, got {self.blur_every}")
        require(self.jitter >= 0, f"jitter must be >= 0, got {self.jitter}")
        require(self.restart_every >= 0, f"restart_every must be >= 0, got {self.restart_every}")
        require(self.param_factor in (1, 2, 4, 7, 14), f"param_factor must divide 28 (2, 4, 7, 14), got {self.param_factor}")
        require(
            self.parameterisation == "pixel" or self.space == "pixel",
            f"param '{self.param}' works in pixel space; use space = 'pixel' with it, or param = 'pixel' to step in the normalized space",
        )
        require(
            self.parameterisation != "strokes" or self.from_noise,
            f"param 'strokes' starts from its own noise, random pen strokes; use it with start = 'noise' "
            f"(got '{self.start}'), or param = 'blur' to move a start image's pixels",
        )
        require(0 < self.threshold <= 1, f"threshold must be in (0, 1], got {self.threshold}")
        choice("space", self.space, ["pixel", "normalized"])
        choice("eps_norm", self.eps_norm, ["linf", "l2"])
        choice("keep", self.keep, ["last", "best"])
        choice("device", self.device, DEVICES)
        # loss, step, schedule and param name registry entries: the loop's registries check them
        # (guidance.optimize.names), so a new entry needs no second list here.
