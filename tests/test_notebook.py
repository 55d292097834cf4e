"""notebooks/quickstart.ipynb runs top to bottom (nbclient) and shows a metric and figures."""

import os

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # trains on Inspec for real


def test_quickstart_notebook_runs(inspec_dir, glove_file, tmp_path, monkeypatch):
    monkeypatch.setenv("KW_NOTEBOOK_WORK", str(tmp_path))
    monkeypatch.setenv("KW_SHARED_DATA", str(inspec_dir.parent))
    monkeypatch.setenv("WANDB_MODE", "disabled")
    nb = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit it with outputs cleared"
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
    ).execute()
    texts = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "test/phrase_f1" in texts
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2  # learning curves and confusion matrix
    assert os.path.isfile(tmp_path / "data" / "data_set.pkl")
