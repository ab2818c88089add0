"""How often the verdicts agree with labels by eye: `generated` against a rater's "yes, a real one".

People label images with the rubric of tests/verdicts/labelled/README.md (Y: would pass among real
ones; ?: recognisable but artificial; N: not the target). Only Y counts as accepted; the verdict
counts as accepting when it is ``generated``.
"""

from __future__ import annotations

from typing import Sequence


def agreement(verdicts: Sequence[str], accepted: Sequence[bool]) -> dict[str, float | int]:
    """Accuracy, precision and recall of ``generated`` against the raters' acceptance, image by image."""
    if len(verdicts) != len(accepted):
        raise ValueError(f"{len(verdicts)} verdicts for {len(accepted)} labels")
    says = [verdict == "generated" for verdict in verdicts]
    both = sum(s and a for s, a in zip(says, accepted))
    return {
        "n": len(says),
        "accuracy": sum(s == a for s, a in zip(says, accepted)) / max(len(says), 1),
        "precision": both / max(sum(says), 1),
        "recall": both / max(sum(accepted), 1),
        "generated": sum(says),
        "accepted": sum(accepted),
    }
