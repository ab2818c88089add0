"""`guide judge --out`: every image's verdict to a file; the API's data; pixels outside [0, 1]; bad --out paths."""

import csv
import json

import numpy as np
import pytest
from cli_helpers import invoke, one_line_error

from guidance.api import judge_path, write_verdicts
from guidance.core.errors import GuideError
from guidance.runs.folders import pixels_in_range
from guidance.verdicts.names import VERDICTS


@pytest.fixture(scope="module")
def images_npz(tmp_path_factory, sample):
    """40 real test images: 8s, then 3s, uint8 as a user would save them."""
    path = tmp_path_factory.mktemp("judge") / "mixed.npz"
    np.savez(path, images=np.concatenate([sample.test_digits(8)[:30], sample.test_digits(3)[:10]]))
    return path


def test_out_json_holds_every_image_in_input_order(images_npz, tmp_path):
    out = tmp_path / "verdicts.json"
    result = invoke("judge", images_npz, "--target", "8", "--out", out, "--all")
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text())
    assert isinstance(records, list) and len(records) == 40
    assert [r["index"] for r in records] == list(range(40))
    assert all(r["verdict"] in VERDICTS for r in records)
    assert {"judge_top", "judge_p_target", "artificial_p", "artificial_cutoff", "feature_distance"} <= set(records[0])
    assert sum(r["verdict"] == "generated" for r in records[:30]) >= 24  # real 8s
    assert all(r["verdict"] == "unchanged" for r in records[30:] if r["judge_top"] == "3")  # real 3s are no flips
    assert "more (--all" not in result.output and "verdicts written to" in result.output


def test_out_csv_and_the_api_agree(images_npz, tmp_path):
    judgement = judge_path(str(images_npz), target=8)  # a str path works as well as a Path
    assert [v["verdict"] for v in judgement.verdicts] == [r["verdict"] for r in judgement.records()]
    out = write_verdicts(judgement, tmp_path / "verdicts.csv")
    rows = list(csv.DictReader(out.open()))
    assert [row["verdict"] for row in rows] == [v["verdict"] for v in judgement.verdicts]
    assert judgement.set_metrics["c2st"] is not None and judgement.counts == {
        name: sum(v["verdict"] == name for v in judgement.verdicts) for name in VERDICTS}


def test_bad_out_paths_are_refused_before_any_work_and_nothing_is_overwritten(images_npz, tmp_path):
    existing = tmp_path / "kept.json"
    existing.write_text("mine")
    one_line_error(invoke("judge", images_npz, "--out", existing), "exists")
    assert existing.read_text() == "mine"
    one_line_error(invoke("judge", images_npz, "--out", tmp_path / "v.txt"), ".json or a .csv")
    one_line_error(invoke("judge", images_npz, "--out", tmp_path / "no" / "v.json"), "does not exist")
    assert not list(tmp_path.glob(".*tmp"))


def test_pixels_of_0_to_255_are_rescaled_with_a_notice_and_others_refused(tmp_path):
    pixels = np.linspace(0, 1, 28 * 28, dtype=np.float32).reshape(1, 28, 28)
    same, note = pixels_in_range(pixels, "x.npz")
    assert note is None and np.array_equal(same, pixels)
    rescaled, note = pixels_in_range(pixels * 255, "x.npz")
    assert np.allclose(rescaled, pixels) and "divided by 255" in note
    with pytest.raises(GuideError, match=r"expected \[0, 1\]"):
        pixels_in_range(pixels - 0.5, "x.npz")
    path = tmp_path / "wide.npz"
    np.savez(path, images=np.full((2, 28, 28), 300.0, dtype=np.float32))
    one_line_error(invoke("judge", path), "pixels run from 300 to 300")


def test_an_npz_without_final_or_images_says_which_array_it_judged(tmp_path, sample):
    path = tmp_path / "digits.npz"
    np.savez(path, eights=sample.test_digits(8)[:12])
    result = invoke("judge", path, "--target", "8")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "judged its only array, 'eights'" in notes[0]
    np.savez(tmp_path / "two.npz", a=sample.test_digits(8)[:2], b=sample.test_digits(3)[:2])
    one_line_error(invoke("judge", tmp_path / "two.npz"), "expected 'final' or 'images'")
