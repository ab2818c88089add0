"""A census of unguided samples: which digit each image is, and whether it is a real one.

With no guidance a denoiser should make every digit, about as often as the data holds
them. Each image is read by the judge and held to the realism rule of the digit the judge
sees (the calibrated cutoffs of ``verdicts.judge``, built per digit), so "a real 3" means
what "generated" means for an 8.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from guidance.data.loading import ImageData
from guidance.verdicts.judge import JUDGE_FLOORS, NONE, Judge, quantize
from guidance.verdicts.realism import artificial_p, build_realism_index, digit_features


@torch.no_grad()
def digit_census(judge: Judge, data: ImageData, images: torch.Tensor) -> dict[str, Any]:
    """Per image: the judge's digit and whether it passes that digit's realism rule; the counts and shares."""
    judge_model = judge.model.eval().cpu()
    saved = quantize(images.float().cpu())
    probs = judge_model(saved).softmax(1)
    tops = [judge_model.class_names[int(i)] for i in probs.argmax(1)]
    features = digit_features(judge_model, saved)
    critic_p = artificial_p(judge.critic, saved)
    real = [False] * len(saved)
    for digit in sorted({top for top in tops if top != NONE}):
        label = judge_model.class_names.index(digit)
        index = build_realism_index(data, label, judge_model, judge.critic, JUDGE_FLOORS[data.dataset])
        chosen = [i for i, top in enumerate(tops) if top == digit]
        looks_real = critic_p[chosen] <= index.critic_cutoff
        near_features = index.feature_distance(features[chosen]) <= index.feature_cutoff
        sure = probs[chosen, label] >= index.p_floor
        for i, ok in zip(chosen, (looks_real & near_features & sure).tolist()):
            real[i] = ok
    counts = {name: tops.count(name) for name in judge_model.class_names}
    classes = data.spec.classes
    data_share = {name: float(np.mean(data.train_labels == d)) for d, name in enumerate(classes)}
    return {
        "n": len(saved), "judged": tops, "real": real, "counts": counts,
        "real_share": sum(real) / len(saved),
        "digits_made": sum(1 for name in classes if counts.get(name, 0)),
        "share": {name: count / len(saved) for name, count in counts.items()},
        "data_share": data_share,
    }
