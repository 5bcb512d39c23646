"""The article's VAE listing (4.2.1), corrected for 28x28x1 MNIST and Keras 3.

Same design as the article: a dense encoder to a mean and log-variance, a dense decoder
that ends in a transposed convolution, and a hand-written training loop -- now with the
reparameterization, a Bernoulli likelihood and the KL term, i.e. the ELBO of notebook 02.
"""
import time

import keras  # fixes G20 (same line in this listing)
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from keras import layers, ops  # fixes V1: Lambda/K replaced by a layer using keras.ops

from course_utils.data import binarize, load_mnist

Z_DIM = 100  # fixes V8


class Sampling(layers.Layer):
    def call(self, inputs):
        z_mean, z_log_var = inputs
        return z_mean + ops.exp(z_log_var / 2) * keras.random.normal(ops.shape(z_mean))  # fixes V2


def build_encoder():
    input_layer = keras.Input(shape=(28, 28, 1))
    x = layers.Flatten()(input_layer)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dense(256, activation="relu")(x)
    z_mean, z_log_var = layers.Dense(Z_DIM)(x), layers.Dense(Z_DIM)(x)
    return keras.Model(input_layer, [z_mean, z_log_var, Sampling()([z_mean, z_log_var])])  # fixes V3


def build_decoder():
    input_layer = keras.Input(shape=(Z_DIM,))
    x = layers.Dense(256, activation="relu")(input_layer)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Reshape((7, 7, 32))(layers.Dense(7 * 7 * 32, activation="relu")(x))  # fixes V4
    x = layers.Conv2DTranspose(32, (5, 5), strides=(2, 2), padding="same", activation="relu")(x)  # fixes V5: 14
    logits = layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same")(x)  # fixes V6: 28x28 logits
    return keras.Model(input_layer, logits)


@tf.function
def train_step(encoder, decoder, optimizer, x):
    with tf.GradientTape() as tape:  # fixes V12
        z_mean, z_log_var, z = encoder(x, training=True)  # fixes V7: encode the batch itself
        logits = decoder(z, training=True)
        reconstruction = tf.reduce_sum(  # fixes V9, V11: Bernoulli -log p(x|z), summed over pixels
            tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=[1, 2, 3])
        kl_divergence = -0.5 * tf.reduce_sum(  # fixes V10: computed from the encoder's outputs
            1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=-1)
        loss = tf.reduce_mean(reconstruction + kl_divergence)  # fixes V11: weight 1, the ELBO
    variables = encoder.trainable_variables + decoder.trainable_variables  # fixes V14: both networks learn
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss


def train(encoder, decoder, x_train, batch_size=128, epochs=5, save_dir="."):  # fixes V15: real epochs
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)  # fixes V16 (and the Keras 3 lr crash)
    for epoch in range(epochs):
        start = time.time()
        x_binary = binarize(x_train, seed=epoch).astype("float32")  # a fresh binarization every epoch
        for x in tf.data.Dataset.from_tensor_slices(x_binary).shuffle(len(x_binary), seed=epoch).batch(batch_size):
            loss = train_step(encoder, decoder, optimizer, x)
        encoder.save_weights(f"{save_dir}/encoder_epoch_{epoch}.weights.h5")  # fixes V13
        decoder.save_weights(f"{save_dir}/decoder_epoch_{epoch}.weights.h5")
        print(f"Epoch [{epoch + 1}/{epochs}] loss (-ELBO, nats) {float(loss):.2f}, {time.time() - start:.0f} s")
    return encoder, decoder


def save_samples(decoder, path, n=10, seed=0):
    noise = np.random.default_rng(seed).normal(size=(n, Z_DIM)).astype("float32")
    images = ops.convert_to_numpy(ops.sigmoid(decoder(noise, training=False)))[..., 0]  # pixel probabilities
    img = (np.hstack(list(images)) * 255).round().astype(np.uint8)  # fixes G17, G18: a row, 0..255
    plt.imsave(path, img, cmap="gray")  # fixes G19
    return img


def main(epochs=5, n_train=60000, save_dir="."):
    x_train = np.expand_dims(load_mnist().x_train[:n_train] / 255.0, axis=3)  # [0, 1] for a Bernoulli decoder
    encoder, decoder = train(build_encoder(), build_decoder(), x_train, epochs=epochs, save_dir=save_dir)
    return decoder, save_samples(decoder, f"{save_dir}/vae_samples.png")
