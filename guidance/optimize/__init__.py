"""The optimisation loop: starts, objectives, step rules and schedules, parameterisations, PGD, loop callbacks.

Imports models, data and the base modules.
"""
