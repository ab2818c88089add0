"""Runs: executing an experiment into a run folder, reading folders back, listing, judging after the
fact, comparing, tables, terminal rendering and figures.

Imports ``guidance.resolve`` and every room below it; only the API, sweeps and the CLI import it.
"""
