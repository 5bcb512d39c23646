import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import losses, vae

COURSE_LR = inspect.signature(vae.make_vae).parameters["lr"].default


def test_encoder_decoder_shapes(small_vae):
    encoder, decoder = vae.build_encoder(32), vae.build_decoder(32)
    mean, log_var = encoder(np.zeros((3, 28, 28, 1), "float32"))
    assert mean.shape == (3, 32) and log_var.shape == (3, 32)
    assert decoder(np.zeros((3, 32), "float32")).shape == (3, 28, 28, 1)
    model, z = small_vae(), np.random.default_rng(0).normal(size=(3, 4))
    means = model.decode_means(z)
    assert means.shape == (3, 28, 28, 1) and 0 <= means.min() and means.max() <= 1
    np.testing.assert_allclose(means, 1 / (1 + np.exp(-np.asarray(model.decode(z.astype("float32"))))), rtol=1e-5)


def test_the_tutorials_reference_networks_have_mnist_shapes():
    import reference_models

    ref_mean, _ = reference_models.build_reference_encoder()(np.zeros((2, 28, 28, 1), "float32"))
    assert ref_mean.shape == (2, 2)
    assert reference_models.build_reference_decoder()(np.zeros((2, 2))).shape == (2, 28, 28, 1)


def test_sampling_has_the_right_moments_and_gradients():
    layer = vae.Sampling(seed=0)
    mean = tf.Variable(np.full((200000, 1), 1.5, "float32"))
    log_var = tf.Variable(np.full((200000, 1), np.log(4.0), "float32"))
    with tf.GradientTape() as tape:
        z = layer([mean, log_var])
        total = tf.reduce_sum(z)
    assert float(tf.reduce_mean(z)) == pytest.approx(1.5, abs=0.02)
    assert float(tf.math.reduce_variance(z)) == pytest.approx(4.0, rel=0.02)
    d_mean, d_log_var = tape.gradient(total, [mean, log_var])
    np.testing.assert_allclose(d_mean.numpy(), 1.0)                       # dz/dmean = 1
    eps = (z.numpy() - 1.5) / 2.0
    np.testing.assert_allclose(d_log_var.numpy(), 0.5 * 2.0 * eps, atol=1e-4)  # dz/dlog_var = sigma eps / 2


def expected_loss(model, x, draws=30):
    return np.mean([model.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)["loss"] for _ in range(draws)])


def test_one_train_step_lowers_the_loss_on_a_fixed_batch(small_vae, binary_images):
    model = small_vae(dynamic_binarization=False)
    # a small plain gradient step must go downhill; Adam's first step is a sign step of size lr
    # on every weight, which need not (with ELU and lr 3e-3 it raised this loss by 3.6 nats)
    model.compile(keras.optimizers.SGD(1e-4))
    x = binary_images(64)
    before = expected_loss(model, x)
    model.train_on_batch(x)
    assert expected_loss(model, x) < before - 1.0


def test_a_few_steps_of_the_course_optimizer_lower_the_loss(small_vae, binary_images):
    model = small_vae(dynamic_binarization=False)
    model.compile(keras.optimizers.Adam(COURSE_LR))  # make_vae's optimizer (measured: 544.0 -> 535.4 nats)
    x = binary_images(64)
    before = expected_loss(model, x)
    for _ in range(5):
        model.train_on_batch(x)
    assert expected_loss(model, x) < before - 5.0


def test_kl_metric_is_the_closed_form_of_notebook_02(small_vae, binary_images):
    model = small_vae()
    x = binary_images(16)
    logs = model.evaluate(x, batch_size=16, verbose=0, return_dict=True)
    mean, log_var = model.encode(x)
    assert logs["kl"] == pytest.approx(float(np.mean(losses.gaussian_kl(mean, log_var))), rel=1e-5)
    assert logs["elbo"] == pytest.approx(-(logs["reconstruction"] + logs["kl"]), rel=1e-6)


def test_evaluation_uses_the_averaged_networks(small_vae, binary_images):
    model = small_vae(ema_decay=0.999)
    x = binary_images(16)
    model.train_on_batch(x)
    assert set(model.parts) == {"encoder", "decoder", "encoder_ema", "decoder_ema"}
    mean, log_var = model.encode(x)
    np.testing.assert_allclose(mean, model.encoder_ema(x)[0].numpy(), rtol=1e-6)
    assert not np.allclose(mean, model.encoder(x)[0].numpy()), "the live encoder has moved on"
    logs = model.evaluate(x, batch_size=16, verbose=0, return_dict=True)  # test_step: the same networks
    assert logs["kl"] == pytest.approx(float(np.mean(losses.gaussian_kl(mean, log_var))), rel=1e-5)


def test_dynamic_binarization_draws_fresh_binary_pixels_each_step(small_vae, binary_images):
    model = small_vae()
    model.compile(keras.optimizers.Adam(1e-3), run_eagerly=True)  # eager, so the test can see the batch
    seen, terms = [], model._terms
    model._terms = lambda x, *networks, training: seen.append(np.asarray(x)) or terms(x, *networks, training=training)
    grey = np.full((64, 28, 28, 1), 0.5, "float32")
    model.fit(grey, batch_size=64, epochs=2, verbose=0)
    assert len(seen) == 2 and set(np.unique(seen[0])) == {0.0, 1.0}
    assert abs(seen[0].mean() - 0.5) < 0.01 and not np.array_equal(seen[0], seen[1])


@pytest.mark.parametrize("x, message", [
    (np.full((8, 28, 28, 1), 255.0, "float32"), "to_unit"),
    (np.full((8, 28, 28, 1), -1.0, "float32"), r"\[0, 1\]"),
    (np.zeros((8, 784), "float32"), "expects"),
])
def test_bad_input_gets_a_clear_error(x, message, small_vae):
    with pytest.raises(ValueError, match=message):
        small_vae().fit(x, batch_size=8, epochs=1, verbose=0)
