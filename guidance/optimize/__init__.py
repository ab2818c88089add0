"""The optimisation loop: starts, objectives, step rules and schedules, parameterisations, PGD, loop callbacks.

Imports models, data, configs and core.
"""
