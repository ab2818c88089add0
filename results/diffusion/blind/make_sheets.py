"""Blind sheets: generated images shuffled among real ones, numbered; the key kept apart.
    python make_sheets.py OUT NAME real_spec source1=run_folder[:count] ...
real_spec: dataset:class:count (class -1 = every class)."""
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository, for make_pool's sheet drawing
from guidance.data.loading import load_data
from tests.verdicts.labelled.make_pool import draw_sheet

out, name, real_spec, *sources = sys.argv[1:]
out = Path(out); out.mkdir(parents=True, exist_ok=True)
images, origin = [], []
for source in sources:
    label, _, rest = source.partition("=")
    folder, _, count = rest.partition(":")
    final = np.load(Path(folder) / "images.npz")["final"][: int(count or 40)]
    images += list(np.round(np.clip(final, 0, 1) * 255).astype(np.uint8)); origin += [label] * len(final)
dataset, cls, count = real_spec.split(":")
data = load_data(dataset, os.environ.get("GUIDE_DATA"))
pool = data.test_images if int(cls) < 0 else data.test_digits(int(cls))
rng = np.random.default_rng(2026)
pick = rng.choice(len(pool), int(count), replace=False)
images += list(pool[pick]); origin += ["real"] * int(count)
order = rng.permutation(len(images))
images = np.stack(images)[order]; origin = [origin[i] for i in order]
for k in range(0, len(images), 64):
    draw_sheet(images[k:k + 64], k, out / f"{name}-{k // 64}.png")
(out / f"{name}-key.json").write_text(json.dumps(origin))
np.savez_compressed(out / f"{name}.npz", images=images, origin=np.array(origin))
print(len(images), "images", {o: origin.count(o) for o in set(origin)})
