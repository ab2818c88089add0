"""Finding and reading data sets: MNIST in torchvision's layout, the embedded sample, labels, image files.

Imports only core and configs.
"""
