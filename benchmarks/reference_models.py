"""The TensorFlow tutorials' networks, as published, for the benchmarks to train beside the course's.

- DCGAN tutorial (https://www.tensorflow.org/tutorials/generative/dcgan): generator dense 7*7*256,
  transposed convolutions 128/64/1 with 5x5 kernels; discriminator conv 64/128 with dropout 0.3;
- CVAE tutorial (https://www.tensorflow.org/tutorials/generative/cvae): conv 32/64 stride 2 encoder,
  dense 7*7*32 then transposed convolutions 64/32/1 decoder.

They are only used by ``bench_gan.py`` and ``bench_vae.py``, so they live here, not in ``course_utils``.
"""

from __future__ import annotations

import keras
from keras import layers

IMAGE_SHAPE = (28, 28, 1)


def build_reference_generator(latent_dim: int = 100) -> keras.Model:
    """The TensorFlow DCGAN tutorial's generator (dense 7*7*256, ConvT 128/64/1, 5x5 kernels)."""
    z = keras.Input((latent_dim,))
    x = layers.LeakyReLU()(layers.BatchNormalization()(layers.Dense(7 * 7 * 256, use_bias=False)(z)))
    x = layers.Reshape((7, 7, 256))(x)
    x = layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False)(x)
    x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False)(x)
    x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh")(x)
    assert tuple(x.shape[1:]) == IMAGE_SHAPE, x.shape
    return keras.Model(z, x, name="reference_generator")


def build_reference_discriminator() -> keras.Model:
    """The TensorFlow DCGAN tutorial's discriminator (conv 64/128, 5x5, dropout 0.3)."""
    image = keras.Input(IMAGE_SHAPE)
    x = layers.Dropout(0.3)(layers.LeakyReLU()(layers.Conv2D(64, 5, strides=2, padding="same")(image)))
    x = layers.Dropout(0.3)(layers.LeakyReLU()(layers.Conv2D(128, 5, strides=2, padding="same")(x)))
    return keras.Model(image, layers.Dense(1)(layers.Flatten()(x)), name="reference_discriminator")

def build_reference_encoder(latent_dim: int = 2) -> keras.Model:
    """The TensorFlow CVAE tutorial's encoder: conv 32/64 stride 2, dense to 2 x latent."""
    x_in = keras.Input(IMAGE_SHAPE)
    x = layers.Conv2D(32, 3, strides=2, activation="relu")(x_in)
    x = layers.Conv2D(64, 3, strides=2, activation="relu")(x)
    x = layers.Flatten()(x)
    return keras.Model(x_in, [layers.Dense(latent_dim)(x), layers.Dense(latent_dim)(x)], name="reference_encoder")


def build_reference_decoder(latent_dim: int = 2) -> keras.Model:
    """The TensorFlow CVAE tutorial's decoder: dense 7*7*32, ConvT 64/32 stride 2, ConvT 1."""
    z = keras.Input((latent_dim,))
    x = layers.Reshape((7, 7, 32))(layers.Dense(7 * 7 * 32, activation="relu")(z))
    x = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(x)
    return keras.Model(z, layers.Conv2DTranspose(1, 3, padding="same")(x), name="reference_decoder")

