"""Course-wide settings: fast mode, grading mode, the places the course writes to, and what this machine runs.

Fast mode (``COURSE_FAST=1``) is read here and nowhere else, so every notebook
and test agrees on it.  It shrinks data and epochs so that the whole course runs
in minutes (CI and ``make test`` set it); learners never need it.  Grading mode
(``COURSE_GRADING=1``, set by ``make grade``) is read here too.

Importing this module does not start TensorFlow (``report`` imports it when called).
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path


def _flag(name: str) -> bool:
    return os.environ.get(name, "0").strip().lower() in {"1", "true", "yes", "on"}


FAST: bool = _flag("COURSE_FAST")
"""True when ``COURSE_FAST`` is set to 1/true/yes/on."""
GRADING: bool = _flag("COURSE_GRADING")
"""True when ``COURSE_GRADING`` is set (``make grade`` does): an exercise check that is not passed then raises
``AssertionError``, which nbgrader counts as a failed test (``exercises.graded``)."""

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The course checkout -- when the package is used from one (``pip install -e .``)."""
IN_CHECKOUT = (REPO_ROOT / "notebooks").is_dir()
FIGURES_DIR = REPO_ROOT / "figures" if IN_CHECKOUT else Path.cwd() / "figures"
"""Where ``plots.save`` writes: the repository's ``figures/``, or ``./figures`` when installed (e.g. on Colab)."""


def pick(full, fast):
    """Return ``fast`` in fast mode and ``full`` otherwise.

    Used in each notebook's parameters cell, e.g. ``EPOCHS = pick(full=20, fast=1)``,
    so the two settings sit side by side where a reader can see them.
    """
    return fast if FAST else full


def cache_dir() -> Path:
    """Folder for downloaded data and trained weights (created on demand).

    ``COURSE_CACHE`` overrides the default ``~/.cache/gans-vs-vaes``.
    """
    path = Path(os.environ.get("COURSE_CACHE", Path.home() / ".cache" / "gans-vs-vaes")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def shown(path) -> str:
    """``path`` as it is printed in notebooks: with the home folder written ``~``, so stored
    outputs do not carry the name of the machine (and user) that ran them."""
    path, home = Path(path), Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def write_atomically(path, write) -> None:
    """Write ``path`` by calling ``write(temporary_path)`` and then renaming the result onto ``path``.

    A crash or a kill at any moment leaves either the old file or the new one, never half a file that
    would later be read as valid.  The temporary file sits beside ``path`` (a rename is atomic only
    within one file system) and keeps its suffix (Keras wants ``.weights.h5``, NumPy ``.npz``); one
    left behind by a killed process is named ``partial-<pid>-<name>`` and removed by
    ``remove_partial_files``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"partial-{os.getpid()}-{path.name}")
    try:
        write(temporary)
        with open(temporary, "rb") as f:
            os.fsync(f.fileno())  # on disk before the rename, so a power cut cannot leave an empty file either
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def remove_partial_files(folder) -> None:
    """Delete the temporary files that killed processes left in ``folder`` (see ``write_atomically``);
    those of a process still running are kept."""
    for path in Path(folder).glob("partial-*-*"):
        pid = path.name.split("-")[1]
        if pid.isdigit() and not _running(int(pid)):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, but belongs to another user
    return True


def describe(**settings) -> str:
    """One line per setting, headed by the mode, for a notebook's parameters cell."""
    mode = "FAST (COURSE_FAST=1: small data, few epochs)" if FAST else "full"
    width = max((len(k) for k in settings), default=0)
    lines = [f"mode: {mode}"] + [f"  {k:<{width}} = {v!r}" for k, v in settings.items()]
    return "\n".join(lines)


# --- the environment report of notebook 00 ------------------------------------------------

PACKAGES = ("tensorflow", "keras", "numpy", "matplotlib", "ipywidgets")


def version(package: str) -> str:
    """The installed version of ``package``, or "not installed"."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def in_colab() -> bool:
    """True inside Google Colab (its runtime pre-imports ``google.colab``)."""
    return "google.colab" in sys.modules


def report() -> str:
    """A short, human-readable summary of Python, the course's libraries, CPU threads and GPUs."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    lines = [f"Python      {platform.python_version()} ({'Colab' if in_colab() else platform.system()})"]
    lines += [f"{name:<11} {version(name)}" for name in PACKAGES]
    lines.append(f"CPU cores   {os.cpu_count()} (TensorFlow intra-op threads: "
                 f"{tf.config.threading.get_intra_op_parallelism_threads() or 'auto'})")
    lines.append(f"GPUs        {len(gpus)}" + (f" ({', '.join(g.name for g in gpus)})" if gpus else
                                                " -- fine: every notebook is sized for a laptop CPU"))
    return "\n".join(lines)
