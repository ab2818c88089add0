"""experiments/tour.ipynb runs top to bottom (on the embedded sample: about a minute)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "experiments" / "tour.ipynb"


@pytest.mark.slow
def test_tour_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("GUIDE_DATA", raising=False)  # the embedded sample: quick, and what a fresh machine gets
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "test error" in text and "verdict" in text and "log rows" in text and "tour-free verdicts" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 4  # contact sheet, snapshots, curves, the diffusion contact sheet
