"""Helpers for the GANs-vs-VAEs course.

The notebooks in ``notebooks/`` teach; the reusable, tested logic they import
lives here, one idea per module:

- :mod:`course_utils.config`  -- fast mode and where the course keeps its files
- :mod:`course_utils.data`    -- MNIST, cached and verified, plus scalings
- :mod:`course_utils.plots`   -- image grids and small figure helpers
- :mod:`course_utils.envinfo` -- what this machine is running (versions, CPU/GPU)
"""

__version__ = "0.1.0"

import os as _os

# TensorFlow's C++ start-up chatter (CUDA probing, CPU flags) is noise for learners.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
