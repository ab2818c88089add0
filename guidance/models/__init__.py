"""Classifiers as the kit sees them: architectures by name, the pixel-space wrapper, the model store
(safetensors folders), the shipped weights and fastai learner import.

Imports data, configs and core; never training (the store does not know how models are made).
"""
