"""Walking a Gaussian latent space: quantile grids and spherical interpolation.

Used by the VAE and GAN notebooks for the 2-D manifold plot, interpolations between
digits and the latent explorer.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


def gaussian_grid(n: int) -> np.ndarray:
    """n values at the quantiles (i + 0.5) / n of N(0, 1): equal probability mass between them,
    so a grid of decoded points covers the prior evenly instead of wasting space in its tails."""
    return np.array([NormalDist().inv_cdf((i + 0.5) / n) for i in range(n)])


def slerp(z0: np.ndarray, z1: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation from z0 (t=0) to z1 (t=1).

    In high dimension Gaussian samples concentrate near a sphere of radius ~sqrt(d); the
    straight line between two of them passes through the low-norm middle, which the
    models rarely saw in training.  slerp follows the arc instead.
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * z0 + t * z1
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int, spherical: bool = True) -> np.ndarray:
    """``steps`` latents from z0 to z1 inclusive, as a (steps, d) float32 array."""
    ts = np.linspace(0.0, 1.0, steps)
    path = [slerp(z0, z1, t) if spherical else (1 - t) * z0 + t * z1 for t in ts]
    return np.array(path, dtype=np.float32)


def codes_by_digit(latents: np.ndarray, decoded01: np.ndarray) -> dict[int, np.ndarray]:
    """digit -> the latent whose decoded image the course's classifier is surest shows that digit.

    ``decoded01`` are the images of ``latents`` in [0, 1].  For a GAN, pass random latents and
    their samples; for a VAE, encoder means of test digits and their reconstructions.
    Digits the classifier finds in none of the images are left out.
    """
    from course_utils import classifier

    _, probabilities = classifier.features_and_probabilities(decoded01)
    labels = probabilities.argmax(1)
    return {int(d): np.asarray(latents[np.flatnonzero(labels == d)[probabilities[labels == d, d].argmax()]])
            for d in np.unique(labels)}
