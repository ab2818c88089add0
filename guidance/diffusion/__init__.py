"""Diffusion models steered by the kit's classifiers (empty until the diffusion work lands).

May import training, optimize, models, data and the base modules.
"""
