"""Telling a flip from a real digit: the judge, realism checks and set-level metrics.

Imports training (the judge is trained on first use), models, data and the base modules.
"""
