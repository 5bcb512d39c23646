"""Interrupted training resumes at the first unfinished epoch; finished runs load instead of retraining."""

import keras
import numpy as np
import pytest

from course_utils import config, dcgan, gan, training, vae


class InterruptAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.seen = epoch, []

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.append(epoch)
        if epoch == self.epoch:
            raise KeyboardInterrupt  # what a kernel interrupt looks like inside fit


def small_gan(seed, width=8, lr=1e-3):
    keras.utils.set_random_seed(seed)
    model = gan.GAN(dcgan.build_generator(16, width=width), dcgan.build_discriminator(width=width), 16,
                    data_range=(-1, 1))
    model.compile(keras.optimizers.Adam(lr, beta_1=0.5), keras.optimizers.Adam(lr, beta_1=0.5))
    images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    return model, {"generator": model.generator, "discriminator": model.discriminator}, images


def small_vae(seed):
    keras.utils.set_random_seed(seed)
    model = vae.VAE(vae.build_encoder(4, width=8), vae.build_decoder(4, width=8))
    model.compile(keras.optimizers.Adam(1e-3))
    images = np.random.default_rng(0).uniform(0, 1, (64, 28, 28, 1)).astype("float32")
    return model, {"encoder": model.encoder, "decoder": model.decoder}, images


@pytest.mark.parametrize("build", [small_gan, small_vae], ids=["gan", "vae"])
def test_resume_after_interruption_continues_at_the_right_epoch(build, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    monkeypatch.setattr(config, "FAST", False)
    model, parts, x = build(0)
    with pytest.raises(KeyboardInterrupt):
        training.fit_or_load(model, parts, "resume", x, epochs=4, batch_size=32, callbacks=[InterruptAt(2)], verbose=0)
    model, parts, x = build(1)
    watcher = InterruptAt(-1)
    history, folder = training.fit_or_load(model, parts, "resume", x, epochs=4, batch_size=32,
                                           callbacks=[watcher], verbose=0)
    assert watcher.seen == [2, 3], "resumed at the first unfinished epoch"
    assert history["epoch"] == [0, 1, 2, 3] and all(s > 0 for s in history["seconds"])
    trained = [w.copy() for part in parts.values() for w in part.get_weights()]
    model, parts, x = build(2)
    training.fit_or_load(model, parts, "resume", x, epochs=4, batch_size=32, verbose=0)
    for a, b in zip([w for part in parts.values() for w in part.get_weights()], trained):
        np.testing.assert_array_equal(a, b)  # loaded, not retrained
    assert all((folder / f"{name}.weights.h5").exists() for name in parts)


def _weights(parts):
    return [w for part in parts.values() for w in part.get_weights()]


@pytest.mark.parametrize("change, epochs, expected", [
    ({"width": 12}, 2, "networks.discriminator (other shapes)"),
    ({"lr": 1e-2}, 2, "model.d_optimizer.learning_rate 0.001 -> 0.01"),
    ({}, 3, "epochs 2 -> 3"),
], ids=["architecture", "learning-rate", "epochs"])
def test_a_run_made_with_other_settings_is_set_aside_not_loaded(change, epochs, expected, tmp_path, monkeypatch,
                                                                 capsys):
    """Loading it would fail (other shapes) or show the results of settings the learner has changed."""
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    monkeypatch.setattr(config, "FAST", False)
    model, parts, x = small_gan(0)
    _, folder = training.fit_or_load(model, parts, "run", x, epochs=2, batch_size=32, verbose=0)
    old = _weights(parts)
    model, parts, x = small_gan(0, **change)
    history, folder = training.fit_or_load(model, parts, "run", x, epochs=epochs, batch_size=32, verbose=0)
    out = capsys.readouterr().out
    assert f"Not using the run in {folder}" in out and expected in out, out
    assert len(history["epoch"]) == epochs, "trained afresh"
    (aside,) = tmp_path.glob("runs/run.set-aside-*")
    assert all((aside / f"{name}.weights.h5").exists() for name in parts), "the old run is kept"
    assert training.saved_settings(folder)["epochs"] == epochs
    if not change:  # same networks: the weights show that it trained rather than loaded
        assert any(not np.array_equal(a, b) for a, b in zip(_weights(parts), old))


def test_a_run_without_a_record_of_its_settings_is_set_aside(tmp_path, monkeypatch, capsys):
    """What an older version of the course left behind: weights and a history, no settings.json."""
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    monkeypatch.setattr(config, "FAST", False)
    model, parts, x = small_gan(0, width=12)
    folder = training.run_dir("run")
    for name, network in parts.items():
        network.save_weights(folder / f"{name}.weights.h5")
    model, parts, x = small_gan(0)
    training.fit_or_load(model, parts, "run", x, epochs=1, batch_size=32, verbose=0)
    assert "no record of its settings" in capsys.readouterr().out
    assert training.saved_settings(folder) is not None


def test_settings_only_one_side_records_are_not_differences():
    """A newer Keras may add a key to its optimizer config: that alone must not discard a run."""
    old = {"model": {"optimizer": {"learning_rate": 1e-3}}, "epochs": 5}
    new = {"model": {"optimizer": {"learning_rate": 1e-3, "new_keras_option": None}}, "epochs": 5}
    assert training.differences(old, new) == []
    assert training.differences(old, {**new, "epochs": 6}) == ["epochs 5 -> 6"]


def test_time_budget_stops_training_and_evaluates_at_each_mark():
    model, _, x = small_gan(0)
    calls = []
    budget = training.TimeBudget([0.0, 0.0], lambda: calls.append(1) or len(calls), batch_size=32)
    model.fit(x, batch_size=32, epochs=50, verbose=0, callbacks=[budget])
    assert [r[2] for r in budget.results] == [1, 2] and budget.results[-1][1] <= 2 * 32


@pytest.mark.parametrize("make", [lambda: dcgan.make_gan(16, g_width=8, d_width=8), lambda: vae.make_vae(8, width=4)])
def test_course_models_compile_with_xla_outside_a_strategy(make):
    """Keras's "auto" leaves XLA off on a CPU; the course turns it on (make bench: bench_xla.py)."""
    assert training.jit_compile() is True and make().jit_compile is True
