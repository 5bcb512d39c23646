"""The article's GAN listing (4.1.1), corrected for 28x28x1 MNIST and Keras 3.

Same design as the article: a dense layer reshaped to a small image, transposed
convolutions up to the output, a two-convolution discriminator with dropout, and a
hand-written loop that alternates discriminator and generator updates.
"""
import time

import keras  # fixes G20
import matplotlib.pyplot as plt  # fixes G19
import numpy as np
import tensorflow as tf
from keras.layers import (  # fixes G1, G2
    Activation,
    BatchNormalization,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Dropout,
    Flatten,
    Input,
    LeakyReLU,
    Reshape,
)
from keras.models import Model

from course_utils.data import load_mnist

Z_DIM = 100  # fixes G7: defined once, visible everywhere


def build_generator(width=32):
    input_layer = Input(shape=(Z_DIM,))
    x = Dense(7 * 7 * 2 * width, use_bias=False)(input_layer)  # fixes G3: start at 7x7, not 4x4
    x = Activation("relu")(BatchNormalization()(x))
    x = Reshape((7, 7, 2 * width))(x)
    x = Conv2DTranspose(width, (4, 4), strides=(2, 2), padding="same", use_bias=False)(x)  # 14x14
    x = Activation("relu")(BatchNormalization()(x))
    output_layer = Conv2DTranspose(1, (4, 4), strides=(2, 2), padding="same", activation="tanh")(x)  # fixes G4, G5
    return Model(input_layer, output_layer)


def build_discriminator(width=32):
    input_layer = Input(shape=(28, 28, 1))  # fixes G4: MNIST is grey
    x = Dropout(0.3)(LeakyReLU(0.2)(Conv2D(width, (5, 5), strides=(2, 2), padding="same")(input_layer)))
    x = Dropout(0.3)(LeakyReLU(0.2)(Conv2D(2 * width, (5, 5), strides=(2, 2), padding="same")(x)))
    output_layer = Dense(1)(Flatten()(x))  # a logit: the loss applies the sigmoid stably
    return Model(input_layer, output_layer)


bce = keras.losses.BinaryCrossentropy(from_logits=True)


@tf.function
def train_step(generator, discriminator, g_optimizer, d_optimizer, real_images):
    noise = tf.random.normal((tf.shape(real_images)[0], Z_DIM))
    with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:  # fixes G11: TensorFlow, not PyTorch
        fake_images = generator(noise, training=True)  # fixes G21: no predict() in the loop
        real_out = discriminator(real_images, training=True)
        fake_out = discriminator(fake_images, training=True)  # fixes G10: D sees images, not noise
        d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
        g_loss = bce(tf.ones_like(fake_out), fake_out)  # non-saturating: -log D(G(z)) (M4)
    d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, discriminator.trainable_variables),
                                    discriminator.trainable_variables))
    g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, generator.trainable_variables),  # fixes G12, G13
                                    generator.trainable_variables))
    return d_loss, g_loss


def train(generator, discriminator, x_train, batch_size=128, epochs=3, save_dir="."):  # fixes G9: real epochs
    g_optimizer = keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)  # fixes G6
    d_optimizer = keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)
    dataset = tf.data.Dataset.from_tensor_slices(x_train).shuffle(len(x_train), seed=0).batch(batch_size)  # fixes G8
    for epoch in range(epochs):
        start = time.time()
        for real_batch in dataset:
            d_loss, g_loss = train_step(generator, discriminator, g_optimizer, d_optimizer, real_batch)
        generator.save_weights(f"{save_dir}/generator_epoch_{epoch}.weights.h5")  # fixes G14
        print(f"Epoch [{epoch + 1}/{epochs}] d_loss {float(d_loss):.4f}, g_loss {float(g_loss):.4f}, "
              f"{time.time() - start:.0f} s")  # fixes G15: both losses, once per epoch
    return generator, discriminator  # fixes G16


def save_samples(generator, path, n=10, seed=0):
    noise = np.random.default_rng(seed).normal(size=(n, Z_DIM)).astype("float32")
    images = generator(noise, training=False).numpy()[..., 0]
    img = np.hstack(list(images))  # fixes G17: one row of n 28x28 images
    img = np.clip(np.rint((img + 1) * 127.5), 0, 255).astype(np.uint8)  # fixes G18
    plt.imsave(path, img, cmap="gray")  # fixes G19
    return img


def main(epochs=3, n_train=60000, save_dir="."):
    x_train = load_mnist().x_train[:n_train]  # or keras.datasets.mnist.load_data() when online
    x_train = np.expand_dims(x_train / 127.5 - 1.0, axis=3).astype("float32")
    generator, discriminator = train(build_generator(), build_discriminator(), x_train, epochs=epochs,
                                     save_dir=save_dir)
    return generator, save_samples(generator, f"{save_dir}/gan_samples.png")
