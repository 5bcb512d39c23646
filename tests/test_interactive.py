"""The GAN lab and the VAE explainer: their states and drawings without a browser, and their widgets' wiring."""

import numpy as np
import pytest

from course_utils import data, interactive, losses, theory_gan, vae


def _weights(model):
    return [np.array(w) for w in model.weights]


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_a_seeded_lab_draws_the_same_frames_and_a_step_changes_them():
    first, second = interactive.GANLab(seed=3), interactive.GANLab(seed=3)
    first.step(3)
    second.step(3)
    assert first.png() == second.png()
    before = first.png()
    first.step()
    assert first.png() != before


def test_a_discriminator_step_moves_only_the_discriminator_and_a_generator_step_only_the_generator():
    lab = interactive.GANLab(loss="wasserstein")
    g, d = _weights(lab.generator), _weights(lab.discriminator)
    lab.d_step()
    assert _same(g, _weights(lab.generator)) and not _same(d, _weights(lab.discriminator))
    d = _weights(lab.discriminator)
    lab.g_step()
    assert _same(d, _weights(lab.discriminator)) and not _same(g, _weights(lab.generator))
    assert lab.steps == 2 and lab.history["step"] == [1, 2]
    lab.step(3)
    assert lab.steps == 5 and len(lab.history["d_loss"]) == 5
    assert np.all(np.isfinite(lab.history["d_loss"][1:])), "the gradient penalty gave a NaN"


def test_on_1d_gaussians_the_trained_discriminator_approaches_the_analytic_one():
    lab = interactive.GANLab(data="1-D Gaussians", lr_d=1e-2)
    grid = np.linspace(-2, 3, 101, dtype=np.float32)
    d_star = lab.optimal_discriminator(grid)  # p_g = N(1.5, 0.7^2), notebook 01's
    np.testing.assert_allclose(d_star, theory_gan.optimal_discriminator(
        theory_gan.gaussian_pdf(grid), theory_gan.gaussian_pdf(grid, 1.5, 0.7)), rtol=1e-5)
    for _ in range(400):
        lab.d_step()
    trained = 1 / (1 + np.exp(-np.asarray(lab.discriminator(grid[:, None]))[:, 0]))
    assert np.abs(trained - d_star).max() < 0.08, "400 discriminator steps should bring D close to D*"
    lab.set(loss="wasserstein")
    assert lab.optimal_discriminator(grid) is None, "D* of the cross-entropy is not the critic's optimum"


@pytest.mark.parametrize("loss", interactive.LOSSES)
def test_the_arrows_point_where_the_generator_loss_decreases(loss):
    lab = interactive.GANLab(data="1-D Gaussians", loss=loss)
    lab.step(20)
    at, push = lab.pushes(8)
    h = 1e-2
    loss_of = interactive._generator_loss(loss)
    per_sample = lambda x: np.array([float(loss_of(lab.discriminator(np.array([[v]], np.float32))[:, 0]))  # noqa: E731
                                     for v in x])
    slope = (per_sample(at[:, 0] + h) - per_sample(at[:, 0] - h)) / (2 * h)
    np.testing.assert_allclose(push[:, 0], -slope, rtol=2e-2, atol=1e-4)


def test_changing_the_data_keeps_the_networks_unless_the_dimension_changes():
    lab = interactive.GANLab()
    lab.step(2)
    weights = _weights(lab.generator)
    lab.set(data="two moons", lr_g=3e-4)
    assert _same(weights, _weights(lab.generator)) and lab.steps == 2
    assert float(np.array(lab.g_optimizer.learning_rate)) == pytest.approx(3e-4)
    lab.set(data="1-D Gaussians")
    assert lab.dim == 1 and lab.steps == 0 and lab.pool.shape == (20000, 1)


@pytest.mark.parametrize("name", interactive.DATASETS)
def test_every_data_set_lies_in_the_drawn_square(name):
    points = interactive.sample_data(name, 2000)
    assert points.shape == (2000, 1 if name == "1-D Gaussians" else 2)
    assert np.abs(points).max() < 3 if name != "1-D Gaussians" else np.abs(points).max() < 5


def test_the_ring_lab_counts_modes_and_a_perfect_generator_covers_them_all():
    lab = interactive.GANLab()
    measured = lab.measure()
    assert measured["modes"] is not None and measured["modes"] < 8 and measured["recall"] < 0.5
    centres = theory_gan.ring_centres()
    assert theory_gan.mode_metrics(lab.reference, centres, interactive.RING_STD)["modes_covered"] == 8


@pytest.mark.parametrize("call, message", [
    (lambda: interactive.GANLab(data="spiral"), "data must be one of"),
    (lambda: interactive.GANLab(loss="hinge"), "loss must be one of"),
    (lambda: interactive.GANLab().set(lr_d=2.0), "lr_d must be a learning rate"),
    (lambda: interactive.sample_data("circle", 5), "data must be one of"),
])
def test_the_lab_refuses_bad_settings_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_filmstrip_is_one_picture_of_the_marked_steps():
    import io

    from PIL import Image

    lab = interactive.GANLab()
    frame = Image.open(io.BytesIO(lab.png())).size
    still = Image.open(io.BytesIO(lab.filmstrip([0, 2, 5], ncols=2)))
    assert still.size == (2 * frame[0], 2 * frame[1]) and lab.steps == 5


def _widgets(widget, kind):
    children = getattr(widget, "children", ())
    found = [widget] if type(widget).__name__ == kind else []
    return found + [w for child in children for w in _widgets(child, kind)]


def test_the_lab_widget_steps_plays_and_shows_errors():
    box = interactive.gan_lab(interactive.GANLab())
    assert "course-gan-lab" in box._dom_classes
    (image,), (readout,) = _widgets(box, "Image"), _widgets(box, "HTML")
    buttons = {b.description: b for b in _widgets(box, "Button")}
    before = image.value
    (per_frame,) = _widgets(box, "IntSlider")
    per_frame.value = 1
    buttons["D steps"].click()
    assert image.value != before and readout.value.startswith("step 1 ")
    per_frame.value = 10
    (play,) = _widgets(box, "Play")
    play.value += 1  # what a tick of Play does: a frame of 10 steps
    assert readout.value.startswith("step 11 ") and "frame" in readout.value
    loss = next(d for d in _widgets(box, "Dropdown") if d.description == "loss")
    loss.value = "wasserstein"
    assert "critic loss" in readout.value
    failing = interactive._guarded(readout, lambda: interactive.GANLab(data="spiral"))
    failing()
    assert "ValueError" in readout.value and "data must be one of" in readout.value


# --- the VAE explainer ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def explainer_inputs(mnist):
    images = data.binarize(data.to_unit(mnist.x_test[:60]), seed=0)
    models = {beta: vae.make_map_vae(beta, seed=int(beta), hidden=8) for beta in (1.0, 4.0)}  # untrained, small
    return models, images, mnist.y_test[:60]


def test_the_aggregate_density_is_a_density_and_a_single_digit_gives_its_gaussian(explainer_inputs):
    models, images, labels = explainer_inputs
    explainer = interactive.VAEExplainer(models, images, labels)
    edge, step = np.linspace(-8, 8, 321, retstep=True)
    points = np.stack(np.meshgrid(edge, edge), -1).reshape(-1, 2)
    assert np.exp(explainer.log_aggregate_density(points)).sum() * step**2 == pytest.approx(1.0, abs=1e-3)
    one = interactive.VAEExplainer(models, images[:1], labels[:1])
    mean, std = one.posterior()
    z = np.array([[0.3, -0.7]])
    gaussian = np.prod(theory_gan.gaussian_pdf(z[0], mean, std))
    assert np.exp(one.log_aggregate_density(z)[0]) == pytest.approx(gaussian, rel=1e-6)
    one.set(z=(0.0, 0.0))
    assert one.densities()[0] == pytest.approx(1 / (2 * np.pi))


def test_the_elbo_terms_are_the_closed_form_kl_and_a_monte_carlo_reconstruction(explainer_inputs):
    models, images, labels = explainer_inputs
    explainer = interactive.VAEExplainer(models, images, labels)
    explainer.set(index=5)
    terms = explainer.terms()
    mean, log_var = (v[5:6] for v in explainer._encodings[1.0])
    assert terms["kl"] == pytest.approx(float(losses.gaussian_kl(mean, log_var)[0]), rel=1e-6)
    p = np.clip(models[1.0].decode_means(explainer.samples(256)), 1e-7, 1 - 1e-7)
    x = images[5]
    by_hand = -np.mean(np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3)))
    assert terms["reconstruction"] == pytest.approx(by_hand, rel=1e-4)
    assert terms["elbo"] == pytest.approx(-(terms["reconstruction"] + terms["kl"]))


def test_the_explainer_frame_follows_digit_point_and_beta_and_the_filmstrip_restores_them(explainer_inputs):
    explainer = interactive.VAEExplainer(*explainer_inputs)
    frames = [explainer.png()]
    for state in ({"index": 3}, {"z": (1.5, -2.0)}, {"beta": 4.0}):
        explainer.set(**state)
        frames.append(explainer.png())
    assert len(set(frames)) == 4
    explainer.filmstrip([{"index": 7, "beta": 1.0}, {"z": (0, 0)}])
    assert (explainer.index, explainer.beta, tuple(explainer.z)) == (3, 4.0, (1.5, -2.0))


@pytest.mark.parametrize("change, message", [
    ({"beta": 2.0}, "beta must be one of"), ({"index": 60}, "index must pick one of the 60"),
    ({"z": (1.0, 2.0, 3.0)}, "z must be a point"),
])
def test_the_explainer_refuses_bad_choices(explainer_inputs, change, message):
    explainer = interactive.VAEExplainer(*explainer_inputs)
    with pytest.raises(ValueError, match=message):
        explainer.set(**change)


def test_the_explainer_refuses_grey_images(explainer_inputs, mnist):
    models, _, labels = explainer_inputs
    with pytest.raises(ValueError, match="binarized digits"):
        interactive.VAEExplainer(models, data.to_unit(mnist.x_test[:60]), labels)


def test_the_explainer_widget_redraws_when_a_slider_moves(explainer_inputs):
    box = interactive.vae_explainer(interactive.VAEExplainer(*explainer_inputs))
    assert "course-vae-explainer" in box._dom_classes
    (image,), (readout,) = _widgets(box, "Image"), _widgets(box, "HTML")
    (index,) = _widgets(box, "IntSlider")
    before_image, before_text = image.value, readout.value
    index.value = 9
    assert image.value != before_image and readout.value != before_text and "#9" in readout.value
    (beta,) = _widgets(box, "SelectionSlider")
    beta.value = 4.0
    assert "β = 4" in readout.value
