"""The guidance loop: move pixels along a classifier's gradient toward a target.

One ``for`` loop in ``guide``. It never prints, plots or saves; it returns a
``GuideResult`` and fires events on callbacks (``before_run``, ``after_log``,
``after_snapshot``, ``at_checkpoint``, ``after_run``), which is where progress bars,
JSONL logs, TensorBoard, checkpoints and custom hooks live. ``guide(..., resume=state)``
continues from a ``LoopState`` as if the run had never stopped: the same images, to the byte.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import torch

from guidance.configs import RunConfig
from guidance.models.guided import GuidedModel
from guidance.optimize.objectives import build_objective
from guidance.optimize.params import make_parameterisation
from guidance.optimize.steps import SCHEDULES, STEP_RULES, gaussian_blur, jitter_view, per_image_norm, project_ball

JITTER_SEED_OFFSET = 1_000_003  # jitter draws use their own seeds, apart from the start noise
RESTART_SEED_OFFSET = 2_000_003  # restart r of image i draws its noise from seed + i + r * this


class Callback:
    """Hooks into the loop; override what you need. ``record`` rows are plain dicts."""

    def before_run(self, config: RunConfig, start: torch.Tensor) -> None: ...
    def after_log(self, record: dict[str, Any]) -> None: ...
    def after_snapshot(self, step: int, images: dict[str, torch.Tensor]) -> None: ...  # name -> (B, 1, H, W) pixels
    def at_checkpoint(self, state: "LoopState") -> None: ...  # at the top of each snapshot step after the first
    def after_run(self, result: "GuideResult") -> None: ...


@dataclass
class LoopState:
    """Everything the loop needs to continue from the top of step `step` as if it had never stopped."""

    step: int  # the next step to take
    start: torch.Tensor  # (B, 1, H, W) the start images, as the run began
    param: torch.Tensor  # the optimised tensor (pixels, a latent, or the normalised input)
    best: torch.Tensor  # per image, the optimised tensor with the lowest objective so far
    best_loss: list[float]
    reached: list[int | None]
    step_rule: dict[str, Any]  # the step rule's state_dict() (Adam's moments)
    jitter: list[torch.Tensor]  # each image's jitter generator state
    frames: list[torch.Tensor]
    frame_steps: list[int]
    history: list[dict[str, Any]]
    seconds: float  # time spent so far

    def to_dict(self) -> dict[str, Any]:
        """Tensors, lists and numbers only: ``torch.load(weights_only=True)`` reads it back without unpickling code."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {
            "best_loss": [float(v) for v in self.best_loss],
            "reached": [-1 if r is None else r for r in self.reached],
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "LoopState":
        values = dict(values) | {"reached": [None if r < 0 else r for r in values["reached"]]}
        return cls(**values)


@dataclass
class GuideResult:
    """Everything a run made: images (B, 1, H, W) in pixel space, history and how it ended."""

    start: torch.Tensor
    last: torch.Tensor
    best: torch.Tensor  # per image, the image with the lowest objective seen
    final: torch.Tensor  # `last` or `best`, as config.keep says
    keep: str
    frames: torch.Tensor  # (T, B, 1, H, W) snapshots
    frame_steps: list[int]
    history: list[dict[str, Any]]  # one row per logged step
    status: str  # finished | early_stop | interrupted | nan
    message: str
    steps_done: int
    reached_step: list[int | None]  # first step with p(target) >= threshold, per image
    seconds: float
    # p(target) and top class of what `final` holds, measured on the optimised tensor itself
    # (in 'normalized' space that is the 3-channel input, not its greyscale picture)
    final_p_target: list[float] = field(default_factory=list)
    final_top_class: list[str] = field(default_factory=list)


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA when there is one; asking for CUDA without one is an error."""
    from guidance.core.errors import ConfigError

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda asked for, but torch sees no CUDA GPU; use --device auto")
    return torch.device(name)


def guide(
    model: GuidedModel, start: torch.Tensor, config: RunConfig,
    callbacks: Iterable[Callback] = (), resume: LoopState | None = None,
) -> GuideResult:
    """Optimise `start` (B, 1, H, W) toward ``config.target``; see RunConfig for every knob.

    A parameterisation that draws its own start (``strokes``, which ``param = 'auto'`` picks when
    ``config.start`` is noise) does not use `start`'s pixels: name ``param`` to move the image you pass.

    With `resume`, continue from that state (taken by an ``at_checkpoint`` callback of this same
    config and start): the result is the one an uninterrupted run gives.
    """
    callbacks = list(callbacks)
    device = resolve_device(config.device)
    model = model.to(device).eval().requires_grad_(False)  # weights are frozen: no weight grads
    start = start.to(device)
    objective = build_objective(config, model.target_index)
    step_rule = STEP_RULES.get(config.step).from_config(config)
    schedule = SCHEDULES.get(config.schedule)
    batch = start.shape[0]

    # `param` is what the gradient moves: pixels (or a latent rendered to pixels), or the
    # network's normalised input. `to_pixels` turns it into the image the user sees.
    if config.space == "pixel":
        parameterisation = make_parameterisation(config.parameterisation, config.param_sigma, config.param_factor)
        param, forward, to_pixels = parameterisation.init(start, config.seed), model, parameterisation.render
        if parameterisation.draws_start:  # e.g. random pen strokes: every change is measured from them
            start = to_pixels(param).detach()
        low, high = torch.zeros(()), torch.ones(())
        # only a parameterisation that draws its own start can draw a fresh one; the others start from a fixed image
        restarts = bool(config.restart_every) and parameterisation.draws_start
    else:
        param, forward, to_pixels = model.normalize(start).clone(), model.net, model.denormalize
        low, high = (0 - model.mean) / model.std, (1 - model.mean) / model.std
        restarts = False
    center = param.clone()
    jitter_rngs = [torch.Generator().manual_seed(config.seed + JITTER_SEED_OFFSET + i) for i in range(batch)]

    best = param.clone()
    best_loss = [math.inf] * batch
    reached: list[int | None] = [None] * batch
    frames, frame_steps, history = [], [], []
    status, message, step, first_step, earlier = "finished", "", 0, 0, 0.0
    if resume is not None:
        param.copy_(resume.param.to(device))
        best.copy_(resume.best.to(device))
        best_loss, reached = list(resume.best_loss), list(resume.reached)
        step_rule.load_state_dict(resume.step_rule)
        for generator, state in zip(jitter_rngs, resume.jitter):
            generator.set_state(state)
        frames, frame_steps, history = list(resume.frames), list(resume.frame_steps), list(resume.history)
        step = first_step = resume.step
        earlier = resume.seconds
    for callback in callbacks:
        callback.before_run(config, start)
    started = time.perf_counter() - earlier

    # With stop_each, an image that reached the threshold never moves again: its pixels and logits
    # are computed once and kept, so each step renders and runs the model on the moving ones only.
    skip_stopped = config.stop_each and not config.jitter and config.space == "pixel"
    stopped_cache: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def stopped_views(indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        missing = [i for i in indices if i not in stopped_cache]
        if missing:  # reached this step, or stopped before a resume
            with torch.no_grad():
                pixels = to_pixels(param[missing])
                logits = forward(pixels)
            stopped_cache.update({i: (pixels[k], logits[k]) for k, i in enumerate(missing)})
        return tuple(torch.stack([stopped_cache[i][part] for i in indices]) for part in (0, 1))

    def render_and_classify(with_grad: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """The pixels and the model's logits for the whole batch."""
        stopped = [i for i, r in enumerate(reached) if r is not None] if skip_stopped and with_grad else []
        if stopped:
            moving = [i for i in range(batch) if reached[i] is None]
            still_pixels, still_logits = stopped_views(stopped)
            moving_pixels = to_pixels(param[moving])
            back = torch.tensor(moving + stopped, device=device).argsort()  # batch order again
            return torch.cat([moving_pixels, still_pixels])[back], torch.cat([forward(moving_pixels), still_logits])[back]
        pixels = to_pixels(param)
        view = pixels if config.space == "pixel" else param
        if config.jitter and with_grad:
            shifts = [torch.randint(-config.jitter, config.jitter + 1, (2,), generator=g) for g in jitter_rngs]
            view = jitter_view(view, torch.stack(shifts))
        return pixels, forward(view)

    def evaluate(with_grad: bool):
        """Forward pass on the current image: per-image objective, its terms, logits, grad."""
        param.requires_grad_(with_grad)
        with torch.set_grad_enabled(with_grad):
            pixels, logits = render_and_classify(with_grad)
            per_image, terms = objective(logits, pixels, start)
            grad = torch.autograd.grad(per_image.sum(), param)[0] if with_grad else None
        param.requires_grad_(False)
        return per_image.detach(), {k: v.detach() for k, v in terms.items()}, logits.detach(), grad

    def record(per_image, terms, logits, grad, lr) -> dict[str, Any]:
        probs = logits.softmax(1)
        pixels = to_pixels(param)
        delta = (pixels - start).flatten(1)
        row = {
            "step": step, "lr": lr,
            "loss": per_image.mean().item(),
            "p_target": probs[:, model.target_index].mean().item(),
            **{f"term_{k}": v.mean().item() for k, v in terms.items()},
            "images": {
                "loss": per_image.tolist(),
                "p_target": probs[:, model.target_index].tolist(),
                "top_class": [model.class_names[i] for i in probs.argmax(1).tolist()],
                "grad_norm": per_image_norm(grad).flatten().tolist() if grad is not None else None,
                "l2": delta.norm(dim=1).tolist(),
                "linf": delta.abs().amax(dim=1).tolist(),
            },
        }
        history.append(row)
        for callback in callbacks:
            callback.after_log(row)
        return row

    def snapshot() -> torch.Tensor:
        """A copy of the current pixels on the CPU (never a view of `param`, which keeps moving)."""
        return to_pixels(param).detach().cpu().clone()

    def keep_frame() -> None:
        frames.append(snapshot())
        frame_steps.append(step)
        for callback in callbacks:
            callback.after_snapshot(step, {"image": frames[-1]})

    def remember(per_image: torch.Tensor, p_target: torch.Tensor, grad: torch.Tensor | None) -> bool:
        """Track the best image per image and the first step each reached the threshold.

        The per-image numbers come to Python in one transfer: at batch 1 a dozen tiny tensor
        ops per step would cost more than the model's own forward and backward pass.
        Returns False (and changes nothing) when the loss or gradient is not finite.
        """
        rows = [per_image, p_target] + ([grad.flatten(1).sum(1)] if grad is not None else [])
        losses, probs, *grad_sums = torch.stack(rows).tolist()
        if not all(map(math.isfinite, losses + (grad_sums[0] if grad_sums else []))):
            return False  # NaN and inf propagate into the per-image gradient sums
        better = [loss < best for loss, best in zip(losses, best_loss)]
        if all(better):
            best.copy_(param)
        elif any(better):
            best.copy_(torch.where(torch.tensor(better, device=device).view(-1, 1, 1, 1), param, best))
        for i, (loss, p) in enumerate(zip(losses, probs)):
            best_loss[i] = min(loss, best_loss[i])
            if p >= config.threshold and reached[i] is None:
                reached[i] = step
        return True

    def restart(p_target: torch.Tensor, round_: int) -> None:
        """Images still under the threshold start again from fresh noise (JEM's restarts): stuck ones get another try."""
        for i in (p_target < config.threshold).nonzero().flatten().tolist():
            param[i] = parameterisation.init(start[i : i + 1], config.seed + i + round_ * RESTART_SEED_OFFSET)[0]

    def checkpoint() -> None:
        state = LoopState(
            step=step, start=start.cpu(), param=param.detach().cpu().clone(), best=best.detach().cpu().clone(),
            best_loss=list(best_loss), reached=list(reached), step_rule=step_rule.state_dict(),
            jitter=[g.get_state() for g in jitter_rngs], frames=list(frames), frame_steps=list(frame_steps),
            history=list(history), seconds=time.perf_counter() - started,
        )
        for callback in callbacks:
            callback.at_checkpoint(state)

    try:
        for step in range(first_step, config.steps):
            if step % config.snapshot_every == 0 and step > first_step:
                checkpoint()
            lr = config.lr * schedule(step, config.steps)
            per_image, terms, logits, grad = evaluate(with_grad=True)
            p_target = logits.softmax(1)[:, model.target_index]
            if not remember(per_image, p_target, grad):
                status, message = "nan", f"loss or gradient became non-finite at step {step}"
                break
            if step % config.snapshot_every == 0:
                keep_frame()
            if step % config.log_every == 0:
                record(per_image, terms, logits, grad, lr)
            if config.early_stop and bool((p_target >= config.threshold).all()):
                status, message = "early_stop", f"every image reached p(target) >= {config.threshold}"
                break
            if config.stop_each and all(r is not None for r in reached):  # nothing can move any more
                status, message = "early_stop", f"every image reached p(target) >= {config.threshold} and stopped there"
                break
            with torch.no_grad():
                held = param.clone() if config.stop_each else None
                step_rule(param, grad, lr)
                if config.blur_every and (step + 1) % config.blur_every == 0:
                    param.copy_(gaussian_blur(param, config.blur_sigma))
                if config.eps:
                    project_ball(param, center, config.eps, config.eps_norm)
                if config.clamp:
                    param.clamp_(low, high)
                if held is not None:  # an image that reached the threshold stays as it is, from then on
                    done = torch.tensor([r is not None for r in reached], device=device).view(-1, 1, 1, 1)
                    param.copy_(torch.where(done, held, param))
                if restarts and (step + 1) % config.restart_every == 0 and step + 1 < config.steps:
                    restart(p_target, (step + 1) // config.restart_every)
        else:
            step = config.steps
    except KeyboardInterrupt:
        status, message = "interrupted", f"interrupted by the user at step {step}"

    # One last look at where the image ended, so the history always closes on it.
    per_image, terms, logits, _ = evaluate(with_grad=False)
    remember(per_image, logits.softmax(1)[:, model.target_index], None)
    if not history or history[-1]["step"] != step:
        record(per_image, terms, logits, None, 0.0)
    if not frame_steps or frame_steps[-1] != step:
        keep_frame()

    last = snapshot()
    best_pixels = to_pixels(best).detach().cpu().clone()
    with torch.no_grad():
        kept = best if config.keep == "best" else param
        final_probs = forward(to_pixels(kept) if config.space == "pixel" else kept).softmax(1).cpu()
    result = GuideResult(
        start=start.cpu(), last=last, best=best_pixels,
        final=best_pixels if config.keep == "best" else last, keep=config.keep,
        frames=torch.stack(frames), frame_steps=frame_steps, history=history,
        status=status, message=message or f"ran all {config.steps} steps", steps_done=step,
        reached_step=reached, seconds=time.perf_counter() - started,
        final_p_target=final_probs[:, model.target_index].tolist(),
        final_top_class=[model.class_names[i] for i in final_probs.argmax(1).tolist()],
    )
    for callback in callbacks:
        callback.after_run(result)
    return result
