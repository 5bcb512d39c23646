"""Latent tools: Gaussian grids, slerp, picking a latent per digit, and the explorer's widgets."""

import numpy as np
import pytest

from course_utils import data, latent


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
    box = latent.latent_sliders(_toy_decoders(), {"A": np.zeros(4), "B": np.zeros(4)}, directions=2)
    images, sliders = _images(box), _sliders(box)
    assert len(images) == 2 and len(sliders) == 4
    before = [image.value for image in images]
    sliders[0].value = 2.5  # model A, coordinate 0: only A's picture changes
    assert images[0].value != before[0] and images[1].value == before[1]
    assert bytes(images[0].value).startswith(b"\x89PNG")


def test_interpolation_widget_moves_every_model():
    codes = {name: {1: np.full(4, -2.0), 7: np.full(4, 2.0)} for name in ("A", "B")}
    box = latent.interpolation(_toy_decoders(), codes, first=1, second=7)
    images, (t,) = _images(box), _sliders(box)
    before = [image.value for image in images]
    t.value = 1.0
    assert all(image.value != old for image, old in zip(images, before))


def test_gaussian_grid_and_slerp():
    grid = latent.gaussian_grid(5)
    assert grid[2] == pytest.approx(0.0) and grid[0] == pytest.approx(-grid[-1])
    assert grid[-1] == pytest.approx(1.2816, abs=1e-4)  # the 0.9 quantile
    z0, z1 = np.array([3.0, 0.0]), np.array([0.0, 3.0])
    path = latent.interpolate(z0, z1, 5)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 3.0, rtol=1e-6)  # stays on the sphere
    np.testing.assert_allclose(path[[0, -1]], [z0, z1], atol=1e-6)
    assert np.linalg.norm(latent.interpolate(z0, z1, 5, spherical=False)[2]) < 3.0  # the straight line dips
