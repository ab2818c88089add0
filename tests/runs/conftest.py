"""Run folders shared by the browsing tests: made once per worker (xdist) with the tiny model."""

import pytest

from guidance.api import run_experiment
from guidance.configs import RunConfig


@pytest.fixture(scope="session")
def browse_results(tiny_model_folder, tmp_path_factory):
    """A results folder with three finished runs of two experiments."""
    root = tmp_path_factory.mktemp("results")
    for name, loss, out in (("alpha", "ce", "a1"), ("alpha", "logit", "a2"), ("beta", "l1", "b1")):
        config = RunConfig(experiment=name, model=str(tiny_model_folder), loss=loss, steps=6, batch=2,
                           start="digit:2", log_every=2, snapshot_every=3, judge=False, lr=0.5, stop_each=False)
        run_experiment(config, out=root / out)
    return root
