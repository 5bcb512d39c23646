"""Training runs that survive interruptions and are not repeated needlessly.

``fit_or_load`` is what the training notebooks call:

- if a finished run's weights exist, it loads them and says so (no retraining);
- otherwise it trains with ``model.fit``, one line per epoch, and Keras's
  ``BackupAndRestore`` saves progress every epoch, so a run interrupted by a kernel
  restart, a closed laptop or a Colab disconnect resumes at the next unfinished epoch;
- per-epoch metrics (and the seconds each epoch took) go to ``history.csv`` in the run folder;
- the run's settings go to ``settings.json``: a run made with other settings (a changed learning
  rate, width or number of epochs, or an older version of the course) is set aside, not loaded
  or resumed, because it would either fail to load or show results of settings that are gone.

``jit_compile()`` is the XLA setting that ``make_gan`` and ``make_vae`` compile with.

Runs live in ``config.cache_dir()/runs/<name>`` (``<name>-fast`` in fast mode, so a fast
run never masquerades as a full one).  Weights use the Keras 3 naming, ``*.weights.h5``.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import keras
import numpy as np

from course_utils import config

SETTINGS_FILE = "settings.json"  # in each run folder: what the run was made with


def jit_compile() -> bool | str:
    """XLA for the training step: on, except under a ``tf.distribute`` strategy.

    Keras's default ("auto") uses XLA only on a GPU or TPU, but on a 2-core CPU XLA made the
    training steps of the course VAE 1.4-1.6 times and of the DCGAN 1.3 times as fast
    (``make bench``: benchmarks/bench_xla.py).
    Under a strategy, XLA cannot reach the random-generator state that lives on the other
    replicas' devices, so there the choice stays with Keras ("auto": off).
    """
    import tensorflow as tf

    return "auto" if tf.distribute.has_strategy() else True


def run_dir(name: str) -> Path:
    path = config.cache_dir() / "runs" / (f"{name}-fast" if config.FAST else name)
    path.mkdir(parents=True, exist_ok=True)
    return path


def optimizer_settings(optimizer: keras.optimizers.Optimizer) -> dict:
    """An optimizer's class and hyper-parameters (its Keras config, without the automatic name)."""
    config = optimizer.get_config()
    config.pop("name", None)
    return {"class": type(optimizer).__name__, **config}


def weight_shapes(network: keras.Model) -> list[list[int]]:
    """The shapes of a network's weights, in order: what must match for its saved weights to load."""
    return [list(weight.shape) for weight in network.weights]


def run_settings(model: keras.Model, parts: dict[str, keras.Model], x, epochs: int, batch_size: int) -> dict:
    """What decides the result of a run, as plain JSON values: the model's own settings
    (``model.settings``: losses, optimizers, seed...), each network's weight shapes, the shape
    of the training data, the number of epochs and the batch size."""
    settings = {"model": model.settings, "networks": {name: weight_shapes(net) for name, net in parts.items()},
                "data_shape": list(np.shape(x)), "epochs": epochs, "batch_size": batch_size}
    return json.loads(json.dumps(settings))  # tuples become lists, as they are when read back


def saved_settings(folder: Path) -> dict | None:
    """The settings recorded with the run in ``folder`` (None if it has no record)."""
    path = folder / SETTINGS_FILE
    return json.loads(path.read_text()) if path.exists() else None


def differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    """The settings that both ``old`` and ``new`` record, with different values ("name old -> new").

    A key that only one side has is not compared: a newer Keras may add one to its optimizer config.
    """
    found = []
    for key in sorted(old.keys() & new.keys()):
        a, b = old[key], new[key]
        if isinstance(a, dict) and isinstance(b, dict):
            found += differences(a, b, f"{prefix}{key}.")
        elif a != b:
            change = " (other shapes)" if isinstance(a, list) else f" {_show(a)} -> {_show(b)}"
            found.append(f"{prefix}{key}{change}")
    return found


def _show(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)  # 0.001, not float32's 0.0010000000474974513


def set_aside_other_run(folder: Path, settings: dict) -> None:
    """Move a run made with other ``settings`` out of ``folder`` (to a dated folder beside it), and say why."""
    if not any(folder.iterdir()):
        return
    saved = saved_settings(folder)
    if saved is None:
        why = "it has no record of its settings (an older version of the course made it)"
    else:
        changed = differences(saved, settings)
        if not changed:
            return
        why = "it was made with other settings: " + "; ".join(changed)
    aside = folder.with_name(f"{folder.name}.set-aside-{time.strftime('%Y%m%d-%H%M%S')}")
    folder.rename(aside)
    folder.mkdir()
    print(f"Not using the run in {folder}: {why}.\nIt is kept in {aside}; a new run starts.")


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
    A run in the folder that was made with other settings is set aside first (``set_aside_other_run``).
    """
    folder = run_dir(name)
    settings = run_settings(model, parts, x, epochs, batch_size)
    set_aside_other_run(folder, settings)
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
    (folder / SETTINGS_FILE).write_text(json.dumps(settings, indent=1))
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
