"""Minimal reproductions of the article's code defects, run against the installed Keras.

Each reproduction is a few lines in the article's own style, executed after the
article's own imports (``ARTICLE_IMPORTS``), and the outcome it is claimed to produce:
an exception (type and the part of its message that matters) or a printed value.
``run(id)`` executes one and returns its outcome as text; notebook 03 shows them and
``tests/test_errata.py`` checks every claim -- so if a future Keras changes what the
article's code does, the test says so.
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap

ARTICLE_IMPORTS = """
import numpy as np
import tensorflow as tf
from tensorflow.keras.layers import Input, Dense, Flatten, Reshape, Concatenate
from tensorflow.keras.models import Model
"""

# The imports the article forgot, for reproductions of defects further down the listing.
MISSING_IMPORTS = """
import keras
from tensorflow.keras.layers import (Conv2DTranspose, BatchNormalization, Activation, Conv2D, LeakyReLU,
                                     Dropout, Lambda)
from tensorflow.keras.optimizers import Adam
"""

ARTICLE_GENERATOR = """
def build_generator():
    z_dim = 100
    n_layers = 3
    input_layer = Input(shape=(z_dim,))
    x = Dense(4*4*256, activation='relu', use_bias=False)(input_layer)
    x = Reshape((4, 4, 256))(x)
    for _ in range(n_layers):
        x = Conv2DTranspose(256, (4, 4), strides=(2, 2), padding='same')(x)
        x = BatchNormalization(momentum=0.8)(x)
        x = Activation('relu')(x)
    x = Conv2DTranspose(3, (4, 4), strides=(2, 2), padding='same')(x)
    x = BatchNormalization(momentum=0.8)(x)
    output_layer = Activation('tanh')(x)
    return Model(input_layer, output_layer)
"""

ARTICLE_DISCRIMINATOR = """
def build_discriminator():
    input_layer = Input(shape=(28, 28, 3,))
    x = Conv2D(64, (5, 5), strides=(2, 2), padding='same')(input_layer)
    x = LeakyReLU(0.2)(x)
    x = Dropout(0.3)(x)
    x = Conv2D(128, (5, 5), strides=(2, 2), padding='same')(x)
    x = LeakyReLU(0.2)(x)
    x = Dropout(0.3)(x)
    x = Flatten()(x)
    output_layer = Dense(1, activation='sigmoid')(x)
    return Model(input_layer, output_layer)
"""

# id -> (code run after ARTICLE_IMPORTS, text the outcome must contain)
REPRODUCTIONS: dict[str, tuple[str, str]] = {
    "G1": ("x = Conv2DTranspose(256, (4, 4), strides=(2, 2), padding='same')",
           "NameError: name 'Conv2DTranspose' is not defined"),
    "G3": (MISSING_IMPORTS + ARTICLE_GENERATOR + "print(build_generator().output.shape)", "(None, 64, 64, 3)"),
    "G4": (MISSING_IMPORTS + ARTICLE_DISCRIMINATOR + "build_discriminator()(np.zeros((1, 28, 28, 1)))",
           "expected axis -1 of input shape to have value 3, but received input with shape (1, 28, 28, 1)"),
    "G6": (MISSING_IMPORTS + "optimizer = Adam(lr=0.0002, beta_1=0.5)", "Argument(s) not recognized"),
    "G7": ("batch_size = 128\nnoise = np.random.normal(0, 1, (batch_size, z_dim))",
           "NameError: name 'z_dim' is not defined"),
    "G8": ("real_images = np.arange(60000)\nbatch_size = 128\n"
           "for epoch in range(2):\n"
           "    real_images = real_images[np.random.randint(0, real_images.shape[0], batch_size)]\n"
           "print('images left to sample from:', len(np.unique(real_images)), '<= 128')",
           "<= 128"),
    "G10": (MISSING_IMPORTS + ARTICLE_DISCRIMINATOR.replace("28, 28, 3", "28, 28, 1")
            + "d = build_discriminator()\nd.compile(optimizer='adam', loss='binary_crossentropy')\n"
            + "d.train_on_batch(np.random.normal(0, 1, (128, 100)), np.ones((128, 1)))",
            "expected shape=(None, 28, 28, 1), found shape=(128, 100)"),
    "G11": (MISSING_IMPORTS + "Adam(learning_rate=2e-4).zero_grad()", "AttributeError: 'Adam' object has no attribute 'zero_grad'"),
    "G12": (MISSING_IMPORTS + "g = keras.Sequential([Input((4,)), Dense(2)])\n"
            "d = keras.Sequential([Input((2,)), Dense(1, activation='sigmoid')])\n"
            "d.compile(optimizer=Adam(learning_rate=1e-2), loss='binary_crossentropy')\n"
            "before = [w.copy() for w in g.get_weights()]\n"
            "for step in range(5):  # the article's D updates; nothing ever applies gradients to g\n"
            "    fake = g.predict(np.random.normal(size=(8, 4)), verbose=0)\n"
            "    d.train_on_batch(np.random.normal(size=(8, 2)), np.ones((8, 1)))\n"
            "    d.train_on_batch(fake, np.zeros((8, 1)))\n"
            "print('generator weights unchanged:', all(np.array_equal(a, b) for a, b in zip(before, g.get_weights())))",
            "generator weights unchanged: True"),
    "G14": (MISSING_IMPORTS + "m = keras.Sequential([Input((2,)), Dense(1)])\n"
            "m.save_weights('generator_epoch_{}.h5'.format(0))", ".weights.h5"),
    "G16": (MISSING_IMPORTS + "def train():\n    return keras.Sequential([Input((2,)), Dense(1)])\n"
            "generator, discriminator = train()", "TypeError: cannot unpack non-iterable"),
    "G17": ("generated_images = np.zeros((10, 28, 28, 1))\n"
            "x_train = np.zeros((60000, 28, 28, 1))\n"
            "img = np.hstack([generated_images, x_train[0].reshape(28, 28)])",
            "ValueError: all the input array"),
    "G18": ("img = np.array([-1.0, 0.0, 1.0])  # black, mid-grey, white as the tanh generator writes them\n"
            "print('article:', (img * 0.5 + 1) * 255, ' correct:', (img + 1) * 127.5)",
            "article: [127.5 255.  382.5]  correct: [  0.  127.5 255. ]"),
    "G19": ("img = np.zeros((28, 28))\ncv2.imwrite(save_path, img)", "NameError: name 'cv2' is not defined"),
    "G20": ("(x_train, _), (_, _) = keras.datasets.mnist.load_data()", "NameError: name 'keras' is not defined"),
    "V1": ("import keras\nK = keras.backend\nK.exp(np.zeros(2))", "AttributeError"),
    "V2": ("z_mean, z_log_var = np.array([[0.5, -1.0]]), np.array([[0.0, 0.0]])\n"
           "draws = [z_mean * np.exp(z_log_var / 2) for _ in range(3)]  # the article's 'sampling'\n"
           "print('three draws identical:', all(np.array_equal(d, draws[0]) for d in draws), '; z == z_mean:',\n"
           "      np.array_equal(draws[0], z_mean))",
           "three draws identical: True ; z == z_mean: True"),
    "V3": (MISSING_IMPORTS + "input_layer = Input(shape=(28, 28, 1,))\nx = Flatten()(input_layer)\n"
           "z_mean, z_log_var = Dense(100)(x), Dense(100)(x)\n"
           "z = Lambda(lambda x: x[0] * tf.exp(x[1] / 2))([z_mean, z_log_var])\n"
           "encoder = Model(input_layer, z)\nprint('encoder outputs:', len(encoder.outputs))",
           "encoder outputs: 1"),
    "V4": ("input_layer = Input(shape=(100,))\nx = Dense(512, activation='relu')(input_layer)\n"
           "x = Reshape((7, 7, 1))(x)", "The total size of the tensor must be unchanged"),
    "V5": (MISSING_IMPORTS + "input_layer = Input(shape=(7, 7, 1))\n"
           "x = Conv2DTranspose(1, (5, 5), strides=(2, 2), padding='same')(input_layer)\nprint(x.shape)",
           "(None, 14, 14, 1)"),
    "V9": ("import keras\nreconstruction = keras.losses.mean_squared_error(np.zeros((128, 28, 28, 1)),\n"
           "                                                    np.zeros((128, 28, 28, 1)))\n"
           "print('per-example reconstruction shape:', tuple(reconstruction.shape))",
           "per-example reconstruction shape: (128, 28, 28)"),
    "V10": ("kl_divergence = -0.5 * np.sum(1 + z_log_var - np.square(z_mean) - np.exp(z_log_var), axis=-1)",
            "NameError: name 'z_log_var' is not defined"),
    "V12": ("loss = tf.reduce_mean(tf.ones(3))\nloss.backward()", "AttributeError"),
    "V15": ("batch_size, epochs = 128, 100  # the article's VAE 'epochs' are single batches\n"
            "print(f'images seen: {batch_size * epochs}, i.e. {batch_size * epochs / 60000:.2f} of one epoch')",
            "images seen: 12800, i.e. 0.21 of one epoch"),
}


def code(erratum_id: str) -> str:
    """The reproduction's source, as shown in notebook 03."""
    return textwrap.dedent(REPRODUCTIONS[erratum_id][0]).strip()


def run(erratum_id: str) -> str:
    """Execute a reproduction after the article's imports; return what it printed or raised."""
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(ARTICLE_IMPORTS, namespace)  # noqa: S102 -- our own fixed snippets, not user input
        try:
            exec(code(erratum_id), namespace)  # noqa: S102
        except Exception as error:  # the point: show what the article's code raises
            lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", str(error)).splitlines() if line.strip()]
            # Keras wraps the real message: "Exception encountered when calling X.call()." comes first
            short = lines[1] if len(lines) > 1 and lines[0].startswith("Exception encountered") else lines[0]
            return (printed.getvalue() + f"{type(error).__name__}: {short[:200]}").strip()
    return printed.getvalue().strip()


def claim_holds(erratum_id: str) -> bool:
    return REPRODUCTIONS[erratum_id][1] in run(erratum_id)
