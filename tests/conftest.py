"""Shared fixtures: the real MNIST, small course models and fake image batches.

The model fixtures are factories (call them with a seed and options), so a test can build
several models that differ in one setting.  The maintainer tools (``tools/``) and the
benchmarks' reference networks (``benchmarks/``) are not in the package: their folders are
appended to ``sys.path`` here, after site-packages, so ``make test-colab`` still tests the
*installed* ``course_utils``.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
import small_models

from course_utils import data

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path += [str(REPO_ROOT / "tools"), str(REPO_ROOT / "benchmarks")]


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST (``make test`` fetches it first with ``make data``)."""
    return data.load_mnist(verbose=False)


@pytest.fixture(scope="session")
def mnist_npz(mnist, tmp_path_factory):
    """A valid MNIST cache file, written once per session (compressing MNIST takes seconds)."""
    path = tmp_path_factory.mktemp("mnist") / "mnist.npz"
    data._write_npz(mnist, path)
    return path


@pytest.fixture
def small_gan():
    """``small_gan(seed=0, width=8, lr=1e-3, **GAN options)``: a GAN with 16 latents and narrow course networks."""
    return small_models.small_gan


@pytest.fixture
def small_vae():
    """``small_vae(seed=0, latent=4, lr=3e-3, **VAE options)``: a VAE with narrow course networks."""
    return small_models.small_vae


@pytest.fixture
def tanh_images():
    """``tanh_images(n, seed=0)``: random (n, 28, 28, 1) images in [-1, 1], a GAN's training range."""
    return lambda n, seed=0: np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype("float32")


@pytest.fixture
def binary_images():
    """``binary_images(n, seed=0)``: random binary (n, 28, 28, 1) images with 20% ink, a VAE's test data."""
    return lambda n, seed=0: (np.random.default_rng(seed).random((n, 28, 28, 1)) < 0.2).astype("float32")
