"""What this machine runs: Python and library versions, CPU threads, GPUs."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

PACKAGES = ("tensorflow", "keras", "numpy", "matplotlib", "ipywidgets")


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def in_colab() -> bool:
    """True inside Google Colab (its runtime pre-imports ``google.colab``)."""
    return "google.colab" in sys.modules


def report() -> str:
    """A short, human-readable summary for the start of a notebook."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    lines = [f"Python      {platform.python_version()} ({'Colab' if in_colab() else platform.system()})"]
    lines += [f"{name:<11} {version(name)}" for name in PACKAGES]
    lines.append(f"CPU cores   {os.cpu_count()} (TensorFlow intra-op threads: "
                 f"{tf.config.threading.get_intra_op_parallelism_threads() or 'auto'})")
    lines.append(f"GPUs        {len(gpus)}" + (f" ({', '.join(g.name for g in gpus)})" if gpus else
                                                " -- fine: every notebook is sized for a laptop CPU"))
    return "\n".join(lines)
