"""Reference answers for the notebooks' exercises, used by their automatic checks.

Each ``check_*`` runs a learner's function on fixed inputs and compares the
result with a reference computed here (see ``checks.check_function``).
"""

from __future__ import annotations

import numpy as np

from course_utils import checks, data

# --- 00_start_here -----------------------------------------------------------

def check_class_means(class_means, mnist: data.Mnist) -> bool:
    """``class_means(x_uint8, y)`` -> (10, 28, 28) mean intensity in [0, 1] per digit."""
    x, y = mnist.x_test, mnist.y_test
    expected = np.stack([x[y == digit].mean(axis=0) / 255.0 for digit in range(10)])
    return checks.check_function("class_means", class_means, (x, y), expected, rtol=1e-5)


def check_denormalise(denormalise) -> bool:
    """``denormalise(g)``: generator output in [-1, 1] -> uint8 pixel values 0..255."""
    g = np.linspace(-1.0, 1.0, 511, dtype=np.float32)
    return checks.check_function("denormalise", denormalise, (g,), data.from_tanh(g), rtol=0)


def check_nearest_train_index(nearest_train_index, mnist: data.Mnist) -> bool:
    """``nearest_train_index(queries, train)`` -> index of each query's nearest training image (L2)."""
    queries = data.to_unit(mnist.x_test[:5]).reshape(5, -1).astype(np.float64)
    train = data.to_unit(mnist.x_train[:2000]).reshape(2000, -1).astype(np.float64)
    expected = np.array([np.argmin(((train - q) ** 2).sum(axis=1)) for q in queries])
    return checks.check_function("nearest_train_index", nearest_train_index, (queries, train), expected, rtol=0)


def check_binarized_ink(binarized_ink, mnist: data.Mnist) -> bool:
    """``binarized_ink(x01)`` -> expected fraction of 'on' pixels under dynamic binarization."""
    x01 = data.to_unit(mnist.x_test[:100])
    return checks.check_function("binarized_ink", binarized_ink, (x01,), float(x01.mean()), rtol=1e-5)
