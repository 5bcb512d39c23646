"""Training runs that survive interruptions and are not repeated needlessly.

``fit_or_load`` is what the training notebooks call:

- if a finished run's weights exist, it loads them and says so (no retraining);
- otherwise it trains with ``model.fit``, one line per epoch, and Keras's
  ``BackupAndRestore`` saves progress every epoch, so a run interrupted by a kernel
  restart, a closed laptop or a Colab disconnect resumes at the next unfinished epoch;
- per-epoch metrics (and the seconds each epoch took) go to ``history.csv`` in the run folder.

``jit_compile()`` is the XLA setting that ``make_gan`` and ``make_vae`` compile with.

Runs live in ``config.cache_dir()/runs/<name>`` (``<name>-fast`` in fast mode, so a fast
run never masquerades as a full one).  Weights use the Keras 3 naming, ``*.weights.h5``.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import keras

from course_utils import config


def jit_compile() -> bool | str:
    """XLA for the training step: on, except under a ``tf.distribute`` strategy.

    Keras's default ("auto") uses XLA only on a GPU or TPU, but on a laptop CPU XLA made the
    course VAE train about twice as fast; the DCGAN, whose time goes into its convolutions,
    gained little (``make bench``: benchmarks/bench_xla.py).
    Under a strategy, XLA cannot reach the random-generator state that lives on the other
    replicas' devices, so there the choice stays with Keras ("auto": off).
    """
    import tensorflow as tf

    return "auto" if tf.distribute.has_strategy() else True


def run_dir(name: str) -> Path:
    path = config.cache_dir() / "runs" / (f"{name}-fast" if config.FAST else name)
    path.mkdir(parents=True, exist_ok=True)
    return path


class EpochTimer(keras.callbacks.Callback):
    """Adds ``seconds`` (wall-clock time of the epoch) to the epoch's logs, for the CSV history."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self.start


def read_history(folder: Path) -> dict[str, list[float]]:
    """The per-epoch metrics written by a run (a dict of lists, like ``History.history``)."""
    with open(folder / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    # CSVLogger adds val_* columns filled with "NA" when there is no validation data: skip them
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {})
            if all(row[key] != "NA" for row in rows)}


def fit_or_load(model: keras.Model, parts: dict[str, keras.Model], name: str, x, *, epochs: int,
                batch_size: int, callbacks=(), verbose: int = 2, **fit_options) -> tuple[dict[str, list[float]], Path]:
    """Train ``model`` on ``x`` (or load the finished run); return (per-epoch history, run folder).

    ``parts`` names the sub-models whose weights make up the result, e.g.
    ``{"generator": g, "discriminator": d}``; each is saved as ``<part>.weights.h5``.
    ``fit_options`` go to ``model.fit`` (e.g. ``validation_data``).
    """
    folder = run_dir(name)
    finished = {part: folder / f"{part}.weights.h5" for part in parts}
    if all(path.exists() for path in finished.values()):
        for part, network in parts.items():
            network.load_weights(finished[part])
        print(f"Loaded the finished run '{folder.name}' from {folder} (delete that folder to retrain).")
        return read_history(folder), folder
    history_file = folder / "history.csv"
    if not (folder / "backup").exists():  # a fresh start: drop logs of a run whose checkpoint is gone
        for stale in [history_file, *folder.glob("*.npy")]:
            stale.unlink(missing_ok=True)
    model.fit(x, batch_size=batch_size, epochs=epochs, verbose=verbose, **fit_options, callbacks=[
        EpochTimer(), *callbacks,
        keras.callbacks.CSVLogger(str(history_file), append=True),
        keras.callbacks.BackupAndRestore(str(folder / "backup")),
    ])
    for part, network in parts.items():
        network.save_weights(finished[part])
    return read_history(folder), folder


class TimeBudget(keras.callbacks.Callback):
    """Stops training after ``marks[-1]`` seconds of training and calls ``evaluate()`` at each mark.

    The clock counts training time only: time spent in ``evaluate`` is excluded, so models
    are compared for the same training budget.  Results: ``self.results`` as a list of
    (seconds, images_seen, evaluate() result).
    """

    def __init__(self, marks, evaluate, batch_size: int):
        super().__init__()
        self.marks, self.evaluate, self.batch_size = list(marks), evaluate, batch_size
        self.results, self.images = [], 0

    def on_train_begin(self, logs=None):
        self.elapsed, self.last = 0.0, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        self.elapsed += now - self.last
        self.images += self.batch_size
        if self.marks and self.elapsed >= self.marks[0]:
            self.results.append((self.marks.pop(0), self.images, self.evaluate()))
            if not self.marks:
                self.model.stop_training = True
        self.last = time.perf_counter()


def repeating_batches(x, batch_size: int, seed: int = 0):
    """An endless, shuffled stream of batches of ``x`` (a tf.data pipeline) for ``fit(steps_per_epoch=...)``."""
    import tensorflow as tf

    return (tf.data.Dataset.from_tensor_slices(x).shuffle(min(len(x), 10000), seed=seed).repeat()
            .batch(batch_size, drop_remainder=True).prefetch(2))
