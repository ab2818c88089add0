"""The verdicts' names, in the order tables show them (no torch: listings import this)."""

VERDICTS = ("generated", "artificial", "flip", "unchanged", "already", "unrealistic")
# each verdict in four letters or so: the narrow terminal views ('58 gen 6 art') and the figures' captions
VERDICT_SHORT = {"generated": "gen", "artificial": "art", "flip": "flip", "unchanged": "unch", "already": "alr",
                 "unrealistic": "unreal"}
