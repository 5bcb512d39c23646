"""The course map, the release the Colab badges point at, and the Colab set-up.

**The map.** ``NOTEBOOKS`` lists the notebooks; notebook 00 and the README render it with
``map_markdown``, each row with an "Open in Colab" badge pointing at the release tag ``REF``
of ``REPO_URL``, so a notebook opened in Colab installs the helpers it was written for.  A
fork changes ``REPO_URL`` here and runs ``make badges`` (``tools/badges.py``), which rewrites
the README map, the badges and every notebook's setup cell; a test checks that they agree.

**The set-up** (``setup``), which the setup cell runs on Colab once ``course_utils`` is installed.

Colab's runtime comes with TensorFlow, Keras, NumPy, matplotlib and ipywidgets at versions
Google chose (ipywidgets 7.7.1, because version 8 breaks Colab's widget rendering).  The
setup cell (written by ``make badges``) therefore installs the
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

import course_utils
from course_utils import data

REPO_URL = "https://github.com/gans-vs-vaes/course"
"""The course's public repository (Colab installs ``course_utils`` from here)."""

REF = f"v{course_utils.__version__}"
"""The release tag that Colab badges and setup cells point at (a release tags its commit ``v<version>``)."""

NOTEBOOKS = [
    ("00_start_here.ipynb", "Start here",
     "What the course is, your environment, MNIST fetched and cached, fast mode."),
    ("00b_primer.ipynb", "Primer",
     "KL divergence, Jensen's inequality, transposed convolutions, BatchNorm, GradientTape and a custom train_step."),
    ("01_gan_objective.ipynb", "The GAN objective",
     "V(D,G), the optimal discriminator, JSD, saturating vs non-saturating loss and what each descends, "
     "mode coverage, and a live GAN lab."),
    ("02_vae_elbo.ipynb", "The VAE ELBO",
     "The correct ELBO, closed-form KL, the reparameterization trick, exact checks on a linear model."),
    ("03_article_errata.ipynb", "Errata of the article",
     "The defects we found in the source article, reproduced and fixed; corrected listings."),
    ("04_dcgan_mnist.ipynb", "DCGAN on MNIST", "A fast, diagnosable GAN trained on a laptop CPU."),
    ("05_vae_mnist.ipynb", "VAE on MNIST", "A convolutional VAE: held-out likelihood, latent tools, a VAE explainer."),
    ("06_gan_vs_vae.ipynb", "GAN vs VAE, measured", "Side-by-side metrics, pictures and a latent explorer."),
    ("07_failure_modes.ipynb", "When training goes wrong",
     "A failure-mode lab: each GAN and VAE failure reproduced, detected by a number, and fixed."),
]

CPU_MINUTES = {"03_article_errata.ipynb": 10, "04_dcgan_mnist.ipynb": 23, "05_vae_mnist.ipynb": 26,
               "07_failure_modes.ipynb": 17}
"""Full-mode run time on a 2-core CPU of the notebooks that train: the longest run measured with `make course`'s
nbconvert (the course's shared 2-core machines vary; a quiet one is faster)."""


def colab_url(filename: str) -> str:
    path = REPO_URL.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{path}/blob/{REF}/notebooks/{filename}"


def colab_badge(filename: str) -> str:
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(filename)})")


def colab_pip_spec() -> str:
    """What a notebook's Colab setup cell installs (``pip install --no-deps`` keeps Colab's packages)."""
    return f"git+{REPO_URL}@{REF}"


def map_markdown(link_prefix: str = "notebooks/") -> str:
    """The notebook map as a Markdown table.

    ``link_prefix`` is where links start from: ``notebooks/`` in the README, ``""``
    inside a notebook.
    """
    rows = ["| # | Notebook | What you learn | Colab |", "|---|---|---|---|"]
    for filename, title, summary in NOTEBOOKS:
        number = filename.split("_")[0]  # "00", "00b", "01", ...
        rows.append(f"| {number} | [{title}]({link_prefix}{filename}) | {summary} | {colab_badge(filename)} |")
    return "\n".join(rows)


# --- the Colab set-up -----------------------------------------------------------------------

DISTRIBUTION = "course_utils"
KEPT_AS_IS = ("tensorflow", "keras", "ipywidgets", "numpy", "matplotlib", "pillow")
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
    """Stop early, with the fix, on a runtime whose Keras is older than the course's ``keras>=3.5``."""
    keras_version = installed.get("keras")
    if keras_version and tuple(int(part) for part in keras_version.split(".")[:2]) < (3, 5):
        raise RuntimeError(
            f"This course needs Keras 3.5 or newer (with TensorFlow 2.16 or newer); this runtime has Keras "
            f"{keras_version}. "
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
    course_utils.start()
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        print("GPU runtime: training cells will run much faster than the times quoted for a CPU.")
    elif cpu_minutes:
        print(f"CPU runtime: this notebook takes about {cpu_minutes:g} minutes in full mode. For a faster run, "
              "choose Runtime > Change runtime type > T4 GPU before running it (or read the stored outputs).")
