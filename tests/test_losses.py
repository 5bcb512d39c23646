import math

import numpy as np
import pytest
import tensorflow as tf

from course_utils import losses
from course_utils.theory_vae import LinearGaussian

LOG2 = math.log(2.0)


def value(tensor):
    return np.asarray(tensor, dtype=np.float64)


def test_gan_losses_at_d_one_half_are_log_2_per_term():
    zeros = np.zeros(7)
    assert value(losses.discriminator_loss(zeros, zeros)) == pytest.approx(2 * LOG2)
    assert value(losses.generator_loss_nonsaturating(zeros)) == pytest.approx(LOG2)
    assert value(losses.generator_loss_saturating(zeros)) == pytest.approx(-LOG2)


def test_gan_losses_match_the_probability_formulas():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=50) * 3, rng.normal(size=50) * 3
    d_real, d_fake = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
    assert value(losses.discriminator_loss(real, fake)) == pytest.approx(
        -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake)))
    assert value(losses.generator_loss_saturating(fake)) == pytest.approx(np.mean(np.log(1 - d_fake)))
    assert value(losses.generator_loss_nonsaturating(fake)) == pytest.approx(-np.mean(np.log(d_fake)))


def test_saturating_gradient_vanishes_where_nonsaturating_does_not():
    logit = tf.Variable([-8.0])  # D(G(z)) = sigmoid(-8) ~ 3e-4: the discriminator wins
    with tf.GradientTape(persistent=True) as tape:
        saturating = losses.generator_loss_saturating(logit)
        nonsaturating = losses.generator_loss_nonsaturating(logit)
    d = 1 / (1 + math.exp(8.0))
    assert value(tape.gradient(saturating, logit))[0] == pytest.approx(-d, rel=1e-4)        # -D
    assert value(tape.gradient(nonsaturating, logit))[0] == pytest.approx(-(1 - d), rel=1e-4)  # -(1-D)


def test_wasserstein_losses_are_the_mean_score_differences():
    real, fake = np.array([1.0, 3.0]), np.array([-2.0, 0.5, 0.0])
    assert value(losses.critic_loss_wasserstein(real, fake)) == pytest.approx(-0.5 - 2.0)
    assert value(losses.generator_loss_wasserstein(fake)) == pytest.approx(0.5)


def test_hinge_loss_counts_only_the_examples_inside_the_margins():
    real, fake = np.array([2.0, 0.5, -1.0]), np.array([-3.0, -0.5])
    # real: 0 + 0.5 + 2 over 3; fake: 0 + 0.5 over 2
    assert value(losses.discriminator_loss_hinge(real, fake)) == pytest.approx(2.5 / 3 + 0.25)
    assert value(losses.discriminator_loss_hinge(np.ones(3), -np.ones(2))) == 0.0


def test_interpolates_draw_one_uniform_alpha_per_example():
    real, fake = np.ones((4000, 3, 2)), np.zeros((4000, 3, 2))
    between = value(losses.interpolates(real, fake, seed=0))
    alpha = between[:, 0, 0]
    assert np.all(between == alpha[:, None, None]), "alpha must be one number per example, shared by its features"
    assert 0 <= alpha.min() and alpha.max() <= 1
    assert alpha.mean() == pytest.approx(0.5, abs=0.02) and alpha.var() == pytest.approx(1 / 12, abs=0.005)
    assert np.histogram(alpha, bins=4, range=(0, 1))[0].min() > 900, "not uniform on [0, 1] (a normal, say)"


def test_gradient_penalty_equals_a_finite_difference_estimate_on_a_tiny_critic():
    rng = np.random.default_rng(0)
    w1, w2 = rng.normal(size=(3, 5)), rng.normal(size=5)
    critic = lambda x: np.tanh(x @ w1) @ w2  # noqa: E731 -- f(x) for x of shape (n, 3)
    x = tf.Variable(rng.normal(size=(6, 3)))
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(tf.matmul(tf.tanh(tf.matmul(x, tf.constant(w1))), tf.constant(w2[:, None])))
    penalty = value(losses.gradient_penalty(tape.gradient(total, x)))
    h, x0 = 1e-6, x.numpy()
    numeric = np.stack([(critic(x0 + h * e) - critic(x0 - h * e)) / (2 * h) for e in np.eye(3)], axis=1)
    assert penalty == pytest.approx(np.mean((np.linalg.norm(numeric, axis=1) - 1) ** 2), rel=1e-6)


def test_gradient_penalty_has_no_nan_at_a_zero_gradient():
    gradients = tf.Variable(np.zeros((4, 2, 2)))
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(gradients)
    assert value(penalty) == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.isfinite(value(tape.gradient(penalty, gradients))))


def test_gaussian_kl_closed_form_values():
    zeros = np.zeros((3, 4))
    np.testing.assert_allclose(value(losses.gaussian_kl(zeros, zeros)), 0.0, atol=1e-12)
    mean = np.array([[1.0, -2.0, 0.5]])
    assert value(losses.gaussian_kl(mean, np.zeros_like(mean)))[0] == pytest.approx(0.5 * np.sum(mean**2))


def test_gaussian_kl_agrees_with_monte_carlo():
    rng = np.random.default_rng(1)
    mean, log_var = rng.normal(size=(1, 5)), rng.normal(size=(1, 5)) * 0.5
    z = mean + np.exp(0.5 * log_var) * rng.normal(size=(200000, 5))
    log_q = value(losses.log_normal_diag(z, np.broadcast_to(mean, z.shape), np.broadcast_to(log_var, z.shape)))
    log_p = value(losses.log_normal_diag(z, np.zeros_like(z), np.zeros_like(z)))
    samples = log_q - log_p
    stderr = samples.std() / np.sqrt(len(samples))
    assert abs(samples.mean() - value(losses.gaussian_kl(mean, log_var))[0]) < 4 * stderr


def test_bernoulli_log_likelihood_is_minus_binary_cross_entropy():
    rng = np.random.default_rng(2)
    x = (rng.random((4, 28, 28, 1)) < 0.3).astype(np.float32)
    logits = rng.normal(size=x.shape).astype(np.float32) * 4
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))
    np.testing.assert_allclose(value(losses.bernoulli_log_likelihood(x, logits)), expected, rtol=1e-4)


def test_gaussian_log_likelihood_with_fixed_variance_is_scaled_mse():
    rng = np.random.default_rng(3)
    x, mean = rng.normal(size=(5, 10)), rng.normal(size=(5, 10))
    var = 0.5
    expected = -np.sum((x - mean) ** 2, axis=1) / (2 * var) - 10 / 2 * np.log(2 * np.pi * var)
    np.testing.assert_allclose(value(losses.gaussian_log_likelihood(x, mean, np.log(var))), expected)


def test_linear_gaussian_elbo_is_a_bound_tight_at_the_posterior():
    model = LinearGaussian.random(d=6, k=2, seed=0)
    x = model.sample(5, seed=1)
    post_mean, post_cov = model.posterior(x)
    np.testing.assert_allclose(model.elbo(x, post_mean, post_cov), model.log_marginal(x), rtol=1e-10)
    worse = model.elbo(x, post_mean + 0.3, post_cov * 2.0)
    assert np.all(worse < model.log_marginal(x))


def test_importance_weighted_bound_matches_exact_marginal_and_grows_with_k():
    model = LinearGaussian.random(d=6, k=2, seed=0)
    x = model.sample(20, seed=2)
    post_mean, post_cov = model.posterior(x)
    exact = model.log_marginal(x)
    log_var = np.log(np.broadcast_to(np.diag(post_cov), post_mean.shape))
    bounds = [value(losses.importance_weighted_bound(model.log_weights(x, post_mean * 0.5, log_var, k, seed=3))).mean()
              for k in (1, 10, 100, 1000)]
    assert all(a < b for a, b in zip(bounds, bounds[1:])), bounds
    assert bounds[-1] <= exact.mean() + 1e-3
    assert exact.mean() - bounds[-1] < 0.1 * (exact.mean() - bounds[0])


def test_importance_weighted_bound_is_exact_with_the_true_posterior():
    model = LinearGaussian.with_diagonal_posterior(seed=4)
    x = model.sample(10, seed=5)
    post_cov = model.posterior(x)[1]
    assert np.allclose(post_cov, np.diag(np.diag(post_cov)))  # diagonal, so a diagonal q can match it
    post_mean, log_var = model.diagonal_posterior(x)
    bound = value(losses.importance_weighted_bound(model.log_weights(x, post_mean, log_var, 5, seed=6)))
    np.testing.assert_allclose(bound, model.log_marginal(x), rtol=1e-9)


def test_importance_weighted_bound_is_stable_for_huge_log_weights():
    log_w = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]])
    np.testing.assert_allclose(value(losses.importance_weighted_bound(log_w)), [1000.0, -1000.0])


@pytest.mark.parametrize("call, message", [
    (lambda: losses.gaussian_kl(np.zeros((2, 3)), np.zeros((2, 4))), "gaussian_kl"),
    (lambda: losses.bernoulli_log_likelihood(np.zeros((2, 28, 28, 1)), np.zeros((2, 784))), "bernoulli"),
    (lambda: losses.importance_weighted_bound(np.zeros(5)), r"\(batch, K\)"),
    (lambda: losses.elbo(np.zeros(3), np.zeros(4)), "elbo"),
])
def test_bad_shapes_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
