"""The classroom edition (tools/classroom.py, nbgrader): the student notebooks keep no solution, and grading three
synthetic submissions gives full, zero and half the points, with feedback that names the failed questions.

That every student notebook runs top to bottom in fast mode with its exercises unanswered is checked by
``make test-colab`` (part of CI), which builds ``student/`` and runs it with nbval under Colab's versions.
"""

import ast
import copy
import csv
import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="the classroom edition needs nbgrader (pip install -e '.[classroom]')")

REPO = Path(__file__).resolve().parent.parent
TEACHING = REPO / "TEACHING.md"
_spec = importlib.util.spec_from_file_location("classroom", REPO / "tools" / "classroom.py")
classroom = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(classroom)

REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """The student edition of every notebook, built into a temporary folder, and its nbgrader course folder."""
    root = tmp_path_factory.mktemp("classroom")
    classroom.build_student_edition(root / "student", course=root / "course")
    return root


def _stripped_lines(notebook) -> set[str]:
    """The distinctive lines of a notebook's solution and hidden-test regions: those that appear nowhere else in it."""
    inside, outside = set(), set()
    for cell in notebook.cells:
        regions = [body for _, body in REGION.findall(cell.source)]
        inside |= {line.strip() for body in regions for line in body.splitlines()}
        outside |= {line.strip() for line in REGION.sub("", cell.source).splitlines()}
    return {line for line in inside - outside if len(line) > 12 and not line.startswith("#")}


def _survivors(lines: set[str], notebook) -> set[str]:
    text = "\n".join(cell.source + "\n" + str(cell.get("outputs", "")) for cell in notebook.cells)
    return {line for line in lines if line in text}


@pytest.mark.slow
@pytest.mark.parametrize("reader", classroom.NOTEBOOKS, ids=[p.stem for p in classroom.NOTEBOOKS])
def test_no_solution_or_hidden_test_survives_in_the_student_edition(reader, student):
    source = nbformat.read(reader, as_version=4)
    edition = nbformat.read(student / "student" / reader.name, as_version=4)
    lines = _stripped_lines(source)
    assert len(lines) >= 5, f"{reader.name}: its solutions should be marked with ### BEGIN SOLUTION"
    assert _survivors(lines, source) == lines, "the search must find the lines where they are"
    assert not _survivors(lines, edition), f"solution text left in the student edition of {reader.name}"


@pytest.mark.slow
@pytest.mark.parametrize("reader", classroom.NOTEBOOKS, ids=[p.stem for p in classroom.NOTEBOOKS])
def test_the_student_edition_changes_only_the_marked_cells(reader, student):
    source = nbformat.read(reader, as_version=4)
    edition = nbformat.read(student / "student" / reader.name, as_version=4)
    assert [c.cell_type for c in source.cells] == [c.cell_type for c in edition.cells]
    for mine, theirs in zip(source.cells, edition.cells):
        if "nbgrader" not in mine.metadata:
            assert (mine.source, mine.get("outputs")) == (theirs.source, theirs.get("outputs")), mine.source[:80]
        elif mine.metadata["nbgrader"]["solution"]:
            assert theirs.source == classroom.SOLUTIONS_LEFT_OUT and not theirs.outputs
        else:  # a test cell: the visible check kept, the hidden one gone, and with it the output that names it
            assert theirs.source == REGION.sub("", mine.source).rstrip("\n")
            assert "exercises.check_" in theirs.source
            hidden = REGION.search(mine.source) is not None
            assert theirs.outputs == ([] if hidden else mine.outputs)


def _questions(notebook) -> list[str]:
    return [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("reader", classroom.NOTEBOOKS, ids=[p.stem for p in classroom.NOTEBOOKS])
def test_every_check_is_a_graded_question_and_the_teachers_guide_lists_it(reader):
    notebook = nbformat.read(reader, as_version=4)
    questions = _questions(notebook)
    stubs = [cell for cell in notebook.cells if cell.cell_type == "code" and "your code here" in cell.source]
    assert len(stubs) == 1, "one cell of stubs, the learner's, before the checks"
    assert questions == re.findall(r"^def (\w+)\(", stubs[0].source, re.M), "a graded check per stub, in order"
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader")
        if meta and meta["grade"]:
            assert meta["locked"] and meta["points"] > 0 and f"exercises.check_{meta['grade_id']}(" in cell.source
    guide = TEACHING.read_text()
    missing = [q for q in questions if f"`{q}`" not in guide]
    assert not missing, f"TEACHING.md should say what each exercise of {reader.name} tests: {missing}"


# --- grading synthetic submissions of notebook 00 -------------------------------------------------------------

GRADED = REPO / "notebooks" / "00_start_here.ipynb"
WRONG = {  # plausible wrong answers, one per question
    "class_means": "def class_means(x, y):\n    return np.stack([x[y == d].mean(axis=0) for d in range(10)])",
    "denormalise": "def denormalise(g):\n    return ((np.asarray(g) + 1.0) * 127.5).astype(np.uint8)",  # truncates
    "nearest_train_index": "def nearest_train_index(queries, train):\n"
                           "    return np.argmax(queries @ train.T, axis=1)",  # the largest dot product: norms left out
    # the number the visible check expects, remembered: passes the visible check, fails the hidden test
    "binarized_ink": "def binarized_ink(x01):\n    return 0.11988329887390137",
}


def _solutions(notebook) -> dict[str, str]:
    """The reader's solutions, as a learner would paste them: each ``<name>_solution`` renamed ``<name>``."""
    source = next(cell.source for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution"))
    answers = {}
    for node in ast.parse(REGION.search(source).group(2)).body:
        if isinstance(node, ast.FunctionDef):
            name = node.name.removesuffix("_solution")
            answers[name] = ast.unparse(node).replace(f"def {node.name}(", f"def {name}(")
    return answers


def _submission(edition, answers: dict[str, str], tamper: bool = False):
    """The student edition with its cell of stubs replaced by ``answers``; ``tamper`` also empties the test cells,
    which grading must undo (nbgrader restores locked cells from its gradebook)."""
    notebook = copy.deepcopy(edition)
    stubs = next(cell for cell in notebook.cells if cell.cell_type == "code" and "your code here" in cell.source)
    stubs.source = "\n\n\n".join(answers.values())
    for cell in notebook.cells:
        if tamper and cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "pass"
    return notebook


@pytest.mark.slow
def test_grading_submissions_gives_full_zero_and_half_the_points(student, tmp_path):
    edition = nbformat.read(student / "student" / GRADED.name, as_version=4)
    correct = _solutions(nbformat.read(GRADED, as_version=4))
    assert set(correct) == set(WRONG) == set(_questions(edition))
    half = {name: (correct if i % 2 == 0 else WRONG)[name] for i, name in enumerate(correct)}
    # correct, but one answer writes to stderr (as a NumPy warning would): nbgrader alone would give that 0 points
    noisy = {**correct, "class_means": correct["class_means"].replace(
        "\n", "\n    import sys\n    print('a warning', file=sys.stderr)\n", 1)}
    submissions = {"all-correct": correct, "all-wrong": WRONG, "half": half, "correct-with-a-warning": noisy}
    for name, answers in submissions.items():
        # "half" in nbgrader's collected layout, <student>/<assignment>/<notebook>
        folder = tmp_path / "in" / name / (GRADED.stem if name == "half" else "")
        folder.mkdir(parents=True)
        nbformat.write(_submission(edition, answers, tamper=name == "all-wrong"), folder / GRADED.name)
    shutil.copytree(student / "course", tmp_path / "course")

    environment = dict(os.environ)
    classroom.grade(tmp_path / "in", tmp_path / "out", course=tmp_path / "course")
    assert dict(os.environ) == environment, "grading mode must not leak into what runs next (other notebooks)"

    with open(tmp_path / "out" / "gradebook.csv") as f:
        rows = list(csv.DictReader(f))
    points = {name: sum(float(r["points"]) for r in rows if r["student"] == name) for name in submissions}
    assert points == {"all-correct": 4, "all-wrong": 0, "half": 2, "correct-with-a-warning": 4}, points
    assert {r["question"] for r in rows} == set(correct)
    for name, answers in submissions.items():
        feedback = (tmp_path / "out" / "feedback" / f"{name}.md").read_text()
        for question in correct:
            failed = answers[question] == WRONG[question]
            assert (f"`{question}`: 0 of 1 (not passed)" in feedback) == failed, (name, question, feedback)
        assert (tmp_path / "out" / "feedback" / name / GRADED.with_suffix(".html").name).exists()
    hard_coded = next(r for r in rows if r["student"] == "half" and r["question"] == "binarized_ink")
    assert "binarized_ink: correct" in hard_coded["feedback"] and "test images 5000 to 5099" in hard_coded["feedback"]


def test_grading_without_a_student_edition_or_students_says_what_to_do(tmp_path):
    with pytest.raises(SystemExit, match="make student"):
        classroom.grade(tmp_path, tmp_path / "out", course=tmp_path / "course")
    (tmp_path / "course" / "source" / "00_start_here").mkdir(parents=True)
    (tmp_path / "course" / "source" / "00_start_here" / "00_start_here.ipynb").write_text("{}")
    with pytest.raises(SystemExit, match="one folder per student|a folder named after the student"):
        classroom.grade(tmp_path / "course" / "source" / "00_start_here", tmp_path / "out", course=tmp_path / "course")
