"""Making classifiers with fastai: standard, noise-augmented and adversarial (PGD) training, and the
presets trained on first use.

Imports optimize (PGD is an optimisation of images), models, data and the base modules.
"""
