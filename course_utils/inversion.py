"""GAN inversion: reconstructing an image with a GAN by searching its latent space.

A VAE reconstructs by encoding; a GAN has no encoder, so we *optimise* the latent:
minimise the pixel error ||G(z) - x||² over z with Adam, from a few random starts, and keep
the best.  What remains is the part of x the generator cannot produce -- a fair way to put
the two models' reconstructions side by side.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from course_utils import data


def invert(generator: keras.Model, targets01: np.ndarray, steps: int = 300, lr: float = 0.05,
           restarts: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latents whose images best match ``targets01`` (n, 28, 28, 1) in [0, 1].

    ``generator`` maps z to images in [-1, 1].  Returns (z (n, d), images in [0, 1],
    mean squared error per image on the [0, 1] scale).
    """
    targets01 = np.asarray(targets01, np.float32)
    data.check_model_input(targets01, tuple(generator.output_shape[1:]), (0.0, 1.0))
    n, latent_dim = len(targets01), generator.input_shape[-1]
    rng = np.random.default_rng(seed)
    z = tf.Variable(rng.normal(size=(restarts * n, latent_dim)).astype(np.float32))
    goal = tf.constant(np.tile(2.0 * targets01 - 1.0, (restarts, 1, 1, 1)))  # the generator's scale
    optimizer = keras.optimizers.Adam(lr)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            errors = tf.reduce_mean(tf.square(generator(z, training=False) - goal), axis=[1, 2, 3])
            loss = tf.reduce_sum(errors)
        optimizer.apply_gradients([(tape.gradient(loss, z), z)])
        return errors

    for _ in range(steps):
        errors = step()
    errors = errors.numpy().reshape(restarts, n)
    best = errors.argmin(0)
    z_best = z.numpy().reshape(restarts, n, latent_dim)[best, np.arange(n)]
    images01 = data.to_unit(data.from_tanh(keras.ops.convert_to_numpy(generator(z_best, training=False))))
    return z_best, images01, np.mean((images01 - targets01) ** 2, axis=(1, 2, 3))
