"""Making classifiers with fastai: standard, noise-augmented and adversarial (PGD) training, and the
presets found in the cache, shipped, or trained on first use.

Imports optimize (PGD is an optimisation of images), models, data, configs and core.
"""
