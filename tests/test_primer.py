"""The primer's helpers (notebook 00b): the numbers its pictures show, and clear errors on bad input."""

import re

import numpy as np
import pytest

from course_utils import losses, primer, theory_gan

PAIRS = [(0.0, 1.0, 0.0, 1.0), (1.0, 0.5, 0.0, 1.0), (0.0, 1.0, 1.0, 0.5), (-2.0, 3.0, 1.5, 0.7)]


@pytest.mark.parametrize("mu_p, s_p, mu_q, s_q", PAIRS)
def test_gaussian_kl_matches_quadrature(mu_p, s_p, mu_q, s_q):
    x, dx = np.linspace(-30, 30, 300001, retstep=True)
    log_p, log_q = theory_gan.gaussian_log_pdf(x, mu_p, s_p), theory_gan.gaussian_log_pdf(x, mu_q, s_q)
    by_quadrature = np.sum(np.exp(log_p) * (log_p - log_q)) * dx
    assert primer.gaussian_kl(mu_p, s_p, mu_q, s_q) == pytest.approx(by_quadrature, rel=1e-9, abs=1e-12)


def test_gaussian_kl_is_zero_for_equal_gaussians_and_asymmetric_otherwise():
    assert primer.gaussian_kl(0.7, 1.3, 0.7, 1.3) == 0.0
    forward, reverse = primer.gaussian_kl(1.0, 0.5, 0.0, 1.0), primer.gaussian_kl(0.0, 1.0, 1.0, 0.5)
    assert forward == pytest.approx(0.5 * (1 + 0.25 - 1 - np.log(0.25)))
    assert reverse == pytest.approx(np.log(0.5) + (1 + 1) / (2 * 0.25) - 0.5)
    assert abs(forward - reverse) > 0.5


def test_gaussian_kl_to_the_standard_normal_is_the_vaes_kl_term():
    mu, s = np.array([1.0, -0.3, 2.0]), np.array([2.0, 0.4, 1.0])
    vae = np.asarray(losses.gaussian_kl_per_dimension(mu, np.log(s**2)))
    np.testing.assert_allclose([primer.gaussian_kl(m, v, 0.0, 1.0) for m, v in zip(mu, s)], vae, rtol=1e-12)


def test_monte_carlo_kl_agrees_within_its_standard_error_and_the_error_shrinks_as_one_over_root_n():
    exact = primer.gaussian_kl(1.0, 0.5, 0.0, 1.0)
    estimate, error = primer.monte_carlo_kl(1.0, 0.5, 0.0, 1.0, n=200_000, seed=0)
    assert abs(estimate - exact) < 4 * error
    assert primer.monte_carlo_kl(1.0, 0.5, 0.0, 1.0, n=200_000, seed=0) == (estimate, error), "the seed fixes it"
    _, error_small = primer.monte_carlo_kl(1.0, 0.5, 0.0, 1.0, n=2_000, seed=0)
    assert error_small / error == pytest.approx(10.0, rel=0.1)
    assert primer.monte_carlo_kl(0.3, 1.2, 0.3, 1.2, n=100, seed=1) == (0.0, 0.0)  # p = q: every log-ratio is 0


def test_kl_picture_shows_the_area_of_the_integrand_and_the_closed_form():
    fig = primer.kl_picture(1.0, 0.5, 0.0, 1.0)
    area, closed = map(float, re.search(r"= ([\d.]+) \(closed form ([\d.]+)\)", fig.axes[1].get_title()).groups())
    assert closed == pytest.approx(primer.gaussian_kl(1.0, 0.5, 0.0, 1.0), abs=5e-5)
    assert area == pytest.approx(closed, abs=2e-4)
    _, y = fig.axes[1].get_lines()[0].get_data()
    assert y.min() < 0 < y.max(), "the integrand goes negative where q > p"


def test_jensen_picture_marks_log_of_the_mean_above_the_mean_of_the_log():
    fig = primer.jensen_picture(0.5, 4.0, weight=0.25)
    lines = {line.get_label(): line.get_data() for line in fig.axes[0].get_lines()}
    mean = 0.75 * 0.5 + 0.25 * 4.0
    (log_mean,) = [v for k, v in lines.items() if k.startswith("log E[X]")]
    (mean_log,) = [v for k, v in lines.items() if k.startswith("E[log X]")]
    assert log_mean[0][0] == mean == mean_log[0][0]
    assert log_mean[1][0] == pytest.approx(np.log(mean))
    assert mean_log[1][0] == pytest.approx(0.75 * np.log(0.5) + 0.25 * np.log(4.0))
    gap = float(re.search(r"Jensen gap ([\d.]+)", fig.axes[0].get_title()).group(1))
    assert gap == pytest.approx(np.log(mean) - mean_log[1][0], abs=5e-5) and gap > 0


@pytest.mark.parametrize("shape, kernel, stride", [((2, 2), (3, 3), 2), ((3, 4), (2, 3), 1),
                                                   ((4, 3), (2, 2), 3), ((2, 3), (5, 4), 3)])  # third: kernel < stride
def test_transposed_convolution_is_what_keras_computes(shape, kernel, stride):
    import keras

    rng = np.random.default_rng(0)
    x, k = rng.normal(size=shape), rng.normal(size=kernel)
    layer = keras.layers.Conv2DTranspose(1, kernel, strides=stride, padding="valid", use_bias=False)
    layer.build((None, *shape, 1))
    layer.set_weights([k[:, :, None, None]])
    by_keras = np.asarray(layer(x[None, :, :, None].astype("float32")))[0, :, :, 0]
    ours = primer.transposed_convolution(x, k, stride)
    assert ours.shape == tuple((n - 1) * stride + max(k, stride) for n, k in zip(shape, kernel))
    np.testing.assert_allclose(ours, by_keras, atol=1e-5)


def test_transposed_convolution_picture_shows_the_output_and_the_overlap_counts():
    x, kernel = np.array([[1.0, 2.0], [3.0, 4.0]]), np.arange(1.0, 10.0).reshape(3, 3)
    fig = primer.transposed_convolution_picture(x, kernel, stride=2)
    shown = [np.array([float(t.get_text()) for t in ax.texts]) for ax in fig.axes]
    np.testing.assert_array_equal(shown[2], primer.transposed_convolution(x, kernel, 2).ravel())
    counts = shown[3].reshape(5, 5)
    np.testing.assert_array_equal(counts[::2, ::2], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert counts[1, 1] == 1 and counts.sum() == x.size * kernel.size  # every stamp counted once per pixel
    assert len(fig.axes[2].patches) == x.size, "one outline per input pixel's stamp"


@pytest.mark.parametrize("call, message", [
    (lambda: primer.gaussian_kl(0.0, -1.0, 0.0, 1.0), "s_p must be positive"),
    (lambda: primer.gaussian_kl(0.0, 1.0, 0.0, 0.0), "s_q must be positive"),
    (lambda: primer.monte_carlo_kl(0.0, 1.0, 0.0, 1.0, n=1), "at least 2"),
    (lambda: primer.monte_carlo_kl(0.0, 1.0, 0.0, 1.0, n=10.5), "an integer"),
    (lambda: primer.kl_picture(0.0, 1.0, 0.0, -2.0), "s_q must be positive"),
    (lambda: primer.jensen_picture(-1.0, 2.0), "a must be positive"),
    (lambda: primer.jensen_picture(1.0, 2.0, weight=1.0), "strictly between 0 and 1"),
    (lambda: primer.transposed_convolution(np.ones((1, 2, 2)), np.ones((3, 3)), 2), "2-D arrays"),
    (lambda: primer.transposed_convolution(np.ones((2, 2)), np.ones((3, 3)), 0), "positive integer"),
    (lambda: primer.transposed_convolution_picture(np.ones((2, 2)), np.ones(3), 2), "2-D arrays"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
