"""Run folders and what shows them: saving, reading back, listing, comparing, tables, terminal
rendering and figures.

Imports every room below it; only the API and CLI import it.
"""
