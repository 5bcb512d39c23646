"""The exercise checks: verdicts that say what is off, and every checker tried with wrong answers.

A check that cannot fail is a defect.  For each checker, ``CASES`` holds its reference solution,
which must pass, and plausible wrong answers (off by a constant, wrong sign, mean instead of sum,
a missing term), each of which must fail.  Each notebook has its own section.
"""

import numpy as np  # noqa: F401 -- the cases below use it
import pytest

from course_utils import exercises


def test_check_close_verdicts(capsys):
    assert exercises.check_close("ok", [1.0, 2.0], [1.0, 2.0 + 1e-9])
    assert not exercises.check_close("off", [1.0, 2.5], [1.0, 2.0])
    assert "index (1,)" in capsys.readouterr().out
    assert not exercises.check_close("shape", [1.0], [1.0, 2.0])
    assert not exercises.check_close("stub", None, [1.0])
    assert "not attempted" in capsys.readouterr().out


def test_a_stub_is_reported_as_not_attempted(capsys):
    def stub(*args):
        raise NotImplementedError

    assert not exercises.check_function("stub", stub, (1,), 1.0)
    assert "not attempted" in capsys.readouterr().out


# Each case: (checker, the solution, [wrong answers], extra arguments the checker takes after the function).
# A checker that takes several learner functions gets a tuple of functions instead of one.

# --- 00_start_here ----------------------------------------------------------------------------------
CASES_00 = []

# --- 01_gan_objective -------------------------------------------------------------------------------
CASES_01 = []

# --- 02_vae_elbo ------------------------------------------------------------------------------------
CASES_02 = []

# --- 03_article_errata ------------------------------------------------------------------------------
CASES_03 = []

# --- 04_dcgan_mnist ---------------------------------------------------------------------------------
CASES_04 = []

# --- 05_vae_mnist -----------------------------------------------------------------------------------
CASES_05 = []

# --- 06_gan_vs_vae ----------------------------------------------------------------------------------
CASES_06 = []

# ------------------------------------------------------------------------------------------------------
CASES = CASES_00 + CASES_01 + CASES_02 + CASES_03 + CASES_04 + CASES_05 + CASES_06
NEEDS_MNIST = "mnist"  # put this string among a case's extra arguments to pass the real MNIST there


def _call(checker, functions, extra, mnist):
    functions = functions if isinstance(functions, tuple) else (functions,)
    return checker(*functions, *[mnist if a == NEEDS_MNIST else a for a in extra])


@pytest.mark.parametrize("checker, solution, wrong, extra", CASES, ids=[c[0].__name__ for c in CASES])
def test_each_checker_accepts_the_solution_and_rejects_wrong_answers(checker, solution, wrong, extra, mnist):
    assert _call(checker, solution, extra, mnist), f"{checker.__name__} rejects its own solution"
    assert len(wrong) >= 2, f"{checker.__name__}: try it with at least two plausible wrong answers"
    for answer in wrong:
        assert not _call(checker, answer, extra, mnist), f"{checker.__name__} accepts a wrong answer"


def test_every_checker_is_tried_with_wrong_answers():
    checkers = {name for name in dir(exercises) if name.startswith("check_") and name not in
                {"check_close", "check_function"}}
    assert checkers == {c[0].__name__ for c in CASES}, "add the missing checkers to CASES"

