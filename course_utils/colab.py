"""What a notebook's Colab setup cell does once ``course_utils`` is installed.

Colab's runtime comes with TensorFlow, Keras, NumPy, matplotlib and ipywidgets at versions
Google chose (ipywidgets 7.7.1, because version 8 breaks Colab's widget rendering).  The
setup cell (written by ``make badges`` from ``contents.setup_cell``) therefore installs the
course helpers with ``pip install --no-deps``, so pip cannot upgrade any of them, and then
calls ``setup()``, which

1. installs only requirements that are *missing* (a package that is present is never
   touched, whatever its version), and stops with a clear message if the runtime is too old
   for the course (Keras 2);
2. fetches MNIST into the cache;
3. says whether a GPU is attached and recommends one where the notebook trains for long.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys

from course_utils import data

DISTRIBUTION = "course_utils"
KEPT_AS_IS = ("tensorflow", "keras", "ipywidgets", "numpy", "matplotlib")
"""Packages Colab preinstalls and the course never reinstalls or upgrades."""


def requirement_name(requirement: str) -> str:
    """``"ipywidgets>=7.6,<9"`` -> ``"ipywidgets"``."""
    return re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0].lower()


def runtime_requirements() -> list[str]:
    """The course's own dependencies (no extras), as declared in ``pyproject.toml``."""
    declared = importlib.metadata.requires(DISTRIBUTION) or []
    return [r for r in declared if "extra ==" not in r]


def installed_versions(names) -> dict[str, str | None]:
    """name -> installed version, or None where the package is absent."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def install_plan(requirements: list[str], installed: dict[str, str | None]) -> list[str]:
    """The requirements to pip-install: those whose package is not installed at all."""
    return [r for r in requirements if installed.get(requirement_name(r)) is None]


def check_runtime(installed: dict[str, str | None]) -> None:
    """Stop early, with the fix, on a runtime whose Keras is older than Keras 3."""
    keras_version = installed.get("keras")
    if keras_version and int(keras_version.split(".")[0]) < 3:
        raise RuntimeError(
            f"This course needs Keras 3 (TensorFlow 2.16 or newer); this runtime has Keras {keras_version}. "
            "In Colab choose Runtime > Change runtime type and pick the latest runtime version, "
            "or run `%pip install -U tensorflow` and restart the session.")


def _pip_install(requirements: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *requirements], check=True)


def setup(cpu_minutes: float | None = None) -> None:
    """Complete the course's set-up on Colab (see the module docstring).

    ``cpu_minutes``: the notebook's full-mode run time on a 2-core CPU, when it trains;
    used to recommend a GPU runtime.
    """
    requirements = runtime_requirements()
    installed = installed_versions({requirement_name(r) for r in requirements})
    check_runtime(installed)
    missing = install_plan(requirements, installed)
    if missing:
        print("Installing what this runtime lacks:", " ".join(missing))
        _pip_install(missing)
    data.load_mnist()
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        print("GPU runtime: training cells will run much faster than the times quoted for a CPU.")
    elif cpu_minutes:
        print(f"CPU runtime: this notebook takes about {cpu_minutes:g} minutes in full mode. For a faster run, "
              "choose Runtime > Change runtime type > T4 GPU before running it (or read the stored outputs).")
