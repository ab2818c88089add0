"""Diffusion: the digit-conditioned denoiser (diffusers' UNet2DModel), the noise-aware classifier,
steering (classifier and classifier-free guidance), sampling and their training.

May import training, optimize, models, data, configs and core.
"""
