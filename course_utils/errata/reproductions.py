"""Minimal reproductions of the article's code defects, run against the installed Keras.

Each reproduction is a few lines in the article's own style (where it needs the article's
generator or discriminator, only their lines that the reproduction needs), executed after the
article's own imports (``ARTICLE_IMPORTS``), and the outcome it is claimed to produce:
an exception (type and the part of its message that matters) or a printed value.  A few
are numerical checks of maths claims (M8, V11).  ``run(id)`` executes one and returns its
outcome as text; notebook 03 shows them (``shown_code`` replaces the article's long
definitions a reproduction needs by one marked line) and ``tests/test_errata.py`` checks
every claim -- so if a future Keras changes what the article's code does, the test says so.

``pool_collapse`` measures G8/V8 over many seeds: how fast the article's overwritten data
set shrinks to a single image; ``collapse_summary`` condenses it (mean and median apart: the
time to one image is skewed); ``expected_distinct_step2`` is the exact expectation for step 2.
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap

import numpy as np

ARTICLE_IMPORTS = """
import numpy as np
import tensorflow as tf
from tensorflow.keras.layers import Input, Dense, Flatten, Reshape, Concatenate
from tensorflow.keras.models import Model
"""

# The imports the article forgot, for reproductions of defects further down the listing.
MISSING_IMPORTS = """
import warnings

import keras
from tensorflow.keras.layers import (Conv2DTranspose, BatchNormalization, Activation, Conv2D, LeakyReLU,
                                     Dropout, Lambda)
from tensorflow.keras.optimizers import Adam
"""

# The article's generator (4.1.1), cut to the lines the entries correct (G3, G24, G1, G4): those that set
# its shapes and its work. Its BatchNormalization and Activation lines change neither, and are left out.
ARTICLE_GENERATOR = """
def build_generator():
    z_dim = 100
    n_layers = 3
    input_layer = Input(shape=(z_dim,))
    x = Dense(4*4*256, activation='relu', use_bias=False)(input_layer)
    x = Reshape((4, 4, 256))(x)
    for _ in range(n_layers):
        x = Conv2DTranspose(256, (4, 4), strides=(2, 2), padding='same')(x)
    x = Conv2DTranspose(3, (4, 4), strides=(2, 2), padding='same')(x)
    return Model(input_layer, x)
"""

# The article's discriminator, cut to its input (the line G4 corrects), its first layer and its output.
ARTICLE_DISCRIMINATOR = """
def build_discriminator():
    input_layer = Input(shape=(28, 28, 3,))
    x = Conv2D(64, (5, 5), strides=(2, 2), padding='same')(input_layer)
    x = Flatten()(x)
    output_layer = Dense(1, activation='sigmoid')(x)
    return Model(input_layer, output_layer)
"""

# The article's discriminator with its input fixed to MNIST's shape (G4), to get past that crash.
ARTICLE_DISCRIMINATOR_GREY = ARTICLE_DISCRIMINATOR.replace("28, 28, 3", "28, 28, 1")

# What notebook 03 shows instead of these long blocks (the article's code, or imports).
MARKERS = {
    MISSING_IMPORTS: "# [+ the imports the article forgot: keras, Conv2DTranspose, BatchNormalization, Activation,"
                     "\n#    Conv2D, LeakyReLU, Dropout, Lambda, Adam; and warnings]",
    ARTICLE_GENERATOR: "# [build_generator(): the article's lines that set its shapes, §4.1.1: Dense(4*4*256), Reshape,"
                       "\n#    three Conv2DTranspose(256), Conv2DTranspose(3); its BatchNormalization and Activation left out]",
    ARTICLE_DISCRIMINATOR_GREY: "# [build_discriminator(): the article's input, with its shape fixed to (28, 28, 1) (G4),"
                                "\n#    its first Conv2D(64), Flatten, Dense(1, sigmoid)]",
    ARTICLE_DISCRIMINATOR: "# [build_discriminator(): the article's input, shape (28, 28, 3), its first Conv2D(64),"
                           "\n#    Flatten, Dense(1, sigmoid)]",
}

G8_LINE = "real_images = real_images[np.random.randint(0, real_images.shape[0], batch_size)]"

# id -> (code run after ARTICLE_IMPORTS, text the outcome must contain; a tuple: every text)
REPRODUCTIONS: dict[str, tuple[str, str | tuple[str, ...]]] = {
    "M8": ("# A 1-D model with exact answers: p(z) = N(0, 1), p(x|z) = N(z, s2), q(z|x) = N(m, v).\n"
           "x, s2 = 2.0, 0.5\n"
           "log_px = -0.5 * np.log(2 * np.pi * (1 + s2)) - x**2 / (2 * (1 + s2))\n"
           "for beta in (0.5, 1.0, 2.0):\n"
           "    m, v = x / (1 + beta * s2), beta * s2 / (1 + beta * s2)  # the q that maximises the objective\n"
           "    expected_log_lik = -0.5 * np.log(2 * np.pi * s2) - ((x - m)**2 + v) / (2 * s2)\n"
           "    kl = 0.5 * (m**2 + v - 1 - np.log(v))\n"
           "    print(f'beta = {beta}: best E_q[log p(x|z)] - beta KL minus log p(x) = {round(expected_log_lik - beta * kl - log_px, 3) + 0.0:+.3f}')",
           ("beta = 0.5: best E_q[log p(x|z)] - beta KL minus log p(x) = +0.680",
            "beta = 1.0: best E_q[log p(x|z)] - beta KL minus log p(x) = +0.000",
            "beta = 2.0: best E_q[log p(x|z)] - beta KL minus log p(x) = -0.811")),
    "G1": ("x = Conv2DTranspose(256, (4, 4), strides=(2, 2), padding='same')",
           "NameError: name 'Conv2DTranspose' is not defined"),
    "G3": (MISSING_IMPORTS + ARTICLE_GENERATOR + "print(build_generator().output.shape)", "(None, 64, 64, 3)"),
    "G4": (MISSING_IMPORTS + ARTICLE_DISCRIMINATOR + "build_discriminator()(np.zeros((1, 28, 28, 1)))",
           "expected axis -1 of input shape to have value 3, but received input with shape (1, 28, 28, 1)"),
    "G6": (MISSING_IMPORTS + "optimizer = Adam(lr=0.0002, beta_1=0.5)", "Argument(s) not recognized"),
    "G7": ("batch_size = 128\nnoise = np.random.normal(0, 1, (batch_size, z_dim))",
           "NameError: name 'z_dim' is not defined"),
    "G8": ("np.random.seed(0)\n"
           "real_images = np.arange(60000)  # stands for the 60000 training images: their indices\n"
           "batch_size, distinct = 128, []\n"
           "for epoch in range(2000):\n"
           f"    {G8_LINE}  # the article's line\n"
           "    distinct.append(len(np.unique(real_images)))  # different images in the batch D sees\n"
           "print('different images in the batch after steps 1, 2, 100:', distinct[0], distinct[1], distinct[99])\n"
           "print('one image fills the whole batch from step', distinct.index(1) + 1)",
           ("after steps 1, 2, 100: 128 82 3", "one image fills the whole batch from step 251")),
    "G10": (MISSING_IMPORTS + ARTICLE_DISCRIMINATOR_GREY
            + "d = build_discriminator()\nd.compile(optimizer='adam', loss='binary_crossentropy')\n"
            + "d.train_on_batch(np.random.normal(0, 1, (128, 100)), np.ones((128, 1)))",
            "expected shape=(None, 28, 28, 1), found shape=(128, 100)"),
    "G11": (MISSING_IMPORTS + "Adam(learning_rate=2e-4).zero_grad()", "AttributeError: 'Adam' object has no attribute 'zero_grad'"),
    "G14": (MISSING_IMPORTS + "m = keras.Sequential([Input((2,)), Dense(1)])\n"
            "m.save_weights('generator_epoch_{}.h5'.format(0))", ".weights.h5"),
    "G16": (MISSING_IMPORTS + "def train():\n    return keras.Sequential([Input((2,)), Dense(1)])\n"
            "generator, discriminator = train()", "TypeError: cannot unpack non-iterable"),
    "G17": ("generated_images = np.zeros((10, 28, 28, 1))\n"
            "x_train = np.zeros((60000, 28, 28, 1))\n"
            "img = np.hstack([generated_images, x_train[0].reshape(28, 28)])",
            "ValueError: all the input array"),
    "G18": ("img = np.array([-1.0, 0.0, 0.01, 0.5, 1.0])  # black, mid-grey, ..., white, as the tanh generator writes them\n"
            "print('article:', (img * 0.5 + 1) * 255, ' correct:', (img + 1) * 127.5)\n"
            "print('article, as uint8 on this machine:', ((img * 0.5 + 1) * 255).astype(np.uint8))",
            ("article: [127.5   255.    256.275 318.75  382.5  ]  correct: [  0.    127.5   128.775 191.25  255.   ]",
             "article, as uint8 on this machine: [127 255   0  62 126]")),
    "G19": ("img = np.zeros((28, 28))\ncv2.imwrite(save_path, img)", "NameError: name 'cv2' is not defined"),
    "G20": ("(x_train, _), (_, _) = keras.datasets.mnist.load_data()", "NameError: name 'keras' is not defined"),
    "G21": (MISSING_IMPORTS + "g = keras.Sequential([Input((4,)), BatchNormalization(momentum=0.8)])\n"
            "out = g.predict(np.random.default_rng(0).normal(5, 3, size=(64, 4)), verbose=0)  # inputs: mean 5\n"
            "print('batch normalised:', bool(abs(out.mean()) < 0.1),\n"
            "      '; moving mean still 0:', bool(np.all(g.layers[0].moving_mean.numpy() == 0)))",
            "batch normalised: False ; moving mean still 0: True"),
    "G22": (MISSING_IMPORTS + "d = keras.Sequential([Input((2,)), Dense(1, activation='sigmoid')])\n"
            "d.compile(optimizer=Adam(learning_rate=1e-2), loss='binary_crossentropy')\n"
            "x = np.random.default_rng(0).normal(size=(8, 2))\n"
            "d.train_on_batch(x, np.ones((8, 1)))  # the article's D step, trainable=True\n"
            "before = [w.copy() for w in d.get_weights()]\n"
            "d.trainable = False  # the article's 'freeze'\n"
            "d.train_on_batch(x, np.ones((8, 1)))\n"
            "print('frozen D updated anyway:', not all(np.array_equal(a, b) for a, b in zip(before, d.get_weights())))\n"
            "# the reverse, the Keras 2 recipe: compile D, freeze it (for a combined model), then train D itself\n"
            "d2 = keras.Sequential([Input((2,)), Dense(1, activation='sigmoid')])\n"
            "d2.compile(optimizer=Adam(learning_rate=1e-2), loss='binary_crossentropy')\n"
            "before = [w.copy() for w in d2.get_weights()]\n"
            "d2.trainable = False\n"
            "with warnings.catch_warnings():  # Keras warns: 'The model does not have any trainable weights'\n"
            "    warnings.simplefilter('ignore')\n"
            "    d2.train_on_batch(x, np.ones((8, 1)))\n"
            "d2.trainable = True\n"
            "d2.train_on_batch(x, np.ones((8, 1)))  # unfrozen now, yet its first train function is kept\n"
            "print('D first stepped while frozen never trains:', all(np.array_equal(a, b) for a, b in zip(before, d2.get_weights())))",
            ("frozen D updated anyway: True", "D first stepped while frozen never trains: True")),
    "G24": (MISSING_IMPORTS + ARTICLE_GENERATOR + "g = build_generator()\n"
            "layers = [layer for layer in g.layers if isinstance(layer, (Dense, Conv2DTranspose))]\n"
            "pixels = [np.prod(layer.input.shape[1:3]) if isinstance(layer, Conv2DTranspose) else 1 for layer in layers]\n"
            "macs = [int(p * np.prod(layer.kernel.shape)) for p, layer in zip(pixels, layers)]\n"
            "print('multiply-adds per image, millions:', [round(m / 1e6, 1) for m in macs])\n"
            "print(f'the 16x16 -> 32x32 layer does {macs[3] / sum(macs):.0%} of them')",
            ("millions: [0.4, 16.8, 67.1, 268.4, 12.6]", "does 73% of them")),
    "V1": ("import keras\nK = keras.backend\nK.exp(np.zeros(2))", "AttributeError"),
    "V2": ("z_mean, z_log_var = np.array([[0.5, -1.0]]), np.array([[np.log(4.0), 0.0]])  # sigma = 2 and 1\n"
           "draws = [z_mean * np.exp(z_log_var / 2) for _ in range(3)]  # the article's 'sampling'\n"
           "print('three draws identical:', all(np.array_equal(d, draws[0]) for d in draws), '; z:', draws[0],\n"
           "      '= mean * sigma:', np.array_equal(draws[0], z_mean * np.exp(z_log_var / 2)))",
           "three draws identical: True ; z: [[ 1. -1.]] = mean * sigma: True"),
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
           "print('per-example reconstruction shape:', tuple(reconstruction.shape))\n"
           "kl_divergence = np.zeros(128)\n"
           "loss = reconstruction + 0.001 * kl_divergence",
           ("per-example reconstruction shape: (128, 28, 28)", "Incompatible shapes: [128,28,28] vs. [128]")),
    "V10": ("import keras\nK = keras.backend\n"
            "print('keras.backend has sum, square, exp:', [hasattr(K, name) for name in ('sum', 'square', 'exp')])\n"
            "kl_divergence = -0.5 * np.sum(1 + z_log_var - np.square(z_mean) - np.exp(z_log_var), axis=-1)  # even in NumPy",
            ("keras.backend has sum, square, exp: [False, False, False]", "NameError: name 'z_log_var' is not defined")),
    "V11": ("se = np.random.default_rng(0).normal(size=784) ** 2  # one image's per-pixel squared errors\n"
            "kl = 3.0\n"
            "article = se.mean() + 0.001 * kl  # the article's loss, once the shapes agree (V9)\n"
            "sigma2 = 0.001 * 784 / 2\n"
            "gaussian = se.sum() / (2 * sigma2) + kl  # -ELBO of a Gaussian decoder with variance sigma2, less a constant\n"
            "print(f'sigma^2 = {sigma2:.3f} (sigma = {sigma2 ** 0.5:.2f}); Gaussian -ELBO / article loss = {gaussian / article:.6f}')",
            "sigma^2 = 0.392 (sigma = 0.63); Gaussian -ELBO / article loss = 1000.000000"),
    "V12": ("import keras\n"
            "decoder = keras.Sequential([Input((2,)), Dense(1)])\n"
            "print('decoder.predict returns', type(decoder.predict(np.zeros((1, 2)), verbose=0)).__name__)\n"
            "loss = tf.reduce_mean(tf.ones(3))\nloss.backward()",
            ("decoder.predict returns ndarray", "AttributeError")),
    "V15": ("batch_size, epochs = 128, 100  # the article's VAE 'epochs' are single batches\n"
            "print(f'images seen: {batch_size * epochs}, i.e. {batch_size * epochs / 60000:.2f} of one epoch')",
            "images seen: 12800, i.e. 0.21 of one epoch"),
}


def code(erratum_id: str) -> str:
    """The reproduction's source, as run."""
    return textwrap.dedent(REPRODUCTIONS[erratum_id][0]).strip()


def shown_code(erratum_id: str) -> str:
    """The reproduction's source as notebook 03 shows it: whole, except that the article's long
    definitions and the forgotten imports it runs first are each replaced by one marked comment line."""
    text = REPRODUCTIONS[erratum_id][0]
    for block, marker in MARKERS.items():
        text = text.replace(block, "\n" + marker + "\n")
    return re.sub(r"\n(?:[ \t]*\n)+", "\n", textwrap.dedent(text)).strip()


def claims(erratum_id: str) -> tuple[str, ...]:
    """The texts a reproduction's outcome must contain."""
    claim = REPRODUCTIONS[erratum_id][1]
    return (claim,) if isinstance(claim, str) else claim


def run_code(source: str) -> str:
    """Execute ``source`` after the article's imports; return what it printed, and what it raised."""
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(ARTICLE_IMPORTS, namespace)  # noqa: S102 -- our own fixed snippets, not user input
        try:
            exec(source, namespace)  # noqa: S102
        except Exception as error:  # the point: show what the article's code raises
            lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", str(error)).splitlines() if line.strip()]
            # Keras wraps the real message: "Exception encountered when calling X.call()." comes first
            short = lines[1] if len(lines) > 1 and lines[0].startswith("Exception encountered") else lines[0]
            return (printed.getvalue() + f"{type(error).__name__}: {short[:200]}").strip()
    return printed.getvalue().strip()


def run(erratum_id: str) -> str:
    """Execute one reproduction after the article's imports; return what it printed or raised."""
    return run_code(code(erratum_id))


def claim_holds(erratum_id: str) -> bool:
    outcome = run(erratum_id)
    return all(claim in outcome for claim in claims(erratum_id))


def pool_collapse(seeds=range(20), n: int = 60000, batch_size: int = 128, max_steps: int = 100_000,
                  overwrite: bool = True) -> dict[str, list]:
    """The article's data overwrite (G8, V8) iterated, once per seed.

    Each step draws ``batch_size`` indices with replacement from the current pool; with
    ``overwrite`` (the article) the batch becomes the pool, without it the pool stays the data
    set.  Returns, per seed, the distinct images in the batch after steps 2 and 100 and the
    first step at which a single image fills the batch (None if not within ``max_steps``).
    """
    result: dict[str, list] = {"after_2": [], "after_100": [], "steps_to_one": []}
    for seed in seeds:
        rng, pool, reached = np.random.default_rng(seed), np.arange(n), None
        for step in range(1, max_steps + 1):
            batch = pool[rng.integers(0, pool.shape[0], batch_size)]
            pool = batch if overwrite else pool
            distinct = len(np.unique(batch))
            if step in (2, 100):
                result[f"after_{step}"].append(distinct)
            if distinct == 1:
                reached = step
                break
        result["after_100"] += [1] if reached is not None and reached < 100 else []
        result["steps_to_one"].append(reached)
    return result


def collapse_summary(result: dict[str, list]) -> dict[str, float]:
    """The numbers the notebook and the catalogue quote from ``pool_collapse``: the steps until one image
    fills the batch (mean, median, 5th and 95th percentile, the longest run), and the different images
    after steps 2 (mean, median, standard deviation) and 100 (median, range)."""
    steps = np.array(result["steps_to_one"], dtype=float)
    after_2, after_100 = np.array(result["after_2"], dtype=float), np.array(result["after_100"])
    return {"seeds": len(steps), "mean": float(steps.mean()), "median": float(np.median(steps)),
            "p5": float(np.percentile(steps, 5)), "p95": float(np.percentile(steps, 95)), "max": int(steps.max()),
            "after_2_mean": float(after_2.mean()), "after_2_median": float(np.median(after_2)),
            "after_2_sd": float(after_2.std(ddof=1)), "after_100_median": float(np.median(after_100)),
            "after_100_min": int(after_100.min()), "after_100_max": int(after_100.max())}


def expected_distinct_step2(n: int = 60000, batch_size: int = 128) -> float:
    """The exact expected number of different images in the article's second batch (G8).

    The first batch draws ``batch_size`` of ``n`` images with replacement, so an image appears in it
    c ~ Binomial(batch_size, 1/n) times; the second batch draws ``batch_size`` slots of the first, so
    it holds that image with probability 1 - (1 - c / batch_size)^batch_size. Summed over the n images.
    """
    from math import comb

    p, k = 1 / n, batch_size
    return n * sum(comb(k, c) * p**c * (1 - p) ** (k - c) * (1 - (1 - c / k) ** k) for c in range(k + 1))
