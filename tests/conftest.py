"""Shared fixtures: the real MNIST, small course models and fake image batches.

The model fixtures are factories (call them with a seed and options), so a test can build
several models that differ in one setting.  The maintainer tools (``tools/``) and the
benchmarks' reference networks (``benchmarks/``) are not in the package: their folders are
appended to ``sys.path`` here, after site-packages, so ``make test-colab`` still tests the
*installed* ``course_utils``.
"""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from course_utils import data, gan, vae

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
    def make(seed=0, width=8, lr=1e-3, **options):
        keras.utils.set_random_seed(seed)
        model = gan.GAN(gan.build_generator(16, width=width), gan.build_discriminator(width=width), 16,
                        data_range=(-1, 1), seed=seed, **options)
        model.compile(keras.optimizers.Adam(lr, beta_1=0.5), keras.optimizers.Adam(lr, beta_1=0.5))
        return model
    return make


@pytest.fixture
def small_vae():
    """``small_vae(seed=0, latent=4, lr=3e-3, **VAE options)``: a VAE with narrow course networks."""
    def make(seed=0, latent=4, lr=3e-3, **options):
        keras.utils.set_random_seed(seed)
        model = vae.VAE(vae.build_encoder(latent, width=8), vae.build_decoder(latent, width=8), seed=seed, **options)
        model.compile(keras.optimizers.Adam(lr))
        return model
    return make


@pytest.fixture
def tanh_images():
    """``tanh_images(n, seed=0)``: random (n, 28, 28, 1) images in [-1, 1], a GAN's training range."""
    return lambda n, seed=0: np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype("float32")


@pytest.fixture
def binary_images():
    """``binary_images(n, seed=0)``: random binary (n, 28, 28, 1) images with 20% ink, a VAE's test data."""
    return lambda n, seed=0: (np.random.default_rng(seed).random((n, 28, 28, 1)) < 0.2).astype("float32")
