"""DCGAN networks for 28x28x1 MNIST, sized for a laptop CPU.

Choices (each explained in notebook 04):
- generator: dense to 7x7x(2*width), a stride-2 transposed convolution to 14x14, a 3x3
  convolution at 14x14, and a stride-2 transposed convolution to 28x28.  Kernel 4 with
  stride 2 divides evenly, which avoids the checkerboard artefacts of 5x5/2.  BatchNorm after
  every hidden layer, none on the tanh output (DCGAN, Radford et al. 2016).
- discriminator: two stride-2 convolutions (28 -> 14 -> 7) and a 3x3 convolution at 7x7, with
  LeakyReLU(0.2), no BatchNorm (it would mix statistics of real and fake batches), one logit out.
- The two are not the same size: the generator (width 64) has the harder job and gets about
  eight times the discriminator's parameters (width 32).
- ``make_gan`` adds the R1 penalty to the discriminator's loss (``gan.GAN``, ``losses.r1_penalty``).
- The reference network of the TensorFlow DCGAN tutorial is here too, for the benchmark.
"""

from __future__ import annotations

import keras
from keras import layers

from course_utils import gan, training

IMAGE_SHAPE = (28, 28, 1)


def _check(x, expected, where):
    """Shape assert while building, in the spirit of the TensorFlow tutorial."""
    got = tuple(x.shape[1:])
    assert got == expected, f"{where}: got {got}, expected {expected}"
    return x


def build_generator(latent_dim: int = 64, width: int = 64) -> keras.Model:
    """z (latent_dim,) -> image (28, 28, 1) in [-1, 1]."""
    z = keras.Input((latent_dim,))
    x = layers.Dense(7 * 7 * 2 * width, use_bias=False)(z)
    x = layers.LeakyReLU(0.2)(layers.BatchNormalization()(x))
    x = _check(layers.Reshape((7, 7, 2 * width))(x), (7, 7, 2 * width), "reshape")
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False)(x)
    x = _check(layers.LeakyReLU(0.2)(layers.BatchNormalization()(x)), (14, 14, width), "upsample 1")
    x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
    x = _check(layers.LeakyReLU(0.2)(layers.BatchNormalization()(x)), (14, 14, width), "refine at 14x14")
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(z, _check(x, IMAGE_SHAPE, "output"), name="generator")


def build_discriminator(width: int = 32) -> keras.Model:
    """image (28, 28, 1) in [-1, 1] -> one logit (D(x) = sigmoid(logit))."""
    image = keras.Input(IMAGE_SHAPE)
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 4, strides=2, padding="same")(image))
    x = _check(x, (14, 14, width), "downsample 1")
    x = layers.LeakyReLU(0.2)(layers.Conv2D(2 * width, 4, strides=2, padding="same")(x))
    x = _check(x, (7, 7, 2 * width), "downsample 2")
    x = _check(layers.LeakyReLU(0.2)(layers.Conv2D(2 * width, 3, padding="same")(x)), (7, 7, 2 * width), "at 7x7")
    logit = layers.Dense(1)(layers.Flatten()(x))
    return keras.Model(image, logit, name="discriminator")


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
    return keras.Model(z, _check(x, IMAGE_SHAPE, "output"), name="reference_generator")


def build_reference_discriminator() -> keras.Model:
    """The TensorFlow DCGAN tutorial's discriminator (conv 64/128, 5x5, dropout 0.3)."""
    image = keras.Input(IMAGE_SHAPE)
    x = layers.Dropout(0.3)(layers.LeakyReLU()(layers.Conv2D(64, 5, strides=2, padding="same")(image)))
    x = layers.Dropout(0.3)(layers.LeakyReLU()(layers.Conv2D(128, 5, strides=2, padding="same")(x)))
    return keras.Model(image, layers.Dense(1)(layers.Flatten()(x)), name="reference_discriminator")


def make_gan(latent_dim: int = 64, g_width: int = 64, d_width: int = 32, lr: float = 1e-3, d_lr: float | None = None,
             generator_loss: str = "nonsaturating", ema_decay: float | None = 0.999, r1_weight: float = 1.0,
             seed: int = 0):
    """The course DCGAN, compiled with XLA: Adam(beta_1=0.5) for both networks (``d_lr`` defaults to ``lr``)
    and the R1 penalty with weight ``r1_weight`` on the discriminator."""
    keras.utils.set_random_seed(seed)
    model = gan.GAN(build_generator(latent_dim, g_width), build_discriminator(d_width), latent_dim,
                    generator_loss=generator_loss, data_range=(-1, 1), ema_decay=ema_decay,
                    r1_weight=r1_weight, seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(d_lr or lr, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5), jit_compile=training.jit_compile())
    return model


def describe(model: keras.Model) -> str:
    """One line per layer with its output shape, then the parameter count."""
    lines = [f"  {type(layer).__name__:<20} {str(tuple(layer.output.shape[1:])):>14}" for layer in model.layers]
    return "\n".join([f"{model.name}:", *lines, f"  parameters: {model.count_params():,}"])
