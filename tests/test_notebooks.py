"""Notebook hygiene: what readers see on GitHub and Colab is a clean, full-mode run."""

import re

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


def _meant_for_comparison(cell):
    mentions = re.compile(r"nbval[-_]check[-_]output", re.IGNORECASE)
    return bool(mentions.search(cell.source) or any(mentions.search(t) for t in cell.metadata.get("tags", [])))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_meant_for_output_comparison_are_compared(path):
    """nbval reads the comment `# NBVAL_CHECK_OUTPUT` or the tag `nbval-check-output`, no other spelling: a cell
    tagged `NBVAL_CHECK_OUTPUT` looks checked and is not.  Ask nbval's own parser which cells it compares."""
    from nbval.plugin import find_comment_markers, find_metadata_tags

    for cell in code_cells(nbformat.read(path, as_version=4)):
        if _meant_for_comparison(cell):
            options = dict(find_metadata_tags(cell.metadata)) | dict(find_comment_markers(cell.source))
            assert options.get("check") is True, f"{path.name}: nbval does not compare\n{cell.source[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_never_overwrite_the_learners_answers(path):
    """The exercise stubs' names are the learner's; the solutions cell defines `<name>_solution` instead."""
    cells = code_cells(nbformat.read(path, as_version=4))
    stubs = [c for c in cells if "raise NotImplementedError" in c.source]
    assert stubs, f"{path.name}: no exercise stubs"
    names = {n for c in stubs for n in re.findall(r"^def (\w+)\(", c.source, flags=re.MULTILINE)}
    later = [c for c in cells[cells.index(stubs[-1]) + 1:]]
    redefined = {n for c in later for n in re.findall(r"^def (\w+)\(", c.source, flags=re.MULTILINE)} & names
    assert not redefined, f"{path.name}: the solutions redefine {sorted(redefined)}: name them <name>_solution"
    solved = {n.removesuffix("_solution") for c in later for n in re.findall(r"^def (\w+_solution)\(", c.source,
                                                                             flags=re.MULTILINE)}
    assert names <= solved, f"{path.name}: no solution for {sorted(names - solved)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_show_no_machine_paths(path):
    """Readers see the stored outputs on GitHub and Colab: no paths of the machine that ran them (a warning's
    site-packages file, a home or work folder)."""
    machine = re.compile(r"site-packages|/work/|/home/\w|/root/|/tmp/")
    for cell in code_cells(nbformat.read(path, as_version=4)):
        for output in cell.outputs:
            text = output.get("text", "") + "".join(str(v) for k, v in output.get("data", {}).items()
                                                    if k.startswith("text/"))
            assert not machine.search(text), f"{path.name}: a stored output shows a machine path:\n{text[:300]}"


LINK = re.compile(r"\]\((\d\w*\.ipynb)(?:#([\w.-]+))?\)")


def _anchors(notebook) -> set[str]:
    """The link targets a notebook offers: its explicit ``<a id="...">`` anchors and its headings, spelt as
    JupyterLab and Colab spell them (spaces as hyphens)."""
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    headings = {line.lstrip("#").strip().replace(" ", "-") for line in text.splitlines() if line.startswith("#")}
    return set(re.findall(r'<a id="([^"]+)"', text)) | headings


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_links_to_other_notebooks_reach_their_target(path):
    """A link such as [the primer](00b_primer.ipynb#kl) names a notebook of the course and, after '#', a place in it."""
    cells = nbformat.read(path, as_version=4).cells
    for target, anchor in LINK.findall("\n".join(c.source for c in cells if c.cell_type == "markdown")):
        assert (path.parent / target).exists(), f"{path.name} links to {target}, which is not in notebooks/"
        if anchor:
            assert anchor in _anchors(nbformat.read(path.parent / target, as_version=4)), \
                f"{path.name} links to {target}#{anchor}, which has no such anchor or heading"
