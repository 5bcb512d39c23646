"""Training runs that survive interruptions and are never repeated needlessly, and averaged weights.

**Runs** (``fit_or_load``, what the training notebooks call):

- a run lives in a folder named by its settings, ``config.cache_dir()/runs/<name>-<hash>``, where
  the hash covers everything that decides the result (the model's settings and optimizers, every
  network's weight shapes, the data's shape, epochs and batch size); the readable settings are in
  ``settings.json`` beside the weights.  Change a setting and the run simply trains into a new
  folder: older runs are never touched, and the message says which settings differ from the last run;
- if the folder holds a finished run, its weights are loaded (no retraining);
- otherwise ``model.fit`` trains, one line per epoch, and ``EpochCheckpoint`` saves the whole model
  after every epoch, so a run interrupted by a kernel restart, a closed laptop, a Colab disconnect
  or a crash resumes at its next unfinished epoch; per-epoch metrics (and the seconds each epoch
  took) go to ``history.csv``.  Every file is written atomically (``config.write_atomically``):
  a run killed at any moment, even mid-write, leaves no half-written file behind.

**Averaged weights** (``averaged_copy``, ``update``): an exponential moving average (EMA) of a
network's weights, with a warm-up.  Training updates the live network; a non-trainable copy follows
it as ``average <- decay * average + (1 - decay) * live`` after every update, and that copy is the
one we evaluate and sample from: averaging removes most of the optimizer's step-to-step noise.
``gan.GAN`` averages its generator, ``vae.VAE`` its encoder and decoder.

Also here: ``jit_compile()`` (the XLA setting of ``make_gan`` and ``make_vae``), ``TimeBudget``
(training for a fixed time, for the benchmarks) and ``repeating_batches``.
"""

from __future__ import annotations

import csv
import hashlib
import inspect
import json
import re
import shutil
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from course_utils import config

SETTINGS_FILE = "settings.json"  # in each run folder: what the run was made with
HISTORY_FILE = "history.csv"  # ... the metrics of every finished epoch
CHECKPOINT_FILE = "checkpoint.json"  # ... while it trains: the last finished epoch and its weights file
OPTIMIZER_KEYS = ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "rho", "momentum", "nesterov",
                  "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum")
"""The optimizer options a run records: a fixed list, so a newer Keras that adds an option to its
optimizer configs does not change the settings, and with them the folder, of every existing run."""


def jit_compile() -> bool | str:
    """XLA for the training step: on, except in fast mode and under a ``tf.distribute`` strategy.

    Keras's default ("auto") uses XLA only on a GPU or TPU, but XLA speeds up the course's
    training steps on a CPU as well (``make bench`` times both, in benchmarks/bench_xla.py).
    In fast mode (the tests and CI) a run is a few steps, fewer than XLA's compile would pay for,
    so it is off; tests/test_training.py trains each course model once with XLA.
    Under a strategy, XLA cannot reach the random-generator state that lives on the other
    replicas' devices, so there the choice stays with Keras ("auto": off).
    """
    import tensorflow as tf

    if config.FAST:
        return False
    return "auto" if tf.distribute.has_strategy() else True


# --- averaged weights -------------------------------------------------------------------------


def step_logs(results: dict) -> dict:
    """What a ``train_step`` or ``test_step`` returns, in a shape ``fit`` can reduce under every strategy.

    With two or more worker processes (``tf.distribute.MultiWorkerMirroredStrategy``), Keras 3 reduces
    each logged value with ``strategy.reduce("MEAN", value, axis=0)``, which fails for a scalar
    ("Invalid reduction dimension 0 for input with 0 dimensions"; tensorflow/tensorflow#72388, open):
    there each value becomes a vector of one, which reduces to the same mean.  Elsewhere the results
    pass unchanged.
    """
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        cluster = strategy.cluster_resolver.cluster_spec()
        if sum(cluster.num_tasks(job) for job in cluster.jobs) > 1:
            return {name: ops.reshape(value, (1,)) for name, value in results.items()}
    return results


def decay_at(step, decay: float):
    """The decay used after update number ``step`` (1, 2, ...): ``min(decay, (1 + step) / (10 + step))``.

    A fixed decay would keep ``decay**t`` of the *random initial* weights after t updates
    (0.999**600 = 55%), so early samples would be noise.  The warm-up averages over roughly the
    last tenth of training until that is longer than the fixed horizon 1/(1 - decay).
    """
    return ops.minimum(decay, (1.0 + step) / (10.0 + step))


def averaged_copy(network: keras.Model) -> keras.Model:
    """A non-trainable copy of ``network`` that starts at its current weights."""
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    copy.trainable = False
    return copy


def update(average: keras.Model, live: keras.Model, step, decay: float) -> None:
    """One EMA step of every weight of ``average`` towards ``live`` (BatchNorm statistics included)."""
    d = decay_at(ops.cast(step, "float32"), decay)
    for a, w in zip(average.weights, live.weights):
        a.assign(d * a + (1.0 - d) * w)


# --- run folders named by their settings --------------------------------------------------------


def optimizer_settings(optimizer: keras.optimizers.Optimizer) -> dict:
    """An optimizer's class and the options in ``OPTIMIZER_KEYS`` that its Keras config has."""
    options = optimizer.get_config()
    return {"class": type(optimizer).__name__, **{key: options[key] for key in OPTIMIZER_KEYS if key in options}}


def weight_shapes(network: keras.Model) -> list[list[int]]:
    """The shapes of a network's weights, in order: what must match for its saved weights to load."""
    return [list(weight.shape) for weight in network.weights]


def run_settings(model: keras.Model, data_shape, epochs: int, batch_size: int) -> dict:
    """What decides the result of a run, as plain JSON values: the model's own settings
    (``model.settings``: losses, optimizers, seed...), the weight shapes of each of its networks
    (``model.parts``), the shape of the training data, the number of epochs and the batch size."""
    settings = {"model": model.settings, "networks": {name: weight_shapes(net) for name, net in model.parts.items()},
                "data_shape": list(data_shape), "epochs": epochs, "batch_size": batch_size}
    return json.loads(json.dumps(settings))  # tuples become lists, as they are when read back


def code_fingerprint(code) -> str:
    """``name@<ten hex digits>`` for a function or class a learner wrote (``make_gan(update=...)``,
    ``make_vae(sampling=..., negative_elbo=...)``): the digits hash its source, so a run trained with a learner's
    code gets a folder of its own, and editing the code trains a new run instead of loading the old one."""
    try:
        source = inspect.getsource(code)
    except (OSError, TypeError):  # defined where no source is kept (a plain Python prompt): a run of its own
        source = f"{id(code)} {time.time()}"
    return f"{code.__qualname__}@{hashlib.sha256(source.encode()).hexdigest()[:10]}"


def settings_hash(settings: dict) -> str:
    """Ten hex digits that identify ``settings`` (the same settings always give the same digits)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]


def run_folder(name: str, model: keras.Model, data_shape, epochs: int, batch_size: int) -> Path:
    """The folder of the run of ``model`` called ``name`` with these settings (not created here)."""
    settings = run_settings(model, data_shape, epochs, batch_size)
    return config.cache_dir() / "runs" / f"{name}-{settings_hash(settings)}"


def saved_settings(folder: Path) -> dict | None:
    """The settings recorded with the run in ``folder`` (None if it has no record)."""
    path = folder / SETTINGS_FILE
    return json.loads(path.read_text()) if path.exists() else None


def flat(settings: dict, prefix: str = "") -> dict:
    """``{"model": {"seed": 0}}`` -> ``{"model.seed": 0}``: nested settings as dotted names."""
    items = {}
    for key, value in settings.items():
        items.update(flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return items


def changes(old: dict, new: dict) -> list[str]:
    """The settings that differ between two runs, one "name old -> new" each."""
    old, new = flat(old), flat(new)

    def show(value):
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    return [f"{key} (other shapes)" if key.startswith("networks.") and key in old and key in new
            else f"{key} {show(old.get(key, '(none)'))} -> {show(new.get(key, '(none)'))}"
            for key in sorted(old.keys() | new.keys()) if old.get(key) != new.get(key)]


def _other_runs(folder: Path) -> list[Path]:
    """Runs with the same name as ``folder`` and other settings, the most recent last."""
    name = folder.name.rsplit("-", 1)[0]
    pattern = re.compile(re.escape(name) + r"-[0-9a-f]{10}")
    others = [p for p in folder.parent.glob(f"{name}-*") if pattern.fullmatch(p.name) and p != folder
              and (p / SETTINGS_FILE).exists()]
    return sorted(others, key=lambda p: (p / SETTINGS_FILE).stat().st_mtime)


def _announce_new_run(folder: Path, settings: dict) -> None:
    others = _other_runs(folder)
    if not others:
        print(f"A new run: {config.shown(folder)}")
        return
    latest = others[-1]
    differ = "; ".join(changes(saved_settings(latest), settings))
    print(f"A new run: {config.shown(folder)}\nIts settings differ from the last run, {latest.name}: {differ}. "
          f"Runs with other settings are kept as they are.")


# --- training -----------------------------------------------------------------------------------


class EpochTimer(keras.callbacks.Callback):
    """Adds ``seconds`` (wall-clock time of the epoch) to the epoch's logs, for the history."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self.start


def write_history(folder: Path, rows: list[dict]) -> None:
    """``history.csv``: one row per finished epoch (``epoch`` first, then the metrics), written atomically."""
    columns = ["epoch", *sorted({key for row in rows for key in row} - {"epoch"})]

    def write(path):
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, columns)
            writer.writeheader()
            writer.writerows(rows)

    config.write_atomically(folder / HISTORY_FILE, write)


def read_history(folder: Path) -> dict[str, list[float]]:
    """The per-epoch metrics written by a run (a dict of lists, like ``History.history``)."""
    with open(folder / HISTORY_FILE, newline="") as f:
        rows = list(csv.DictReader(f))
    # columns with gaps (a metric that not every epoch logged) are skipped
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {})
            if all(row[key] not in ("", "NA") for row in rows)}


class EpochCheckpoint(keras.callbacks.Callback):
    """After every epoch: the whole model (networks, averaged copies, optimizer moments, random
    state) to a new ``checkpoint-<epochs>.weights.h5``, then ``checkpoint.json`` naming it with the
    history so far, then ``history.csv``.  Each write is atomic and the record is written last, so
    a run killed at any moment resumes from a finished epoch whose weights and history agree."""

    def __init__(self, folder: Path, rows: list[dict]):
        super().__init__()
        self.folder, self.rows = folder, list(rows)

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append({"epoch": epoch, **{key: float(value) for key, value in (logs or {}).items()}})
        weights = self.folder / f"checkpoint-{epoch + 1}.weights.h5"
        config.write_atomically(weights, lambda path: self.model.save_weights(path))
        record = {"epochs_done": epoch + 1, "weights": weights.name, "history": self.rows}
        config.write_atomically(self.folder / CHECKPOINT_FILE, lambda path: path.write_text(json.dumps(record)))
        write_history(self.folder, self.rows)
        for older in self.folder.glob("checkpoint-*.weights.h5"):
            if older != weights:
                older.unlink()


def read_checkpoint(folder: Path) -> dict | None:
    """The record of the last finished epoch of an interrupted run in ``folder`` (None if there is none)."""
    path = folder / CHECKPOINT_FILE
    return json.loads(path.read_text()) if path.exists() else None


def load_checkpoint(model: keras.Model, folder: Path, record: dict) -> None:
    """Load the checkpoint that ``record`` names into ``model``: its networks, optimizers and random state."""
    if model.optimizer is not None and not model.optimizer.built:
        # Keras skips, without a word, the moments of an optimizer that has no variables yet
        model.optimizer.build(model.trainable_variables)
    model.load_weights(folder / record["weights"])


def fit_or_load(model: keras.Model, name: str, x, *, epochs: int, batch_size: int, callbacks=(),
                verbose: int = 2, **fit_options) -> tuple[dict[str, list[float]], Path]:
    """Train ``model`` on ``x`` (or load the finished run); return (per-epoch history, run folder).

    The networks in ``model.parts`` make up the result; each is saved as ``<part>.weights.h5``.
    ``fit_options`` go to ``model.fit`` (e.g. ``validation_data``).
    """
    settings = run_settings(model, np.shape(x), epochs, batch_size)
    folder = run_folder(name, model, np.shape(x), epochs, batch_size)
    finished = {part: folder / f"{part}.weights.h5" for part in model.parts}
    if all(path.exists() for path in finished.values()):
        for part, network in model.parts.items():
            network.load_weights(finished[part])
        print(f"Loaded the finished run {config.shown(folder)} (delete that folder to retrain).")
        return read_history(folder), folder
    record = read_checkpoint(folder)
    if record:
        config.remove_partial_files(folder)
        load_checkpoint(model, folder, record)
        write_history(folder, record["history"])  # the history of exactly the epochs restored
        print(f"Resuming the interrupted run {config.shown(folder)} after epoch {record['epochs_done']} of {epochs}.")
    else:
        _announce_new_run(folder, settings)
        folder.mkdir(parents=True, exist_ok=True)
        config.remove_partial_files(folder)
        # what a start whose first epoch never ended may have left (and the backup of older course versions)
        for stale in [folder / HISTORY_FILE, *folder.glob("*.npy")]:
            stale.unlink(missing_ok=True)
        shutil.rmtree(folder / "backup", ignore_errors=True)
        config.write_atomically(folder / SETTINGS_FILE, lambda path: path.write_text(json.dumps(settings, indent=1)))
        record = {"epochs_done": 0, "history": []}
    if record["epochs_done"] < epochs:
        model.fit(x, batch_size=batch_size, epochs=epochs, initial_epoch=record["epochs_done"], verbose=verbose,
                  **fit_options, callbacks=[EpochTimer(), *callbacks, EpochCheckpoint(folder, record["history"])])
    for part, network in model.parts.items():
        config.write_atomically(finished[part], network.save_weights)
    for checkpoint in [folder / CHECKPOINT_FILE, *folder.glob("checkpoint-*.weights.h5")]:
        checkpoint.unlink()
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
