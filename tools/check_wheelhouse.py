"""Check an offline install of the course: what ``make test-wheelhouse`` runs in its fresh venv.

``make wheelhouse`` collects every wheel a class needs to run the notebooks in JupyterLab, and a copy of
MNIST, so that class machines with no network can install the course (README: "Offline classroom").
``make test-wheelhouse`` installs the course from that folder into a fresh venv with pip's index
disabled, then runs this script with that venv's Python, an empty HOME, an empty course cache and
``COURSE_MNIST`` pointing at the wheelhouse's MNIST, as a class machine would.  It checks what the
notebooks need: every module of ``course_utils`` imports (and with it TensorFlow, Keras, NumPy,
matplotlib, ipywidgets and Pillow), TensorFlow starts, the course's loader reads MNIST, and JupyterLab
runs with a Python kernel.  Each failure stops it with a message naming what is missing.
"""

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

MNIST_SHAPES = [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]


def fail(message: str) -> None:
    sys.exit(f"test-wheelhouse FAILED: {message}")


def check_installed_course() -> None:
    """The course must come from this venv's site-packages, not from a checkout on sys.path."""
    import course_utils

    where = Path(course_utils.__file__).resolve()
    if Path(sys.prefix).resolve() not in where.parents:
        fail(f"course_utils was imported from {where}, not from the venv {sys.prefix}; run this outside the checkout")
    print(f"course_utils {course_utils.__version__}, installed from the wheelhouse")
    course_utils.start()
    for module in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
        try:
            importlib.import_module(module.name)
        except ImportError as error:
            fail(f"{module.name} does not import ({error}): the wheelhouse lacks a package it needs")


def check_mnist() -> None:
    """Through the course's loader, from ``COURSE_MNIST``, into the (empty) course cache."""
    from course_utils import data

    if not os.environ.get("COURSE_MNIST"):
        fail("COURSE_MNIST is not set: point it at the wheelhouse's mnist.npz")
    shapes = [array.shape for array in data.load_mnist()]
    if shapes != MNIST_SHAPES:
        fail(f"MNIST has shapes {shapes}, expected {MNIST_SHAPES}")
    if not data.cache_path().is_file():
        fail(f"MNIST was not cached at {data.cache_path()}")


def check_lab() -> None:
    """``jupyter lab --version`` runs, and a Python kernel is there for the notebooks."""
    from jupyter_client.kernelspec import KernelSpecManager

    jupyter = Path(sys.executable).parent / "jupyter"
    result = subprocess.run([jupyter, "lab", "--version"], capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"`jupyter lab --version` exited with {result.returncode}:\n{result.stderr}")
    print(f"jupyter lab --version: {result.stdout.strip()}")
    if "python3" not in KernelSpecManager().find_kernel_specs():
        fail("JupyterLab has no python3 kernel: the wheelhouse lacks ipykernel")


if __name__ == "__main__":
    check_installed_course()
    check_mnist()
    check_lab()
    print("test-wheelhouse: the course installs and runs from the wheelhouse alone")
