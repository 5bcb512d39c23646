"""Notebook 06's comparison: the table, the shipped runs, a learner's own runs, and `make weights`."""

import inspect

import numpy as np
import pytest

from course_utils import compare, config, data, gan, metrics, training, vae


def test_table_mean_and_spread():
    assert compare.mean_spread([1.0, 2.0, 3.0], "{:.2f}") == "2.00 ± 1.00"
    assert compare.mean_spread([5.0], "{:.1f}") == "5.0"
    assert compare.mean_spread([None], "{:.1f}") == "—"
    text = compare.table({"A": [{"fid": 1.0}, {"fid": 3.0}], "B": [{"fid": 10.0, "nll": 90.0}]})
    assert "| MNIST-FID ↓ | 2.00 ± 1.41 | 10.00 |" in text


def test_sample_rows_for_real_data_match_the_floor(mnist):
    scores = compare.sample_scores(data.to_unit(mnist.x_train[:1000]), data.to_unit(mnist.x_test[:1000]))
    assert scores["fid"] < 5 and scores["classes_present"] == 10 and scores["precision"] > 0.6


def test_shipped_weights_load_and_sample_well(mnist, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))  # no runs of one's own: the shipped weights
    manifest = compare.manifest()
    assert {f"{m}-seed{s}" for m in ("dcgan", "vae") for s in compare.SEEDS} <= set(manifest["runs"])
    gans, vaes = compare.load_dcgans(), compare.load_vaes()
    gan_images, _ = compare.sample(gans[0].decode, 64, 1000)
    vae_images, _ = compare.sample(vaes[0].decode, 32, 1000)
    reference = data.to_unit(mnist.x_test)
    # loose bounds that only trained networks meet (an untrained generator scores in the hundreds)
    assert metrics.evaluate(gan_images, reference).fid < 30
    assert metrics.evaluate(vae_images, reference).fid < 60
    assert gans[0].train_seconds > 0 and vaes[0].train_seconds > 0


@pytest.mark.parametrize("damage", ["truncated", "altered", "missing"])
def test_a_damaged_shipped_weights_file_is_caught_with_what_to_do(damage, monkeypatch, tmp_path):
    name = compare.shipped_weights("vae", 0, "decoder").name
    (tmp_path / compare.MANIFEST.name).write_bytes(compare.MANIFEST.read_bytes())
    original = compare.shipped_weights("vae", 0, "decoder").read_bytes()
    monkeypatch.setattr(compare, "WEIGHTS_DIR", tmp_path)
    monkeypatch.setattr(compare, "MANIFEST", tmp_path / compare.MANIFEST.name)
    (tmp_path / name).write_bytes(original)
    assert compare.checked_weights("vae", 0, "decoder") == tmp_path / name  # the intact file passes
    if damage == "truncated":
        (tmp_path / name).write_bytes(original[: len(original) // 2])
    elif damage == "altered":
        (tmp_path / name).write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    else:
        (tmp_path / name).unlink()
    with pytest.raises((ValueError, FileNotFoundError), match="make weights"):
        compare.checked_weights("vae", 0, "decoder")


def test_every_shipped_weights_file_has_its_checksum_recorded():
    recorded = compare.manifest()["sha256"]
    shipped = sorted(p for p in compare.WEIGHTS_DIR.glob("*-seed*.weights.h5") if not p.name.startswith("objectives-"))
    assert sorted(recorded) == [p.name for p in shipped] and all(compare.sha256(p) == recorded[p.name] for p in shipped)


def _own_dcgan_run(model):
    """A finished run folder as notebook 04 leaves it, for ``model``'s settings, with its generator."""
    folder = training.run_folder("dcgan", model, compare.MNIST_TRAIN_SHAPE, gan.EPOCHS, gan.BATCH_SIZE)
    folder.mkdir(parents=True)
    for part, network in model.parts.items():
        network.save_weights(folder / f"{part}.weights.h5")
    (folder / "history.csv").write_text("epoch,seconds\n0,30.5\n1,29.5\n")
    return folder


def test_own_full_runs_are_used_instead(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    _own_dcgan_run(gan.make_gan())
    (run,) = compare.load_dcgans()
    assert run.label == "your run" and run.train_seconds == 60.0
    assert "your own run from notebook 04" in capsys.readouterr().out


def test_own_runs_with_other_settings_are_not_compared(monkeypatch, tmp_path):
    """A run from notebook 04 with CHANGES set is not the course's model: the shipped weights are used."""
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    _own_dcgan_run(gan.make_gan(g_width=32))
    _own_dcgan_run(gan.make_gan(lr=2e-3))
    assert [run.label for run in compare.load_dcgans()] == [f"seed {s}" for s in compare.SEEDS]


def test_make_weights_command_line(monkeypatch, tmp_path):
    import train_weights

    calls = []
    monkeypatch.setattr(compare, "MANIFEST", tmp_path / "pretrained.json")

    def fake_make_weights(models, seeds, save, previous, score_only):
        calls.append((models, seeds, save, score_only))
        return {}

    def fake_make_map_weights(save, score_only, previous):
        calls.append(("map-vae", save, score_only))
        return {}

    monkeypatch.setattr(train_weights, "make_weights", fake_make_weights)
    monkeypatch.setattr(train_weights, "make_map_weights", fake_make_map_weights)
    monkeypatch.setattr(config, "FAST", False)
    train_weights.main(["--check", "--seeds", "1"])
    assert not (tmp_path / "pretrained.json").exists(), "--check never writes"
    assert calls.pop(1) == ("map-vae", False, False), "by default the explainer's 2-D VAEs are retrained too"
    train_weights.main(["vae"])
    assert calls[0] == (("dcgan", "vae"), [1], False, False)
    assert calls[1] == (("vae",), [0, 1, 2], True, False)
    assert (tmp_path / "pretrained.json").exists()
    train_weights.main(["vae", "--score-only"])
    assert calls[2] == (("vae",), [0, 1, 2], True, True)
    train_weights.main(["map-vae"])
    assert calls[3] == ("map-vae", True, False) and len(calls) == 4, "map-vae alone trains no DCGAN or VAE run"
    with pytest.raises(SystemExit):
        train_weights.main(["gan"])  # not a model name


@pytest.mark.parametrize("model", ["dcgan", "vae"])
def test_shipped_runs_were_trained_with_the_current_course_settings(model):
    """Change make_gan/make_vae's defaults, BATCH_SIZE or EPOCHS and this fails until `make weights` has run."""
    module, make = {"dcgan": (gan, gan.make_gan), "vae": (vae, vae.make_vae)}[model]
    defaults = {name: p.default for name, p in inspect.signature(make).parameters.items()}
    if model == "dcgan":  # make_gan's lr and r1_weight default to those of its default objective
        defaults |= {key: gan.OBJECTIVE_SETTINGS[defaults["objective"]][key] for key in ("lr", "r1_weight")}
    expected = {"batch_size": module.BATCH_SIZE, "epochs": module.EPOCHS, "ema_decay": defaults["ema_decay"],
                "learning_rate": defaults["lr"], "xla": True,
                **({"r1_weight": defaults["r1_weight"]} if model == "dcgan" else {})}
    for seed in compare.SEEDS:
        run = compare.manifest()["runs"][f"{model}-seed{seed}"]
        assert {key: run.get(key) for key in expected} == expected, f"{model}-seed{seed} is stale: run `make weights`"
    assert np.isfinite(compare.manifest()["runs"][f"{model}-seed0"]["fid"])


def test_reconstructions_give_each_model_the_grey_digits_and_score_it_against_them(mnist, small_gan, small_vae,
                                                                                  monkeypatch):
    """Both models get the same input and are scored against it: notebook 06 once gave the VAE a binarized digit
    and scored it against the grey one that GAN inversion optimised for."""
    grey = data.to_unit(mnist.x_test[:3])
    generator, model = small_gan().generator, small_vae()
    given = {}
    invert, encode = gan.invert, model.encode

    def invert_spy(generator, x, **options):
        given["DCGAN"] = x
        return invert(generator, x, **options)

    def encode_spy(x):
        given["VAE"] = x
        return encode(x)

    monkeypatch.setattr(gan, "invert", invert_spy)
    monkeypatch.setattr(model, "encode", encode_spy)
    runs = {"DCGAN": compare.Run("DCGAN", generator, lambda z: gan.images01(generator, z), 0.0),
            "VAE": compare.Run("VAE", model, model.decode_means, 0.0)}
    for name, run in runs.items():
        images, errors = compare.reconstruction_errors(run, grey, steps=5)
        np.testing.assert_array_equal(given[name], grey, err_msg=f"{name} was not given the grey digits")
        assert images.shape == grey.shape and errors.shape == (3,)
        np.testing.assert_allclose(errors, np.mean((images - grey) ** 2, axis=(1, 2, 3)), rtol=1e-6)
    with pytest.raises(ValueError, match="x / 255"):
        compare.reconstruction_errors(runs["VAE"], mnist.x_test[:3].astype("float32"))  # pixels, not [0, 1]
