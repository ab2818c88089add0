"""The verdicts' names, in the order tables show them (no torch: listings import this)."""

VERDICTS = ("generated", "artificial", "flip", "unchanged", "already", "unrealistic")
