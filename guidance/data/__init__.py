"""Finding and reading data sets: MNIST in torchvision's layout, the embedded sample, labels, image files.

Imports only the base modules (config, errors, paths, registry).
"""
