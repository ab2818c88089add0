"""Classifiers as the kit sees them: architectures by name, the pixel-space wrapper, the model store
(safetensors folders) and fastai learner import.

Imports data and the base modules; never training (the store does not know how models are made).
"""
