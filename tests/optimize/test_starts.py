import numpy as np
import pytest
import torch
from PIL import Image

from guidance.core.errors import ConfigError, StartError
from guidance.optimize.starts import make_start


def test_noise_image_i_is_the_single_run_with_seed_plus_i():
    batch = make_start("noise:uniform", 3, 7, data=None).pixels
    assert torch.equal(batch[2], make_start("noise:uniform", 1, 9, data=None).pixels[0])
    assert not torch.equal(batch[0], batch[1])
    gaussian = make_start("noise:gaussian", 1, 0, data=None).pixels
    assert abs(gaussian.mean().item() - 0.13) < 0.05


def test_digit_start_takes_consecutive_test_images(sample):
    start = make_start("digit:2@3", 2, 0, data=lambda: sample)
    twos = sample.test_digits(2)
    assert np.allclose(start.pixels[1, 0].numpy() * 255, twos[4])
    assert start.labels == ["test 2 #3", "test 2 #4"]


@pytest.mark.parametrize("spec, error, message", [
    ("digit:12", StartError, "N in 0-9"), ("digit:x", StartError, "N in 0-9"),
    ("digit:2@99999", StartError, "only"), ("noise:pink", StartError, "unknown noise"),
    ("sparkles", ConfigError, "unknown start 'sparkles'"),
])
def test_bad_start_specs(sample, spec, error, message):
    with pytest.raises(error, match=message):
        make_start(spec, 1, 0, data=lambda: sample)


def test_file_start(tmp_path):
    pixels = (np.arange(28 * 28).reshape(28, 28) % 256).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    start = make_start(f"file:{tmp_path / 'a.png'}", 2, 0, data=None).pixels
    assert start.shape == (2, 1, 28, 28) and np.allclose(start[0, 0].numpy() * 255, pixels)
    Image.fromarray(pixels.repeat(8, 0).repeat(8, 1)).convert("RGB").save(tmp_path / "big.png")
    enlarged = make_start(f"file:{tmp_path / 'big.png'}", 1, 0, data=None).pixels
    assert torch.allclose(enlarged, start[:1], atol=1 / 255)


@pytest.mark.parametrize("content, message", [(None, "not found"), (b"not a png", "cannot read"), ("30x30", "is 30x30")])
def test_bad_start_files(tmp_path, content, message):
    path = tmp_path / "x.png"
    if content == "30x30":
        Image.new("L", (30, 30)).save(path)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(StartError, match=message):
        make_start(f"file:{path}", 1, 0, data=None)


def test_class_gaussian_start_is_seeded_and_near_the_class_mean(sample):
    first = make_start("gauss:8", 64, 0, data=lambda: sample)
    again = make_start("gauss:8", 2, 1, data=lambda: sample)
    assert torch.equal(first.pixels[1:3], again.pixels) and first.pixels.min() >= 0 and first.pixels.max() <= 1
    eights = torch.from_numpy(sample.train_images[sample.train_labels == 8].astype("float32") / 255)
    threes = torch.from_numpy(sample.train_images[sample.train_labels == 3].astype("float32") / 255)
    mean = first.pixels.mean(0)[0]
    assert (mean - eights.mean(0)).norm() < (mean - threes.mean(0)).norm()


@pytest.mark.parametrize("spec, message", [("gauss:12", "out of range"), ("gauss:dog", "unknown digit 'dog'")])
def test_bad_class_gaussian_starts(sample, spec, message):
    with pytest.raises(StartError, match=message):
        make_start(spec, 2, 0, data=lambda: sample)


def test_a_class_gaussian_start_without_training_images_is_refused(sample):
    import dataclasses

    empty = dataclasses.replace(sample, train_images=sample.train_images[sample.train_labels != 8],
                                train_labels=sample.train_labels[sample.train_labels != 8])
    with pytest.raises(StartError, match="0 training images of 8"):
        make_start("gauss:8", 2, 0, data=lambda: empty)


def test_an_alpha_channel_is_flattened_onto_black_and_said(tmp_path):
    grey = np.full((28, 28), 200, dtype=np.uint8)
    alpha = np.zeros((28, 28), dtype=np.uint8)
    alpha[:, 14:] = 255  # the left half transparent
    Image.fromarray(np.stack([grey, grey, grey, alpha], axis=-1), "RGBA").save(tmp_path / "half.png")
    start = make_start(f"file:{tmp_path / 'half.png'}", 1, 0, data=None)
    assert start.pixels[0, 0, :, :14].max() == 0 and torch.allclose(start.pixels[0, 0, :, 14:], torch.tensor(200 / 255))
    assert len(start.notes) == 1 and "392 of its 784 pixels are (partly) transparent" in start.notes[0]
    Image.fromarray(np.stack([grey, grey, grey, np.full_like(grey, 255)], axis=-1), "RGBA").save(tmp_path / "opaque.png")
    opaque = make_start(f"file:{tmp_path / 'opaque.png'}", 1, 0, data=None)
    assert opaque.notes == () and torch.allclose(opaque.pixels, torch.tensor(200 / 255))  # nothing changed, nothing said
    Image.fromarray(grey).save(tmp_path / "plain.png")
    assert make_start(f"file:{tmp_path / 'plain.png'}", 1, 0, data=None).notes == ()
