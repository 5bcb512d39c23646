"""The failure detectors of course_utils.diagnostics, on constructed cases whose answer is known."""

import keras
import numpy as np
import pytest

from course_utils import data, diagnostics, losses


def test_kl_per_dimension_sums_to_the_elbo_kl_term():
    rng = np.random.default_rng(0)
    mean, log_var = rng.normal(size=(50, 4)), rng.normal(size=(50, 4))
    per_dim = diagnostics.kl_per_dimension(mean, log_var)
    total = keras.ops.convert_to_numpy(losses.gaussian_kl(mean.astype("float32"), log_var.astype("float32"))).mean()
    assert per_dim.shape == (4,)
    np.testing.assert_allclose(per_dim.sum(), total, rtol=1e-5)


def test_kl_per_dimension_is_zero_exactly_on_a_collapsed_dimension():
    rng = np.random.default_rng(1)
    mean = np.stack([rng.normal(size=100), np.zeros(100)], axis=1)      # dimension 1: q = N(0, 1) for every x
    log_var = np.stack([np.full(100, -2.0), np.zeros(100)], axis=1)
    per_dim = diagnostics.kl_per_dimension(mean, log_var)
    assert per_dim[1] == 0.0
    # dimension 0 by hand: (mean^2 + e^-2 - 1 + 2) / 2 averaged
    np.testing.assert_allclose(per_dim[0], 0.5 * np.mean(mean[:, 0] ** 2 + np.exp(-2.0) + 1.0))


def test_active_units_counts_only_dimensions_whose_mean_moves_with_the_input():
    rng = np.random.default_rng(2)
    mean = np.stack([rng.normal(0, 1.0, 2000),     # variance 1: active
                     rng.normal(0, 0.2, 2000),     # variance 0.04 > 0.01: active
                     rng.normal(0, 0.05, 2000),    # variance 0.0025: inactive
                     np.full(2000, 3.0)], axis=1)  # far from 0 but constant: inactive, whatever its KL
    count, variances = diagnostics.active_units(mean)
    assert count == 2
    np.testing.assert_allclose(variances, [1.0, 0.04, 0.0025, 0.0], rtol=0.1, atol=1e-12)
    assert diagnostics.active_units(mean, threshold=0.001)[0] == 3


def test_checkerboard_share_is_one_for_a_pure_checkerboard_and_small_for_digits(mnist):
    i, j = np.indices((28, 28))
    board = np.where((i + j) % 2 == 0, 1.0, 0.0)[None]         # mean 1/2 plus (-1)^(i+j) / 2
    assert diagnostics.checkerboard_share(board) == pytest.approx(1.0)
    stripes = np.where(i % 2 == 0, 1.0, 0.0)[None, ..., None]  # period 2 down the rows only
    assert diagnostics.checkerboard_share(stripes) == pytest.approx(1.0)
    smooth = np.sin(2 * np.pi * i / 28)[None]                  # one slow wave: no period-2 power
    assert diagnostics.checkerboard_share(smooth) == pytest.approx(0.0, abs=1e-12)
    digits = mnist.x_test[:200] / 255.0
    assert diagnostics.checkerboard_share(digits) < 0.01
    half = 0.5 * digits[:1] + 0.5 * board                      # a digit with a checkerboard printed on it
    assert 0.1 < diagnostics.checkerboard_share(half) < 1.0


def test_transposed_convolution_prints_a_checkerboard_unless_the_kernel_size_is_a_multiple_of_the_stride():
    constant = np.ones((1, 8, 8, 1), "float32")  # a constant input: any pattern in the output is the layer's own
    interiors = {}
    for kernel in (3, 4):
        layer = keras.layers.Conv2DTranspose(1, kernel, strides=2, padding="same", use_bias=False,
                                             kernel_initializer="ones")
        interiors[kernel] = keras.ops.convert_to_numpy(layer(constant))[0, 2:-2, 2:-2]  # borders: fewer overlaps
    # kernel 3, stride 2: pixels get 4, 2, 2 or 1 kernel taps in turn, a pure period-2 pattern
    assert diagnostics.checkerboard_share(interiors[3][None]) == pytest.approx(1.0)
    assert interiors[4].std() == 0  # kernel 4, stride 2: every interior pixel gets 4 taps, no pattern at all


def test_white_noise_scores_its_floor():
    noise = np.random.default_rng(3).normal(size=(200, 28, 28))
    assert diagnostics.checkerboard_share(noise) == pytest.approx((28 + 28 - 1) / (28 * 28 - 1), rel=0.05)


@pytest.mark.parametrize("call, message", [
    (lambda: diagnostics.kl_per_dimension(np.zeros(5), np.zeros(5)), "shape \\(inputs, latent dimensions\\)"),
    (lambda: diagnostics.kl_per_dimension(np.zeros((5, 2)), np.zeros((5, 3))), "differ in shape"),
    (lambda: diagnostics.active_units(np.zeros((1, 3))), "at least two"),
    (lambda: diagnostics.checkerboard_share(np.zeros((2, 27, 28))), "even height"),
    (lambda: diagnostics.checkerboard_share(np.ones((2, 28, 28))), "constant"),
])
def test_bad_input_says_what_is_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sample_scores_tell_a_collapsed_set_from_real_digits(mnist):
    reference = data.to_unit(mnist.x_test[:2000])
    scores = diagnostics.SampleScores(np.zeros((1, 1)), reference).scores
    real = scores(data.to_unit(mnist.x_test[2000:4000]))
    ones = data.to_unit(mnist.x_test[mnist.y_test == 1][:200])
    collapsed = scores(np.repeat(ones, 10, axis=0))  # 2,000 samples, all of them one of 200 ones
    assert real["classes"] == 10 and collapsed["classes"] == 1
    assert real["class_distance"] < 0.06
    assert np.isclose(collapsed["class_distance"], 1 - np.mean(mnist.y_test[:2000] == 1), atol=0.02)
    assert real["recall"] > 0.6 and collapsed["recall"] < 0.15
    assert real["fid"] < 5 < 50 < collapsed["fid"]


def test_sample_scores_log_the_raw_and_the_averaged_generator_every_epoch(small_gan, tanh_images, mnist, capsys):
    model = small_gan(ema_decay=0.99)
    latents = np.random.default_rng(0).normal(size=(200, model.latent_dim))
    callback = diagnostics.SampleScores(latents, data.to_unit(mnist.x_test[:200]), progress=True)
    history = model.fit(tanh_images(64), batch_size=32, epochs=2, verbose=0, callbacks=[callback]).history
    assert capsys.readouterr().out.count("/2: raw FID") == 2, "one progress line per epoch"
    for name in ("raw", "ema"):
        for key in ("fid", "recall", "class_distance", "classes"):
            assert len(history[f"{name}_{key}"]) == 2
    assert history["raw_fid"] != history["ema_fid"]
    without_average = small_gan(ema_decay=None)
    history = without_average.fit(tanh_images(64), batch_size=32, epochs=1, verbose=0, callbacks=[callback]).history
    assert "raw_fid" in history and "ema_fid" not in history


def test_resize_then_convolve_puts_no_power_at_period_2_whatever_its_kernel():
    """Nearest-neighbour upsampling repeats pixels in 2x2 blocks: zero power on the Nyquist lines, which a
    convolution (circular here, so no borders) cannot create; a stride-2 transposed convolution can."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 14, 14))
    upsampled = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)
    kernel = np.zeros((28, 28))
    kernel[:3, :3] = rng.normal(size=(3, 3))
    convolved = np.real(np.fft.ifft2(np.fft.fft2(upsampled) * np.fft.fft2(kernel)))
    assert diagnostics.checkerboard_share(upsampled) < 1e-20 and diagnostics.checkerboard_share(convolved) < 1e-20
    layer = keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same", kernel_initializer="ones", use_bias=False)
    assert diagnostics.checkerboard_share(keras.ops.convert_to_numpy(layer(np.ones((1, 14, 14, 1), "float32")))) > 0.5


def test_vae_report_is_the_same_on_every_call_and_its_terms_add_up(small_vae, binary_images):
    model = small_vae(latent=4)
    x, labels = binary_images(300), np.arange(300) % 10
    report = diagnostics.vae_report(model, x, labels)
    again = diagnostics.vae_report(model, x, labels)
    assert report["elbo"] == again["elbo"], "a seeded draw: the same model gets the same numbers"
    assert report["elbo"] == pytest.approx(-(report["reconstruction"] + report["kl"]))
    assert report["kl"] == pytest.approx(report["kl_per_dimension"].sum(), rel=1e-5)
    assert list(report["kl_per_dimension"]) == sorted(report["kl_per_dimension"], reverse=True)
    assert 0 <= report["class_kept"] <= 1 and report["active_units"] <= 4
