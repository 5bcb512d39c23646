"""The helpers behind notebooks 01 and 02, checked against closed forms."""

import numpy as np
import pytest

from course_utils import theory_gan, theory_vae
from course_utils.theory_vae import LinearGaussian


def test_optimal_discriminator_and_jsd_identity():
    x, dx = np.linspace(-12, 12, 24001, retstep=True)
    p, q = theory_gan.gaussian_pdf(x), theory_gan.gaussian_pdf(x, 1.3, 0.8)
    c = theory_gan.value(theory_gan.optimal_discriminator(p, q), p, q, dx)
    assert c == pytest.approx(-np.log(4) + 2 * theory_gan.jsd(p, q, dx), abs=1e-9)
    # D* beats any other discriminator
    assert c > theory_gan.value(np.full_like(x, 0.5), p, q, dx)
    assert theory_gan.jsd(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(np.log(2))


def test_gradient_play_spirals_out_or_cycles():
    sim = theory_gan.gradient_play(1.0, 0.0, 0.1, 100)
    alt = theory_gan.gradient_play(1.0, 0.0, 0.1, 100, alternating=True)
    assert np.linalg.norm(sim[-1]) == pytest.approx(1.01 ** 50)
    assert np.linalg.norm(alt, axis=1).max() < 1.1


def test_mode_metrics_on_real_and_collapsed_samples():
    centres = theory_gan.ring_centres()
    real = theory_gan.sample_ring(4000, std=0.05, seed=0)
    assert theory_gan.mode_metrics(real, centres, 0.05)["modes_covered"] == 8
    assert theory_gan.mode_metrics(real, centres, 0.05)["high_quality"] > 0.98
    collapsed = centres[3] + 0.05 * np.random.default_rng(0).normal(size=(1000, 2))
    assert theory_gan.mode_metrics(collapsed, centres, 0.05)["modes_covered"] == 1
    with pytest.raises(ValueError, match="shape"):
        theory_gan.mode_metrics(np.zeros((5, 3)), centres, 0.05)


def test_elbo_plus_kl_to_posterior_is_log_marginal():
    model = LinearGaussian.random(d=5, k=3, seed=1)
    x = model.sample(4, seed=2)
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 3))
    q_mean, q_cov = rng.normal(size=(4, 3)), a @ a.T + 0.1 * np.eye(3)
    np.testing.assert_allclose(model.elbo(x, q_mean, q_cov) + model.kl_to_posterior(x, q_mean, q_cov),
                               model.log_marginal(x), rtol=1e-10)


def test_beta_one_optimum_is_the_posterior_and_beta_trades_rate_for_distortion():
    model = LinearGaussian.random(d=5, k=2, seed=1)
    x = model.sample(50, seed=2)
    for got, want in zip(model.beta_optimal_q(x, 1.0), model.posterior(x)):
        np.testing.assert_allclose(got, want, rtol=1e-10)
    rates, distortions = zip(*[(r.mean(), d.mean()) for r, d in
                               (model.rate_distortion(x, *model.beta_optimal_q(x, b)) for b in (0.25, 1, 4))])
    assert rates[0] > rates[1] > rates[2] and distortions[0] < distortions[1] < distortions[2]


def test_pathwise_and_score_function_agree_in_mean_pathwise_has_lower_variance():
    f = lambda z: z**2  # E[z^2] = mu^2 + sigma^2, derivative 2 mu
    mu, sigma = 1.5, 0.8
    path = theory_vae.pathwise_gradients(f, mu, sigma, 100000, seed=0)
    score = theory_vae.score_function_gradients(f, mu, sigma, 100000, seed=1)
    assert path.mean() == pytest.approx(2 * mu, abs=4 * path.std() / 300)
    assert score.mean() == pytest.approx(2 * mu, abs=4 * score.std() / 300)
    assert path.var() == pytest.approx(4 * sigma**2, rel=0.02)  # Var[2(mu + sigma eps)]
    assert score.var() > 5 * path.var()
