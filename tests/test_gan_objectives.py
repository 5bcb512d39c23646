"""The GAN's three objectives (notebook 08): WGAN-GP, hinge with spectral normalization, the course's cross-entropy.

The losses themselves (the gradient penalty against finite differences, alpha uniform per example, no NaN at a
zero gradient, the hinge's margins) are checked in test_losses.py; here, what the trainer does with them.
"""

import keras
import numpy as np
import pytest

from course_utils import gan, training


def tiny(objective, **options):
    return gan.make_gan(latent_dim=8, g_width=8, d_width=8, seed=0, ema_decay=None, objective=objective, **options)


def largest_singular_value(layer):
    kernel = layer.layer.kernel.numpy()
    return np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]


def test_a_spectral_normalized_layer_has_largest_singular_value_one_after_training_calls():
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense(16, kernel_initializer=keras.initializers.RandomNormal(stddev=1.0))
    layer = keras.layers.SpectralNormalization(dense)
    x = np.random.default_rng(0).normal(size=(8, 32)).astype("float32")
    layer(x, training=False)
    assert largest_singular_value(layer) > 3, "the raw kernel: far from 1, or the test below could not fail"
    for _ in range(30):  # one power iteration per training call
        layer(x, training=True)
    assert largest_singular_value(layer) == pytest.approx(1.0, rel=0.02)


def test_the_hinge_discriminator_is_spectral_normalized_in_every_layer_with_weights():
    discriminator = tiny("hinge").discriminator
    weighted = [layer for layer in discriminator.layers if layer.weights]
    assert len(weighted) == 4 and all(isinstance(layer, keras.layers.SpectralNormalization) for layer in weighted)
    plain = tiny("wgan-gp").discriminator.layers
    assert not any(isinstance(layer, keras.layers.SpectralNormalization) for layer in plain)


def test_the_gradient_penalty_of_a_linear_critic_is_its_weight_norm_minus_one_squared(tanh_images):
    """f(x) = w.x + b has gradient w at every point, interpolates included: the penalty is (||w|| - 1)^2."""
    keras.utils.set_random_seed(0)
    linear = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model = gan.GAN(gan.build_generator(8, width=8), linear, 8, objective="wgan-gp")
    real, fake = (keras.ops.convert_to_tensor(tanh_images(4, seed=s)) for s in (0, 1))
    penalty = float(model.gradient_penalty(real, fake))
    norm = np.linalg.norm(linear.layers[-1].kernel.numpy())
    assert penalty == pytest.approx((norm - 1) ** 2, rel=1e-4)


def test_the_critics_gradient_norm_of_a_linear_critic_is_its_weight_norm(tanh_images):
    keras.utils.set_random_seed(0)
    linear = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model = gan.GAN(gan.build_generator(8, width=8), linear, 8, objective="wgan-gp")
    norms = gan.critic_gradient_norms(model, tanh_images(4, seed=0), tanh_images(4, seed=1))
    np.testing.assert_allclose(norms, np.linalg.norm(linear.layers[-1].kernel.numpy()), rtol=1e-5)
    assert norms.shape == (4,)


@pytest.mark.parametrize("objective", sorted(gan.OBJECTIVES))
def test_every_objective_trains_both_networks_and_logs_what_its_discriminator_returns(objective, tanh_images):
    model = tiny(objective)
    model.jit_compile = False  # XLA's compile would take most of this test's time
    last = model.discriminator.layers[-1]
    dense = last.layer if objective == "hinge" else last
    dense.kernel.assign(np.zeros(dense.kernel.shape))
    dense.bias.assign([3.0])  # every score 3 before the first update
    before = [[w.numpy().copy() for w in net.trainable_weights] for net in (model.generator, model.discriminator)]
    logs = {name: values[0] for name, values in model.fit(tanh_images(40), batch_size=40, epochs=1,
                                                           verbose=0).history.items()}
    assert all(np.isfinite(value) for value in logs.values()), logs
    for net, old in zip((model.generator, model.discriminator), before):
        assert any(not np.allclose(w.numpy(), o) for w, o in zip(net.trainable_weights, old)), net.name
    # raw scores for a critic, probabilities for the cross-entropy (the last critic update's, after 0 or 4 others)
    assert logs["d_real"] == pytest.approx(1 / (1 + np.exp(-3.0)) if objective == "cross-entropy" else 3.0, rel=0.1)
    updates = 5 if objective == "wgan-gp" else 1
    assert (int(model.d_optimizer.iterations), int(model.g_optimizer.iterations)) == (updates, 1)
    if objective == "wgan-gp":
        assert logs["wasserstein"] == pytest.approx(-logs["d_loss"], rel=1e-5) and logs["gradient_penalty"] >= 0


def test_each_objective_gets_a_run_folder_of_its_own_and_the_course_default_keeps_its_own():
    folders = {objective: training.run_folder("dcgan", tiny(objective), (64, 28, 28, 1), 1, 32)
               for objective in gan.OBJECTIVES}
    assert len(set(folders.values())) == 3
    assert "objective" not in tiny("cross-entropy").settings  # the shipped runs' folders are unchanged


def test_make_gan_uses_the_papers_optimizer_settings():
    wgan = tiny("wgan-gp")
    config = wgan.d_optimizer.get_config()
    assert (config["beta_1"], config["beta_2"]) == (0.0, 0.9)
    assert float(wgan.d_optimizer.learning_rate) == pytest.approx(1e-4)
    assert float(tiny("hinge", lr=5e-4).g_optimizer.learning_rate) == pytest.approx(5e-4)


@pytest.mark.parametrize("make, message", [
    (lambda: tiny("wasserstein"), "objective must be one of"),
    (lambda: tiny("wgan-gp", r1_weight=1.0), "set r1_weight=0"),
    (lambda: tiny("hinge", generator_loss="saturating"), "belong to the cross-entropy"),
    (lambda: gan.GAN(gan.build_generator(8, width=8), gan.build_discriminator(8), 8, critic_steps=0), "whole number"),
])
def test_bad_objective_settings_get_a_clear_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_batch_size_that_critic_steps_does_not_divide_is_refused(tanh_images):
    with pytest.raises(ValueError, match="divisible by it"):
        tiny("wgan-gp").fit(tanh_images(32), batch_size=32, epochs=1, verbose=0)


def test_the_discriminator_takeover_refuses_a_critic(tanh_images):
    with pytest.raises(ValueError, match="cross-entropy"):
        gan.discriminator_takeover(tiny("hinge"), tanh_images(16), steps=1)
