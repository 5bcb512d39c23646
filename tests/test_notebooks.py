"""Notebook hygiene: what readers see on GitHub and Colab is a clean, full-mode run."""

import badges
import nbformat
import pytest

from course_utils import colab

NOTEBOOKS = sorted(badges.NOTEBOOK_DIR.glob("*.ipynb"))


def code_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code"]


def expected_to_raise(cell):
    return "raises-exception" in cell.metadata.get("tags", []) or "NBVAL_RAISES_EXCEPTION" in cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_executed_top_to_bottom(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    counts = [c.execution_count for c in code_cells(notebook)]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run it top to bottom (`make course`)"
    for cell in code_cells(notebook):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors or expected_to_raise(cell), f"{path.name}: unexpected error in\n{cell.source[:200]}"
        if expected_to_raise(cell):
            assert errors, f"{path.name}: a cell tagged to raise did not raise:\n{cell.source[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_course_conventions(path):
    notebook = nbformat.read(path, as_version=4)
    sources = [c.source for c in notebook.cells]
    assert colab.colab_badge(path.name) in sources[0], "first cell: title with the Open-in-Colab badge"
    assert any("google.colab" in s for s in sources[:4]), "a Colab-aware setup cell near the top"
    assert any("config.describe(" in s for s in sources), "a parameters cell that shows the fast-mode settings"
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "\n## Summary" in markdown and "\n## Exercises" in markdown, "a short summary and exercises at the end"
    assert markdown.index("\n## Summary") < markdown.index("\n## Exercises")
    too_long = [s for c, s in zip(notebook.cells, sources) if c.cell_type == "code" and s.count("\n") >= 30]
    assert not too_long, "code cells stay short: move long logic into course_utils"


def test_every_notebook_is_on_the_map_and_the_readme_is_current():
    mapped = {name for name, _, _ in colab.NOTEBOOKS}
    assert {p.name for p in NOTEBOOKS} == mapped, "the map in course_utils/colab.py and notebooks/ differ"
    readme = (badges.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert badges.readme_with_map(readme) == readme, "README map is stale: run `make badges`"
