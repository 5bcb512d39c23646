"""``make classifier``: retrain the course's MNIST classifier (the metrics' feature space) from its seed.

Trains ``course_utils.metrics.build_classifier`` deterministically for ``EPOCHS`` epochs, prints
the test accuracy, and writes the weights that ``metrics`` loads (without the optimizer's state).
"""

from __future__ import annotations

import course_utils

course_utils.start()  # before anything imports TensorFlow, so its start-up noise is filtered

import time

import keras
import tensorflow as tf

from course_utils import data, metrics

EPOCHS = 8


def train(seed: int = metrics.CLASSIFIER_SEED, epochs: int = EPOCHS) -> tuple[keras.Model, float]:
    """Train from scratch, deterministically for a given seed; returns (model, test accuracy)."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    mnist = data.load_mnist()
    model = metrics.build_classifier()
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=epochs * (60000 // 128))
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data.to_unit(mnist.x_train), mnist.y_train, batch_size=128, epochs=epochs, verbose=2)
    _, accuracy = model.evaluate(data.to_unit(mnist.x_test), mnist.y_test, batch_size=1000, verbose=0)
    return model, float(accuracy)


if __name__ == "__main__":
    start = time.time()
    trained, test_accuracy = train()
    path = metrics.CLASSIFIER_WEIGHTS
    inference = metrics.build_classifier()  # a fresh copy: saves the weights without the optimizer's state
    inference.set_weights(trained.get_weights())
    inference.save_weights(path)
    print(f"test accuracy {test_accuracy:.4f} (seed {metrics.CLASSIFIER_SEED}, {EPOCHS} epochs, "
          f"{time.time() - start:.0f} s); saved {path} ({path.stat().st_size / 1e6:.1f} MB)")
