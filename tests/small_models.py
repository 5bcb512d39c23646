"""Small course models for tests: the course networks, narrowed, with the course's trainers.

Shared by the fixtures in ``conftest.py`` and by ``train_until_killed.py``, which the crash tests
run in child processes (so both build exactly the same model, and a run resumes into its own folder).
"""

import keras
import numpy as np

from course_utils import gan, vae


def small_gan(seed=0, width=8, lr=1e-3, **options) -> gan.GAN:
    """A GAN with 16 latents and narrow course networks."""
    keras.utils.set_random_seed(seed)
    model = gan.GAN(gan.build_generator(16, width=width), gan.build_discriminator(width=width), 16,
                    data_range=(-1, 1), seed=seed, **options)
    model.compile(keras.optimizers.Adam(lr, beta_1=0.5), keras.optimizers.Adam(lr, beta_1=0.5))
    return model


def small_vae(seed=0, latent=4, lr=3e-3, **options) -> vae.VAE:
    """A VAE with narrow course networks."""
    keras.utils.set_random_seed(seed)
    model = vae.VAE(vae.build_encoder(latent, width=8), vae.build_decoder(latent, width=8), seed=seed, **options)
    model.compile(keras.optimizers.Adam(lr))
    return model


def model_and_data(kind: str, n: int = 64):
    """``kind`` "gan" or "vae": its small model (with weight averaging, as the course trains it) and
    ``n`` random training images in the model's range."""
    images = np.random.default_rng(0).uniform(0, 1, (n, 28, 28, 1)).astype("float32")
    if kind == "gan":
        return small_gan(ema_decay=0.99), images * 2 - 1
    return small_vae(ema_decay=0.99), images


def sgd_model_and_data(kind: str, n: int = 128):
    """Like ``model_and_data``, but trained with plain SGD and without weight averaging or fresh binarization,
    so that a distributed run's result depends on the size of its averaged gradients (Adam would hide a
    gradient summed over replicas instead of averaged)."""
    if kind == "gan":
        model, images = small_gan(), model_and_data("gan", n)[1]
        model.compile(keras.optimizers.SGD(0.02), keras.optimizers.SGD(0.02))
        return model, images
    model, images = small_vae(dynamic_binarization=False), model_and_data("vae", n)[1]
    model.compile(keras.optimizers.SGD(1e-4))  # its loss sums 784 pixels' nats: large gradients
    return model, (images > 0.5).astype("float32")
