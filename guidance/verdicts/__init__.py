"""Telling a flip from a real digit: the judge, realism checks, set-level metrics, the census and the
failure battery.

Imports training (the judge is trained on first use), models, data, configs and core.
"""
