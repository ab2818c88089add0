"""`guide diffuse --resume`: a sampling killed with SIGKILL goes on to the images it would have made."""

import numpy as np
import pytest
from cli_helpers import invoke, start_and_kill

from guidance.runs.browse import read_run


@pytest.mark.parametrize("sampler", ["ddpm", "dpm"])  # ddpm draws noise every step; DPM-Solver++ remembers outputs
def test_a_killed_sampling_resumes_byte_identical(tiny_denoiser_folder, tmp_path, sampler):
    options = ("--denoiser", str(tiny_denoiser_folder), "--sampler", sampler, "--sampling-steps", "120",
               "--snapshot-every", "10", "--batch", "2", "--no-judge", "--device", "cpu")
    assert invoke("diffuse", *options, "--out", tmp_path / "whole").exit_code == 0
    folder = tmp_path / "killed"
    start_and_kill(["diffuse", *options, "--out", str(folder)], folder, 60)
    assert read_run(folder).state == "killed" and (folder / "checkpoint.pt").is_file()
    resumed = invoke("diffuse", "--resume", folder)
    assert resumed.exit_code == 0, resumed.output
    a, b = np.load(folder / "images.npz"), np.load(tmp_path / "whole" / "images.npz")
    assert all(np.array_equal(a[key], b[key]) for key in b.files)
