"""Automatic checks for the exercises, in the style of CS231n: compare a learner's
answer with a known one under a relative-error tolerance and say what is off."""

from __future__ import annotations

import numpy as np


def relative_error(got, expected) -> float:
    """max |got - expected| / max(|got| + |expected|, tiny), elementwise."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return float(np.max(np.abs(got - expected) / np.maximum(np.abs(got) + np.abs(expected), 1e-12)))


def check_close(name: str, got, expected, rtol: float = 1e-6) -> bool:
    """Print a verdict on ``got`` vs ``expected``; return True when they agree.

    ``got is None`` (the exercise stub) reports "not attempted" instead of failing,
    so a notebook with unsolved exercises still runs top to bottom.
    """
    if got is None:
        print(f"{name}: not attempted yet (your function returned None)")
        return False
    got_shape, expected_shape = np.shape(got), np.shape(expected)
    if got_shape != expected_shape:
        print(f"{name}: wrong shape {got_shape}, expected {expected_shape}")
        return False
    error = relative_error(got, expected)
    if error <= rtol:
        print(f"{name}: correct (relative error {error:.1e} <= {rtol:.0e})")
        return True
    worst = np.unravel_index(np.argmax(np.abs(np.asarray(got, float) - np.asarray(expected, float))), got_shape)
    where = f" at index {tuple(int(i) for i in worst)}" if got_shape else ""
    print(f"{name}: off -- relative error {error:.2e} > {rtol:.0e}{where}: "
          f"got {np.asarray(got)[worst]!r}, expected {np.asarray(expected)[worst]!r}")
    return False


def check_function(name: str, function, args: tuple, expected, rtol: float = 1e-6) -> bool:
    """Call a learner's ``function(*args)`` and compare with ``expected`` (see ``check_close``).

    An unfinished exercise (raising ``NotImplementedError`` or returning None) is
    reported as "not attempted" rather than crashing the notebook.
    """
    try:
        got = function(*args)
    except NotImplementedError:
        got = None
    return check_close(name, got, expected, rtol)
