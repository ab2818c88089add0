"""Verdicts: the decision rule, the realism index, the judge on real and guided images."""

import numpy as np
import pytest
import torch
from PIL import Image

from guidance.configs import CRITIC_CONFIG, JUDGE_CONFIG, RunConfig
from guidance.core.errors import GuideError
from guidance.data.images import as_pixels
from guidance.optimize.loop import guide
from guidance.optimize.starts import make_start
from guidance.runs.folders import load_images_to_judge
from guidance.training.classifier import train_classifier
from guidance.verdicts.judge import JUDGE_FLOOR, VERDICTS, Judge, decide, judge_images, quantize, verdict_counts
from guidance.verdicts.realism import build_realism_index


@pytest.fixture(scope="module")
def tiny_judge(sample):
    model = train_classifier(JUDGE_CONFIG, sample, name="tiny judge")  # ~30 s on the 4,000-image sample
    critic = train_classifier(CRITIC_CONFIG.override(epochs=2), sample, name="tiny critic")
    return Judge(model, critic, build_realism_index(sample, 8, model, critic, JUDGE_FLOOR))


@pytest.mark.parametrize("judge_top, sure, realistic, guided_sure, expected", [
    ("8", True, True, True, "generated"),
    ("8", True, True, False, "generated"),  # a real-looking 8 is generated however unsure the guided model is
    ("8", True, False, True, "artificial"), ("8", False, True, True, "artificial"),
    ("2", True, True, True, "flip"), ("2", True, False, True, "flip"),
    ("2", True, True, False, "unchanged"),
    ("none", True, True, True, "unrealistic"), ("none", True, True, False, "unrealistic"),
])
def test_decision_rule(judge_top, sure, realistic, guided_sure, expected):
    assert decide(judge_top, "8", sure, realistic, guided_sure) == expected


@pytest.mark.parametrize("judge_top, expected", [("8", "already"), ("2", "unchanged")])
def test_an_image_that_never_moved_is_neither_flip_nor_generation(judge_top, expected):
    assert decide(judge_top, "8", True, True, guided_sure=True, moved=False) == expected
    assert decide(judge_top, "8", True, True, guided_sure=False, moved=False) == expected


def test_already_needs_the_saved_image_to_equal_its_start(tiny_model, tiny_judge, sample):
    eights = quantize(as_pixels(sample.test_digits(8)[:20]))
    starts = eights[tiny_judge.model(eights).argmax(1) == 8][:4]  # 8s the tiny judge reads as 8s
    moved = starts.clone()
    moved[2:] = (moved[2:] + 0.1).clamp(0, 1)  # two images changed; two by far less than half a grey level
    moved[:2] += 0.0005
    verdicts = judge_images(tiny_judge, moved, tiny_model, 8, 0.5, guided_p=[0.999] * 4, starts=starts)
    assert [v["judge_top"] for v in verdicts[:2]] == ["8", "8"]
    assert [v["verdict"] == "already" for v in verdicts] == [True, True, False, False]


def test_realism_index_separates_real_eights_from_noise(sample, tiny_judge):
    index = tiny_judge.index
    train_eight = torch.from_numpy(sample.train_images[sample.train_labels == 8][:1]).float() / 255
    assert index.nearest(train_eight).item() == pytest.approx(0, abs=1e-3)
    test_eights = as_pixels(sample.test_digits(8))
    inside = (index.nearest(test_eights) <= index.cutoff).float().mean()
    assert inside > 0.8  # the cutoff covers 99% of training 8s leave-one-out; test 8s are alike
    assert (index.nearest(torch.rand(32, 1, 28, 28)) > index.cutoff).all()


def test_quantize_is_what_a_png_holds():
    images = torch.tensor([[-0.2, 0.5, 0.0021, 1.3]])
    assert quantize(images)[0].tolist() == pytest.approx([0.0, 128 / 255, 1 / 255, 1.0])


def test_real_eights_are_generated_noise_never(tiny_model, tiny_judge, sample):
    eights = judge_images(tiny_judge, as_pixels(sample.test_digits(8)), tiny_model, 8, threshold=0.5)
    assert verdict_counts(eights)["generated"] >= 0.6 * len(eights)
    noise = judge_images(tiny_judge, torch.rand(64, 1, 28, 28), tiny_model, 8, threshold=0.5)
    assert verdict_counts(noise)["generated"] == 0
    assert all(v["verdict"] in VERDICTS for v in eights + noise)


def test_guided_twos_are_flips_the_judge_still_sees_as_twos(tiny_model, tiny_judge, sample):
    start = make_start("digit:2", 16, 0, data=lambda: sample).pixels
    config = RunConfig(start="digit:2", loss="ce", step="sign", lr=0.01, steps=100, early_stop=True, threshold=0.99, stop_each=False)
    result = guide(tiny_model, start, config)
    verdicts = judge_images(tiny_judge, result.final, tiny_model, 8, 0.99)
    flips = [v for v in verdicts if v["verdict"] == "flip"]
    assert len(flips) >= 12
    assert sum(v["judge_top"] == "2" for v in flips) >= 0.75 * len(flips)
    assert all(v["survives_saving"] is not None for v in flips)


def test_images_to_judge_from_folders_and_npz(tmp_path):
    pixels = (np.arange(28 * 28).reshape(28, 28) % 256).astype(np.uint8)
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(pixels).save(folder / f"{i}.png")
    images, notes = load_images_to_judge(folder)
    assert images.shape == (3, 28, 28) and notes == []
    np.savez(tmp_path / "u8.npz", images=np.stack([pixels] * 2))
    loaded, notes = load_images_to_judge(tmp_path / "u8.npz")
    assert loaded.dtype == np.float32 and np.allclose(loaded[0] * 255, pixels) and notes == []


@pytest.mark.parametrize("case, message", [
    ("empty folder", "holds no images"), ("wrong size", "is 30x30"), ("wrong mode", "image mode"),
    ("corrupt npz", "not a readable .npz"), ("wrong shape npz", r"expected \(B, 28, 28\)"),
    ("run without images", "has no images.npz"), ("missing", "is not a run folder"),
    ("nan npz", "hold NaN or infinite pixels"), ("inf npz", "hold NaN or infinite pixels"),
    ("mixed sizes", "images of mixed sizes"),
])
def test_bad_things_to_judge(tmp_path, case, message):
    path = tmp_path / "x"
    if case == "empty folder":
        path.mkdir()
    elif case == "wrong size":
        path.mkdir()
        Image.new("L", (30, 30)).save(path / "a.png")
    elif case == "wrong mode":
        path.mkdir()
        Image.new("I;16", (28, 28)).save(path / "a.png")
    elif case == "corrupt npz":
        path = tmp_path / "x.npz"
        path.write_bytes(b"not a zip")
    elif case == "wrong shape npz":
        path = tmp_path / "x.npz"
        np.savez(path, images=np.zeros((2, 10, 10)))
    elif case in ("nan npz", "inf npz"):
        path = tmp_path / "x.npz"
        images = np.zeros((3, 28, 28), dtype=np.float32)
        images[1, 4, 4] = np.nan if case == "nan npz" else np.inf
        np.savez(path, images=images)
    elif case == "mixed sizes":
        path.mkdir()
        Image.new("L", (28, 28)).save(path / "a.png")
        Image.new("L", (56, 56)).save(path / "b.png")
    elif case == "run without images":
        path.mkdir()
        (path / "config.toml").write_text("steps = 3\n")
    with pytest.raises(GuideError, match=message):
        load_images_to_judge(path)
