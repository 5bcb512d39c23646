"""Runs: interrupted training resumes at the first unfinished epoch; finished runs load instead of
retraining; a changed setting trains into a new folder and leaves the old run alone.  Weight averaging."""

import json

import keras
import numpy as np
import pytest

from course_utils import config, gan, training, vae


class InterruptAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.seen = epoch, []

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.append(epoch)
        if epoch == self.epoch:
            raise KeyboardInterrupt  # what a kernel interrupt looks like inside fit


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    return tmp_path


def _weights(model):
    return [w for part in model.parts.values() for w in part.get_weights()]


@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_resume_after_interruption_continues_at_the_right_epoch(kind, cache, small_gan, small_vae, capsys):
    def build(seed):
        if kind == "gan":
            return small_gan(seed), np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
        return small_vae(seed), np.random.default_rng(0).uniform(0, 1, (64, 28, 28, 1)).astype("float32")

    model, x = build(0)
    with pytest.raises(KeyboardInterrupt):
        training.fit_or_load(model, "resume", x, epochs=4, batch_size=32, callbacks=[InterruptAt(2)], verbose=0)
    model, x = build(0)
    watcher = InterruptAt(-1)
    history, folder = training.fit_or_load(model, "resume", x, epochs=4, batch_size=32, callbacks=[watcher],
                                           verbose=0)
    assert watcher.seen == [2, 3], "resumed at the first unfinished epoch"
    assert "Resuming the interrupted run" in capsys.readouterr().out
    assert history["epoch"] == [0, 1, 2, 3] and all(s > 0 for s in history["seconds"])
    trained = _weights(model)
    model, x = build(0)
    training.fit_or_load(model, "resume", x, epochs=4, batch_size=32, verbose=0)
    for a, b in zip(_weights(model), trained):
        np.testing.assert_array_equal(a, b)  # loaded, not retrained
    assert all((folder / f"{name}.weights.h5").exists() for name in model.parts)


@pytest.mark.parametrize("change, epochs, expected", [
    ({"width": 12}, 2, "networks.discriminator (other shapes)"),
    ({"lr": 1e-2}, 2, "model.d_optimizer.learning_rate 0.001 -> 0.01"),
    ({}, 3, "epochs 2 -> 3"),
], ids=["architecture", "learning-rate", "epochs"])
def test_a_changed_setting_trains_a_new_run_and_keeps_the_old_one(change, epochs, expected, cache, small_gan,
                                                                  tanh_images, capsys):
    """Loading the old run would fail (other shapes) or show the results of settings that are gone."""
    model = small_gan()
    _, old_folder = training.fit_or_load(model, "run", tanh_images(64), epochs=2, batch_size=32, verbose=0)
    old_weights, old_files = _weights(model), sorted(p.name for p in old_folder.iterdir())
    capsys.readouterr()
    model = small_gan(**change)
    history, folder = training.fit_or_load(model, "run", tanh_images(64), epochs=epochs, batch_size=32, verbose=0)
    out = capsys.readouterr().out
    assert folder != old_folder and folder.parent == old_folder.parent
    assert f"settings differ from the last run, {old_folder.name}" in out and expected in out, out
    assert len(history["epoch"]) == epochs, "trained afresh"
    assert sorted(p.name for p in old_folder.iterdir()) == old_files, "the old run is left as it was"
    assert training.saved_settings(folder)["epochs"] == epochs
    if not change:  # same networks: the weights show that it trained rather than loaded
        assert any(not np.array_equal(a, b) for a, b in zip(_weights(model), old_weights))


def test_the_same_settings_find_the_same_folder_and_a_new_keras_option_does_not_move_it(small_gan):
    model = small_gan()
    folder = training.run_folder("run", model, (64, 28, 28, 1), 2, 32)
    assert folder == training.run_folder("run", small_gan(), (64, 28, 28, 1), 2, 32)
    assert folder != training.run_folder("run", model, (64, 28, 28, 1), 2, 64)
    assert set(model.settings["d_optimizer"]) <= {"class", *training.OPTIMIZER_KEYS}


def test_changes_lists_each_differing_setting_once():
    old = {"model": {"optimizer": {"learning_rate": 1e-3}}, "epochs": 5, "networks": {"g": [[2, 3]]}}
    new = {"model": {"optimizer": {"learning_rate": 2e-3}}, "epochs": 5, "networks": {"g": [[2, 4]]}, "x": 1}
    assert training.changes(old, new) == ["model.optimizer.learning_rate 0.001 -> 0.002",
                                          "networks.g (other shapes)", "x (none) -> 1"]
    assert training.changes(old, json.loads(json.dumps(old))) == []


def test_time_budget_stops_training_and_evaluates_at_each_mark(small_gan, tanh_images):
    calls = []
    budget = training.TimeBudget([0.0, 0.0], lambda: calls.append(1) or len(calls), batch_size=32)
    small_gan().fit(tanh_images(64), batch_size=32, epochs=50, verbose=0, callbacks=[budget])
    assert [r[2] for r in budget.results] == [1, 2] and budget.results[-1][1] <= 2 * 32


@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_course_models_train_with_xla_in_full_mode_outside_a_strategy(kind, monkeypatch, tanh_images, binary_images):
    """Keras's "auto" leaves XLA off on a CPU; the course turns it on (make bench: bench_xla.py), except in fast
    mode, where the compile would cost more than the few steps it speeds up."""
    make = {"gan": lambda: gan.make_gan(16, g_width=8, d_width=8), "vae": lambda: vae.make_vae(8, width=4)}[kind]
    x = tanh_images(64) if kind == "gan" else binary_images(64)
    monkeypatch.setattr(config, "FAST", True)
    assert training.jit_compile() is False and make().jit_compile is False
    monkeypatch.setattr(config, "FAST", False)
    model = make()
    assert training.jit_compile() is True and model.jit_compile is True
    history = model.fit(x, batch_size=32, epochs=1, verbose=0)  # the XLA-compiled step runs
    assert all(np.isfinite(values[-1]) for values in history.history.values())


# --- averaged weights ---------------------------------------------------------------------


def test_decay_warms_up_then_stays_fixed():
    assert float(training.decay_at(1.0, 0.999)) == pytest.approx(2 / 11)
    assert float(training.decay_at(90.0, 0.999)) == pytest.approx(0.91)
    assert float(training.decay_at(1e6, 0.999)) == pytest.approx(0.999)


def test_update_moves_every_weight_towards_the_live_network():
    live = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    average = training.averaged_copy(live)
    assert not average.trainable
    start = [w.copy() for w in average.get_weights()]
    live.set_weights([w + 1.0 for w in live.get_weights()])
    training.update(average, live, step=90, decay=0.999)  # decay 0.91 during the warm-up
    for a, s in zip(average.get_weights(), start):
        np.testing.assert_allclose(a, s + 0.09, rtol=1e-5, atol=1e-6)


def test_warm_up_forgets_the_random_start():
    """The claim of notebook 04: after 600 updates a fixed 0.999 still holds 55% of the initial weights."""
    steps = np.arange(1, 601, dtype="float32")
    kept_fixed = float(training.decay_at(1e6, 0.999)) ** 600  # long after the warm-up: the fixed decay
    kept_warm = np.prod([float(training.decay_at(t, 0.999)) for t in steps])
    assert kept_fixed == pytest.approx(0.55, abs=0.005)
    assert kept_warm < 1e-3
