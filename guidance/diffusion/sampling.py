"""The sampling loop: from pure N(0, I) noise to digits, one diffusers scheduler step at a time.

Like the guidance loop it never prints or saves: it returns a ``DiffusionResult`` (a
``GuideResult`` with the predicted clean images beside the x_t frames, so run folders,
verdicts and ``guide show`` treat both alike) and fires the loop's callback events.
Image i starts from the noise of seed + i, drawn from a CPU generator, so a batch of 8
is the first 8 images of a batch of 64, on any device.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import torch

from guidance.configs import DiffuseConfig
from guidance.core.errors import ConfigError
from guidance.diffusion.denoiser import IMAGE_SIZE, Denoiser, add_noise, noise_scheduler, to_model_space, to_pixels
from guidance.diffusion.steering import NoisePredictor, predicted_clean
from guidance.optimize.loop import Callback, GuideResult

Reader = Callable[[torch.Tensor], torch.Tensor]  # pixels (B, 1, H, W) -> class probabilities, for the log


@dataclass
class DiffusionResult(GuideResult):
    """A GuideResult whose ``frames`` are x_t (as pixels) and ``predicted`` the x0_hat at the same steps."""

    predicted: torch.Tensor = field(default_factory=lambda: torch.empty(0))  # (T, B, 1, H, W)


def make_sampler(name: str, denoiser: Denoiser, steps: int):
    """A diffusers scheduler for sampling, set to `steps` steps of the denoiser's own noise schedule."""
    from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler

    config = denoiser.config
    check_sampling_steps(steps, config.timesteps)
    schedule = noise_scheduler(config.timesteps, config.schedule).config
    if name == "ddim":
        sampler = DDIMScheduler.from_config(schedule, clip_sample=True)
    elif name == "ddpm":
        sampler = DDPMScheduler.from_config(schedule, clip_sample=True)
    else:
        # lambda_min_clipped keeps the solver finite at the cosine schedule's last steps, where alpha_bar is ~0
        sampler = DPMSolverMultistepScheduler.from_config(schedule, algorithm_type="dpmsolver++", solver_order=2,
                                                          lambda_min_clipped=-5.1)
    sampler.set_timesteps(steps)
    return sampler


def check_sampling_steps(steps: int, timesteps: int) -> None:
    """A sampler takes its steps out of the schedule's timesteps: it cannot take more."""
    if steps > timesteps:
        raise ConfigError(f"--sampling-steps {steps} is more than the denoiser's schedule has ({timesteps})")


SCHEDULER_STATE = ("model_outputs", "lower_order_nums", "_step_index", "_begin_index")  # what DPM-Solver++ remembers


@dataclass
class SamplingState:
    """Everything the sampler needs to continue from the top of step `step` as if it had never stopped."""

    step: int
    x: torch.Tensor  # x_t at that step
    generators: list[torch.Tensor]  # each image's noise generator state (the ddpm sampler draws from them)
    scheduler: dict[str, Any]  # the diffusers scheduler's own memory (DPM-Solver++'s earlier model outputs)
    frames: list[torch.Tensor]
    predicted: list[torch.Tensor]
    frame_steps: list[int]
    history: list[dict[str, Any]]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Tensors, lists and numbers only: ``torch.load(weights_only=True)`` reads it back without unpickling code."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "SamplingState":
        return cls(**values)


def _scheduler_state(sampler) -> dict[str, Any]:
    copy = lambda v: v.detach().cpu().clone() if isinstance(v, torch.Tensor) else v
    return {k: ([copy(v) for v in value] if isinstance(value, list) else copy(value))
            for k in SCHEDULER_STATE if hasattr(sampler, k) for value in [getattr(sampler, k)]}


def _restore_scheduler(sampler, state: dict[str, Any], device: torch.device) -> None:
    move = lambda v: v.to(device) if isinstance(v, torch.Tensor) else v
    for key, value in state.items():
        setattr(sampler, key, [move(v) for v in value] if isinstance(value, list) else move(value))


def entry_step(steps: int, strength: float) -> int:
    """Image-to-image (SDEdit, as diffusers' img2img): the sampling step a start noised to strength x T enters at."""
    return steps - min(int(steps * strength), steps)


def start_noise(batch: int, seed: int) -> tuple[torch.Tensor, list[torch.Generator]]:
    """x_T for image i from seed + i, and the per-image generators a stochastic sampler goes on drawing from."""
    generators = [torch.Generator().manual_seed(seed + i) for i in range(batch)]
    noise = torch.stack([torch.randn(1, IMAGE_SIZE, IMAGE_SIZE, generator=g) for g in generators])
    return noise, generators


@torch.no_grad()
def sample(
    predict: NoisePredictor, sampler, alphas: torch.Tensor, config: DiffuseConfig, reader: Reader,
    class_names: list[str], device: torch.device, callbacks: Iterable[Callback] = (),
    resume: SamplingState | None = None, start: torch.Tensor | None = None,
) -> DiffusionResult:
    """Denoise pure noise with `predict` (a steered noise predictor) and `sampler` (a diffusers scheduler).

    With `start` (pixels, B x 1 x H x W), image-to-image: the start is noised to the timestep of
    ``config.strength`` and denoised from there. `reader` (the judge) measures p(target) of each
    step's predicted clean image for the log. With `resume`, continue from that state (an
    ``at_checkpoint`` callback's): the same images as never stopping.
    """
    callbacks = list(callbacks)
    target_index = config.target  # the reader (a judge) has its classes in label order
    noise, generators = start_noise(config.batch, config.seed)
    alphas = alphas.to(device)
    entry = 0 if start is None else entry_step(len(sampler.timesteps), config.strength)
    x = noise.to(device)
    if start is not None:
        x = add_noise(to_model_space(start.to(device)), x, sampler.timesteps[entry:entry + 1].to(device), alphas)
        if hasattr(sampler, "set_begin_index"):  # multistep solvers count their steps from here
            sampler.set_begin_index(entry)
    frames, predicted_frames, frame_steps, history = [], [], [], []
    status, message, step, skip_to, earlier = "finished", "", entry, entry, 0.0
    if resume is not None:
        x = resume.x.to(device)
        for generator, state in zip(generators, resume.generators):
            generator.set_state(state)
        _restore_scheduler(sampler, resume.scheduler, device)
        frames, predicted_frames = list(resume.frames), list(resume.predicted)
        frame_steps, history = list(resume.frame_steps), list(resume.history)
        step = skip_to = resume.step
        earlier = resume.seconds
    for callback in callbacks:
        callback.before_run(config, to_pixels(noise) if start is None else start)
    started = time.perf_counter() - earlier

    def checkpoint() -> None:
        state = SamplingState(step, x.cpu().clone(), [g.get_state() for g in generators], _scheduler_state(sampler),
                              list(frames), list(predicted_frames), list(frame_steps), list(history),
                              time.perf_counter() - started)
        for callback in callbacks:
            callback.at_checkpoint(state)

    def log(step: int, timestep: int, clean: torch.Tensor) -> None:
        probs = reader(to_pixels(clean).clamp(0, 1)).cpu()
        p_target = probs[:, target_index]
        row = {
            "step": step, "timestep": timestep, "noise_level": math.sqrt(1 - float(alphas[timestep])),
            "loss": float(-p_target.clamp_min(1e-12).log().mean()), "p_target": float(p_target.mean()),
            "images": {
                "loss": (-p_target.clamp_min(1e-12).log()).tolist(), "p_target": p_target.tolist(),
                "top_class": [class_names[i] for i in probs.argmax(1).tolist()],
            },
        }
        history.append(row)
        for callback in callbacks:
            callback.after_log(row)

    def snapshot(clean: torch.Tensor) -> None:
        frames.append(to_pixels(x).clamp(0, 1).cpu())
        predicted_frames.append(to_pixels(clean).clamp(0, 1).cpu())
        for callback in callbacks:
            callback.after_snapshot(step, {"x_t": frames[-1], "x0_hat": predicted_frames[-1]})
        frame_steps.append(step)

    clean = x
    timesteps = sampler.timesteps
    # ddim: re-derive the noise from the clipped x0_hat, so a strong guidance cannot push x_t where x0_hat never goes
    step_options = {"ddpm": {"generator": generators}, "ddim": {"use_clipped_model_output": True}}.get(config.sampler, {})
    try:
        for step, t in enumerate(timesteps):
            if step < skip_to:
                continue
            if step % config.snapshot_every == 0 and step > skip_to:
                checkpoint()
            t = t.to(device)
            eps = predict(x, t)
            if not bool(torch.isfinite(eps).all()):
                status, message = "nan", f"the noise prediction became non-finite at step {step}"
                break
            clean = predicted_clean(x, eps, alphas[t])
            if step % config.snapshot_every == 0 or step == entry:
                snapshot(clean)
                log(step, int(t), clean)
            x = sampler.step(eps, t, x, **step_options).prev_sample
        else:
            step, clean = len(timesteps), x
    except KeyboardInterrupt:
        status, message = "interrupted", f"interrupted by the user at sampling step {step}"

    if not frame_steps or frame_steps[-1] != step:
        snapshot(clean)
        log(step, int(timesteps[min(step, len(timesteps) - 1)]) if step < len(timesteps) else 0, clean)
    final = to_pixels(clean).clamp(0, 1).cpu()
    probs = reader(final.to(device)).cpu()
    result = DiffusionResult(
        start=to_pixels(noise) if start is None else start.cpu(), last=final, best=final, final=final, keep="last",
        frames=torch.stack(frames), frame_steps=frame_steps, history=history,
        status=status, message=message or f"ran all {len(timesteps)} sampling steps", steps_done=step,
        reached_step=_first_read_as_target(history, class_names[target_index], config.batch),
        seconds=time.perf_counter() - started,
        final_p_target=probs[:, target_index].tolist(),
        final_top_class=[class_names[i] for i in probs.argmax(1).tolist()],
        predicted=torch.stack(predicted_frames),
    )
    for callback in callbacks:
        callback.after_run(result)
    return result


def _first_read_as_target(history: list[dict], target: str, batch: int) -> list[int | None]:
    """Per image, the first logged step whose predicted clean image the reader calls the target: when it appears."""
    first: list[int | None] = [None] * batch
    for row in history:
        for i, top in enumerate(row["images"]["top_class"]):
            if top == target and first[i] is None:
                first[i] = row["step"]
    return first
