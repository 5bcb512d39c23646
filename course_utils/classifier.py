"""The course's fixed MNIST classifier: the feature space for every sample-quality metric.

Because its weights are committed (``weights/mnist_classifier.weights.h5``), MNIST-FID,
KID, precision/recall and class coverage are comparable across machines and runs --
the same role Inception-v3 plays for ImageNet FID, sized for MNIST and a CPU.

``python -m course_utils.classifier`` (``make classifier``) retrains it reproducibly
from a seed and prints its test accuracy.
"""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from course_utils import data

WEIGHTS = Path(__file__).parent / "weights" / "mnist_classifier.weights.h5"
FEATURE_LAYER = "features"
FEATURE_DIM = 128
SEED = 0
EPOCHS = 8


def build() -> keras.Model:
    """Two conv blocks, a 128-unit feature layer, a 10-way softmax. Input: (N, 28, 28, 1) in [0, 1]."""
    def conv_block(x, filters):
        for _ in range(2):
            x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = keras.layers.BatchNormalization()(x)
            x = keras.layers.ReLU()(x)
        return keras.layers.MaxPooling2D()(x)

    inputs = keras.Input((28, 28, 1))
    x = keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=SEED)(inputs)  # training only
    x = conv_block(conv_block(x, 32), 64)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(FEATURE_DIM, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    features = keras.layers.ReLU(name=FEATURE_LAYER)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Dropout(0.3)(features))
    return keras.Model(inputs, outputs, name="mnist_classifier")


@lru_cache(maxsize=1)
def load() -> tuple[keras.Model, keras.Model]:
    """(classifier, feature extractor) with the committed weights."""
    if not WEIGHTS.exists():
        raise FileNotFoundError(f"{WEIGHTS} is missing; run `make classifier` to train it (about 10 minutes)")
    model = build()
    model.load_weights(WEIGHTS)
    return model, keras.Model(model.input, [model.get_layer(FEATURE_LAYER).output, model.output])


def features_and_probabilities(images01: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate-layer features (N, 128) and class probabilities (N, 10) of images in [0, 1]."""
    _, extractor = load()
    feats, probs = [], []
    for start in range(0, len(images01), batch_size):
        f, p = extractor(images01[start:start + batch_size], training=False)
        feats.append(f.numpy())
        probs.append(p.numpy())
    return np.concatenate(feats).astype(np.float64), np.concatenate(probs).astype(np.float64)


def train(seed: int = SEED, epochs: int = EPOCHS) -> tuple[keras.Model, float]:
    """Train from scratch, deterministically for a given seed; returns (model, test accuracy)."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    mnist = data.load_mnist()
    model = build()
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=epochs * (60000 // 128))
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data.to_unit(mnist.x_train), mnist.y_train, batch_size=128, epochs=epochs, verbose=2)
    _, accuracy = model.evaluate(data.to_unit(mnist.x_test), mnist.y_test, batch_size=1000, verbose=0)
    return model, float(accuracy)


if __name__ == "__main__":  # `make classifier`
    start = time.time()
    trained, test_accuracy = train()
    WEIGHTS.parent.mkdir(exist_ok=True)
    inference = build()  # a fresh copy: saves the weights without the optimizer's state
    inference.set_weights(trained.get_weights())
    inference.save_weights(WEIGHTS)
    print(f"test accuracy {test_accuracy:.4f} (seed {SEED}, {EPOCHS} epochs, {time.time() - start:.0f} s); "
          f"saved {WEIGHTS} ({WEIGHTS.stat().st_size / 1e6:.1f} MB)")
