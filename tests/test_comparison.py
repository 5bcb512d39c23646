"""Notebook 06's tools: the table, sharpness, nearest neighbours, GAN inversion, the explorer, shipped weights."""

import inspect
import json
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest

from course_utils import (
    comparison,
    config,
    data,
    dcgan,
    explorer,
    inversion,
    latent,
    metrics,
    pretrained,
    training,
    vae,
)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def test_sharpness_of_known_images():
    stripes = np.zeros((1, 28, 28, 1), np.float32)
    stripes[:, :, ::2] = 1.0  # vertical stripes: every horizontal step is 1, no vertical step
    assert metrics.sharpness(stripes) == pytest.approx(0.5)
    assert metrics.sharpness(np.full((2, 28, 28, 1), 0.3, np.float32)) == 0.0


def test_blurring_lowers_sharpness(mnist):
    x = data.to_unit(mnist.x_test[:100])
    blurred = np.mean([np.roll(x, (i, j), axis=(1, 2)) for i in (-1, 0, 1) for j in (-1, 0, 1)], axis=0)  # 3x3 box
    assert metrics.sharpness(blurred) < 0.8 * metrics.sharpness(x)


def test_nearest_neighbours_finds_copies(mnist):
    train = data.to_unit(mnist.x_train[:500])
    nearest, distance = metrics.nearest_neighbours(train[[7, 42, 99]], train)
    np.testing.assert_array_equal(nearest, [7, 42, 99])
    np.testing.assert_allclose(distance, 0, atol=1e-3)
    _, test_distance = metrics.nearest_neighbours(data.to_unit(mnist.x_test[:5]), train)
    assert np.all(test_distance > 1), "an unseen digit is far from every training image"
    with pytest.raises(ValueError, match="tanh"):
        metrics.nearest_neighbours(train[:2] * 2 - 1, train)


def test_table_mean_and_spread():
    assert comparison.mean_spread([1.0, 2.0, 3.0], "{:.2f}") == "2.00 ± 1.00"
    assert comparison.mean_spread([5.0], "{:.1f}") == "5.0"
    assert comparison.mean_spread([None], "{:.1f}") == "—"
    text = comparison.table({"A": [{"fid": 1.0}, {"fid": 3.0}], "B": [{"fid": 10.0, "nll": 90.0}]})
    assert "| MNIST-FID ↓ | 2.00 ± 1.41 | 10.00 |" in text
    assert "| test NLL, nats ↓ | — | 90.00 |" in text


def test_sample_rows_for_real_data_match_the_floor(mnist):
    scores = comparison.sample_scores(data.to_unit(mnist.x_train[:1000]), data.to_unit(mnist.x_test[:1000]))
    assert scores["fid"] < 5 and scores["classes_present"] == 10 and scores["precision"] > 0.6


def test_gan_inversion_recovers_images_the_generator_can_make():
    keras.utils.set_random_seed(0)
    generator = dcgan.build_generator(latent_dim=8, width=8)
    z = np.random.default_rng(1).normal(size=(3, 8)).astype(np.float32)
    targets = comparison.gan_decoder(generator)(z)
    baseline = np.mean((targets - targets.mean(0)) ** 2)
    _, images, error = inversion.invert(generator, targets, steps=200, lr=0.05, restarts=2)
    assert images.shape == targets.shape and error.shape == (3,)
    assert error.mean() < 0.1 * baseline, (error, baseline)
    with pytest.raises(ValueError, match=r"expects \[0, 1\]"):
        inversion.invert(generator, targets * 255, steps=1)  # pixels, not [0, 1]


def test_codes_by_digit_picks_latents_the_classifier_recognises(mnist):
    images = data.to_unit(mnist.x_test[:200])
    fake_latents = np.arange(200)[:, None].astype(np.float32)  # latent i "decodes" to test image i
    codes = latent.codes_by_digit(fake_latents, images)
    assert set(codes) == set(range(10))
    for digit, code in codes.items():
        assert mnist.y_test[int(code[0])] == digit


def _toy_decoders():
    return {"A": lambda z: np.full((len(z), 28, 28, 1), 1 / (1 + np.exp(-z[:, :1, None, None])), np.float32),
            "B": lambda z: np.full((len(z), 28, 28, 1), (np.tanh(z[:, 1:2, None, None]) + 1) / 2, np.float32)}


def _images(widget):
    """Every ipywidgets Image inside ``widget``, depth first."""
    children = getattr(widget, "children", ())
    found = [widget] if type(widget).__name__ == "Image" else []
    return found + [image for child in children for image in _images(child)]


def _sliders(widget):
    children = getattr(widget, "children", ())
    found = [widget] if type(widget).__name__ == "FloatSlider" else []
    return found + [slider for child in children for slider in _sliders(child)]


def test_latent_sliders_redraw_their_model():
    box = explorer.latent_sliders(_toy_decoders(), {"A": np.zeros(4), "B": np.zeros(4)}, directions=2)
    images, sliders = _images(box), _sliders(box)
    assert len(images) == 2 and len(sliders) == 4
    before = [image.value for image in images]
    sliders[0].value = 2.5  # model A, coordinate 0: only A's picture changes
    assert images[0].value != before[0] and images[1].value == before[1]
    assert bytes(images[0].value).startswith(b"\x89PNG")


def test_interpolation_widget_moves_every_model():
    codes = {name: {1: np.full(4, -2.0), 7: np.full(4, 2.0)} for name in ("A", "B")}
    box = explorer.interpolation(_toy_decoders(), codes, first=1, second=7)
    images, (t,) = _images(box), _sliders(box)
    before = [image.value for image in images]
    t.value = 1.0
    assert all(image.value != old for image, old in zip(images, before))


def test_shipped_weights_load_and_sample_well(mnist, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))  # no runs of one's own: the shipped weights
    manifest = pretrained.manifest()
    assert {f"{m}-seed{s}" for m in ("dcgan", "vae") for s in pretrained.SEEDS} <= set(manifest["runs"])
    gans, vaes = pretrained.load_dcgans(), pretrained.load_vaes()
    gan_images, _ = comparison.sample(comparison.gan_decoder(gans[0].model), 64, 1000)
    vae_images, _ = comparison.sample(comparison.vae_decoder(vaes[0].model), 32, 1000)
    reference = data.to_unit(mnist.x_test)
    # loose bounds that only trained networks meet (an untrained generator scores in the hundreds)
    assert metrics.evaluate(gan_images, reference).fid < 30
    assert metrics.evaluate(vae_images, reference).fid < 60
    assert gans[0].train_seconds > 0 and vaes[0].train_seconds > 0


def _own_dcgan_run(cache, generator, record=True):
    """A finished run folder as notebook 04 leaves it, with ``generator`` as its averaged generator
    (``record``: with its settings.json, which runs made by older versions of the course lack)."""
    own = cache / "runs" / "dcgan"
    own.mkdir(parents=True)
    generator.save_weights(own / "generator_ema.weights.h5")
    (own / "history.csv").write_text("epoch,seconds\n0,30.5\n1,29.5\n")
    if record:
        shapes = {"generator_ema": training.weight_shapes(generator)}
        (own / "settings.json").write_text(json.dumps({"networks": shapes}))


def test_own_full_runs_are_used_instead(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    _own_dcgan_run(tmp_path, dcgan.build_generator())
    (run,) = pretrained.load_dcgans()
    assert run.label == "your run" and run.train_seconds == 60.0
    assert "your own run from notebook 04" in capsys.readouterr().out


@pytest.mark.parametrize("record", [True, False], ids=["other-width", "no-record"])
def test_own_runs_of_another_architecture_are_skipped(record, monkeypatch, tmp_path, capsys):
    """A run from notebook 04 with G_WIDTH changed, or from an older course, cannot load: the shipped weights."""
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    _own_dcgan_run(tmp_path, dcgan.build_generator(width=32), record)
    runs = pretrained.load_dcgans()
    assert [run.label for run in runs] == [f"seed {s}" for s in pretrained.SEEDS]
    assert "another architecture" in capsys.readouterr().out


def test_make_weights_command_line(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(pretrained, "MANIFEST", tmp_path / "pretrained.json")

    def fake_make_weights(models, seeds, save):
        calls.append((models, seeds, save))
        return {}

    monkeypatch.setattr(pretrained, "make_weights", fake_make_weights)
    monkeypatch.setattr(pretrained.config, "FAST", False)
    pretrained.main(["--check", "--seeds", "1"])
    assert not (tmp_path / "pretrained.json").exists(), "--check never writes"
    pretrained.main(["vae"])
    assert calls[0] == (("dcgan", "vae"), [1], False)
    assert calls[1][0] == ("vae",) and calls[1][2] is True
    assert (tmp_path / "pretrained.json").exists()


def _notebook_parameters(notebook, monkeypatch):
    """The full-mode values set by a notebook's parameters cell (its third cell)."""
    monkeypatch.setattr(config, "FAST", False)
    cell = nbformat.read(NOTEBOOKS / notebook, as_version=4).cells[2]
    namespace = {}
    exec(cell.source, namespace)
    return namespace


@pytest.mark.parametrize("model, notebook", [("dcgan", "04_dcgan_mnist.ipynb"), ("vae", "05_vae_mnist.ipynb")])
def test_shipped_runs_use_the_notebook_settings(model, notebook, monkeypatch):
    """Change a notebook's batch size or epochs and this fails until `make weights` has retrained the shipped runs."""
    settings = {"dcgan": pretrained.DCGAN_FIT, "vae": pretrained.VAE_FIT}[model]
    parameters = _notebook_parameters(notebook, monkeypatch)
    assert settings == {"batch_size": parameters["BATCH_SIZE"], "epochs": parameters["EPOCHS"]}
    defaults = inspect.signature({"dcgan": dcgan.make_gan, "vae": vae.make_vae}[model]).parameters
    names = {"LATENT_DIM": "latent_dim", "LEARNING_RATE": "lr", "EMA_DECAY": "ema_decay",  # 05: make_vae width
             **({"G_WIDTH": "g_width", "D_WIDTH": "d_width", "R1_WEIGHT": "r1_weight"} if model == "dcgan" else {})}
    for name, argument in names.items():
        assert parameters[name] == defaults[argument].default, \
            f"{name}: make weights and make bench train with the make_gan/make_vae defaults"
    expected = {**settings, "ema_decay": parameters["EMA_DECAY"], "learning_rate": parameters["LEARNING_RATE"],
                **({"r1_weight": parameters["R1_WEIGHT"]} if model == "dcgan" else {})}
    for seed in pretrained.SEEDS:
        run = pretrained.manifest()["runs"][f"{model}-seed{seed}"]
        shipped = {key: run.get(key) for key in [*expected, "xla"]}
        assert shipped == {**expected, "xla": True}, \
            f"{model}-seed{seed} is stale: run `make weights`"
