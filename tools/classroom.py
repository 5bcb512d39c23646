"""The classroom edition, made and graded with nbgrader: ``make student`` and ``make grade``.

The reader's notebooks in ``notebooks/`` are nbgrader's source.  Their exercises are marked with
nbgrader's own syntax: each check is a locked, graded test cell with points (cell metadata); the
collapsed solution cells hold a ``### BEGIN SOLUTION`` region; a check whose message would give its
answer away has a ``### BEGIN HIDDEN TESTS`` region that runs it on other inputs.  nbgrader strips
those regions for the student edition and puts the hidden tests back when it grades.  Only the outputs
of the cells nbgrader strips are cleared: the teaching cells keep their stored full-mode outputs, so a
student can read a notebook before running it.

    python tools/classroom.py student [--out student]
    python tools/classroom.py grade SUBMISSIONS [--out grades]

SUBMISSIONS holds one folder per student, each with that student's notebooks named as in
``notebooks/`` (any subset), directly or in nbgrader's collected layout ``<student>/<notebook stem>/``.
Grading runs every submitted notebook top to bottom in fast mode with ``COURSE_GRADING=1``, under which
a check that is not passed raises (``exercises.graded``); it writes ``gradebook.csv`` (student,
notebook, question, points, max_points, feedback) and, per student, ``feedback/<student>.md`` and
nbgrader's HTML feedback for each notebook.  Student code runs with your permissions: grade in a
container or as a separate user (TEACHING.md).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import shutil
import sys
import warnings
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearOutput, NbGraderPreprocessor
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader 0.9's own session handling, harmless

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
COURSE = REPO / "build" / "classroom"  # nbgrader's course folder: source/, release/, submitted/, gradebook.db, ...
SOLUTIONS_LEFT_OUT = ("# No solutions in the student edition. Write your answers in the cell of stubs under "
                      "'Exercises', above the checks.")
CELL_TIMEOUT_S = 600  # the longest cell in fast mode takes under 2 minutes on 2 cores; an endless loop costs this


class ClearStrippedOutputs(NbGraderPreprocessor):
    """Clear the outputs of the cells nbgrader strips -- solution cells, and test cells with hidden tests (their
    output would show the hidden inputs) -- and keep every other stored output; it replaces nbgrader's
    ClearOutput, which clears them all.  Solution cells are also uncollapsed."""

    def preprocess_cell(self, cell, resources, index):
        hidden = utils.is_grade(cell) and "BEGIN HIDDEN TESTS" in cell.source
        if cell.cell_type == "code" and (utils.is_solution(cell) or hidden):
            cell.outputs, cell.execution_count = [], None
        if utils.is_solution(cell):  # the reader's edition collapses its solutions; show what replaced them
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)
        return cell, resources


def nbgrader_config(course: Path = COURSE) -> Config:
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "gans-vs-vaes"
    config.ClearSolutions.code_stub = {"python": SOLUTIONS_LEFT_OUT}
    config.GenerateAssignment.preprocessors = [ClearStrippedOutputs if step is ClearOutput else step
                                               for step in GenerateAssignment.class_traits()["preprocessors"].default()]
    config.Execute.timeout = CELL_TIMEOUT_S
    # nbgrader gives 0 points to a test cell that wrote anything to stderr (a NumPy warning from a correct answer,
    # TensorFlow's start-up lines): drop stderr before grading, so only errors -- a failed check -- cost points
    config.IgnorePattern.enabled = True
    config.IgnorePattern.pattern = r"[\s\S]"
    return config


def _api(course: Path) -> NbGraderAPI:
    return NbGraderAPI(config=nbgrader_config(course))


@contextlib.contextmanager
def _nbgrader_environment(grading: bool = False):
    """The environment nbgrader needs while it runs, and this process's environment as it was afterwards.

    nbgrader runs the `alembic` command (installed beside it) to set up its gradebook: this Python's scripts go
    first on PATH, so a venv works without being activated.  For ``grading``, the kernels that nbgrader starts
    (they inherit this environment) run in fast mode and in grading mode, where a check that is not passed
    raises (``exercises.graded``)."""
    saved = dict(os.environ)
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    if grading:
        os.environ.update(COURSE_GRADING="1", COURSE_FAST="1")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _check(result: dict, what: str) -> None:
    if not result["success"]:
        raise SystemExit(f"nbgrader could not {what}:\n{result.get('log', '')}\n{result.get('error', '')}")


def build_student_edition(out: Path, course: Path = COURSE, notebooks=NOTEBOOKS) -> list[Path]:
    """Generate the student edition of ``notebooks`` into ``out`` (one file per notebook, same names) and
    record each notebook's graded cells in the course's gradebook, which ``grade`` needs."""
    api, written = _api(course), []
    out.mkdir(parents=True, exist_ok=True)
    for notebook in notebooks:
        source = course / "source" / notebook.stem / notebook.name
        source.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, source)
        with _nbgrader_environment():
            _check(api.generate_assignment(notebook.stem), f"generate the student edition of {notebook.name}")
        shutil.copyfile(course / "release" / notebook.stem / notebook.name, out / notebook.name)
        written.append(out / notebook.name)
        print(f"student edition: {written[-1].relative_to(out.parent)}")
    return written


def _cell_feedback(cell) -> str:
    """What a graded cell printed, as one line; and the error it raised, unless that is only a check's
    "not correct yet" (its printed verdict says what is off)."""
    printed = [output.text for output in cell.get("outputs", []) if output.output_type == "stream"]
    errors = [f"{output.ename}: {output.evalue}" for output in cell.get("outputs", [])
              if output.output_type == "error" and not (printed and output.ename == "AssertionError")]
    return " | ".join(" ".join(part.split()) for part in printed + errors if part.strip())


def grade(submissions: Path, out: Path, course: Path = COURSE) -> list[dict]:
    """Autograde every ``submissions/<student>/<notebook>.ipynb`` (run ``build_student_edition`` first) and write
    ``out/gradebook.csv`` and ``out/feedback/``; return the gradebook's rows."""
    known = {path.stem for path in (course / "source").glob("*/*.ipynb")}
    if not known:
        raise SystemExit("no student edition yet: run `make student` first")
    students = sorted(path for path in Path(submissions).iterdir()
                      if path.is_dir() and not path.name.startswith((".", "__")))  # .ipynb_checkpoints, __MACOSX
    if not students:
        raise SystemExit(f"{submissions} holds no student folders: put each student's notebooks in a folder "
                         "named after the student, e.g. submissions/ada/00_start_here.ipynb")
    api, rows = _api(course), []
    with _nbgrader_environment(grading=True):
        for student in students:
            # <student>/<notebook>.ipynb, or nbgrader's collected layout <student>/<assignment>/<notebook>.ipynb
            for notebook in sorted([*student.glob("*.ipynb"), *student.glob("*/*.ipynb")]):
                if notebook.stem not in known:
                    print(f"skipping {notebook}: not a notebook of the course (expected one of {sorted(known)})")
                    continue
                submitted = course / "submitted" / student.name / notebook.stem / notebook.name
                submitted.parent.mkdir(parents=True, exist_ok=True)
                if notebook.resolve() != submitted.resolve():  # SUBMISSIONS may be nbgrader's own submitted/
                    shutil.copyfile(notebook, submitted)
                print(f"grading {student.name}/{notebook.name} (fast mode) ...", flush=True)
                result = api.autograde(notebook.stem, student.name)
                if not result["success"]:  # e.g. a file that is not a notebook, or a kernel that died
                    reason = (result.get("error") or result.get("log") or "").strip().splitlines()[-1:]
                    print(f"  could not grade {notebook}: {' '.join(reason)}")
                    rows += _ungraded_rows(course, student.name, notebook, f"could not be graded: {' '.join(reason)}")
                    continue
                _check(api.generate_feedback(notebook.stem, student.name), f"write the feedback on {notebook}")
                rows += _rows(course, student.name, notebook)
    _write(rows, course, out)
    return rows


def _graded_cells(path: Path) -> dict:
    """The graded cells of the notebook at ``path`` by question, in the notebook's order."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nbformat.read(path, as_version=4).cells
            if utils.is_grade(cell)}


def _ungraded_rows(course: Path, student: str, notebook: Path, why: str) -> list[dict]:
    """0 points for every question of a submission that nbgrader could not grade, with the reason."""
    questions = _graded_cells(course / "source" / notebook.stem / notebook.name)
    return [{"student": student, "notebook": notebook.stem, "question": question, "points": 0.0,
             "max_points": float(cell.metadata["nbgrader"]["points"]), "feedback": why}
            for question, cell in questions.items()]


def _rows(course: Path, student: str, notebook: Path) -> list[dict]:
    questions = _graded_cells(course / "source" / notebook.stem / notebook.name)
    graded = _graded_cells(course / "autograded" / student / notebook.stem / notebook.name)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        grades = {grade.name: grade for grade in
                  gradebook.find_submission_notebook(notebook.stem, notebook.stem, student).grades}
        return [{"student": student, "notebook": notebook.stem, "question": question,
                 "points": float(grades[question].score or 0), "max_points": grades[question].max_score,
                 "feedback": _cell_feedback(graded[question]) if question in graded
                 else "the test cell is missing from the submission"}
                for question in questions]


def _write(rows: list[dict], course: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "gradebook.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["student", "notebook", "question", "points", "max_points", "feedback"])
        writer.writeheader()
        writer.writerows(rows)
    for student in sorted({row["student"] for row in rows}):
        mine = [row for row in rows if row["student"] == student]
        lines = [f"# Feedback for {student}", "",
                 f"{sum(r['points'] for r in mine):g} of {sum(r['max_points'] for r in mine):g} points.", ""]
        for row in mine:
            mark = "passed" if row["points"] == row["max_points"] else "not passed"
            lines.append(f"- {row['notebook']} / `{row['question']}`: {row['points']:g} of {row['max_points']:g} "
                         f"({mark}). {row['feedback']}")
        folder = out / "feedback" / student
        folder.mkdir(parents=True, exist_ok=True)
        (out / "feedback" / f"{student}.md").write_text("\n".join(lines) + "\n")
        for html in (course / "feedback" / student).glob("*/*.html"):
            shutil.copyfile(html, folder / html.name)
    points, most = sum(r["points"] for r in rows), sum(r["max_points"] for r in rows)
    print(f"students graded: {len({r['student'] for r in rows})}; {points:g} of {most:g} points in all. "
          f"Wrote {out / 'gradebook.csv'} and {out / 'feedback'}/")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="build the student edition")
    student.add_argument("--out", type=Path, default=REPO / "student")
    marking = commands.add_parser("grade", help="grade a folder of submissions (one folder per student)")
    marking.add_argument("submissions", type=Path)
    marking.add_argument("--out", type=Path, default=REPO / "grades")
    args = parser.parse_args(argv)
    if args.command == "student":
        if args.out.resolve() == (REPO / "notebooks").resolve():
            sys.exit("--out notebooks would overwrite the reader's edition: choose another folder")
        build_student_edition(args.out)
    else:
        if not args.submissions.is_dir():
            sys.exit(f"{args.submissions} is not a folder: make grade SUBMISSIONS=<folder with one folder per student>")
        grade(args.submissions, args.out)


if __name__ == "__main__":
    main()
