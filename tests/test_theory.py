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

    # alternating play is bounded only for lr < 2: at lr = 2 the distance grows linearly, beyond it exponentially
    for lr in (1.0, 1.9):
        path = theory_gan.gradient_play(1.0, 0.0, lr, 400, alternating=True)
        assert np.linalg.norm(path, axis=1).max() <= 1 / np.sqrt(1 - lr / 2) + 1e-9  # the ellipse's major axis
    at_two = np.linalg.norm(theory_gan.gradient_play(1.0, 0.0, 2.0, 400, alternating=True), axis=1)
    assert at_two[400] > 1.9 * at_two[200] > 100
    assert np.linalg.norm(theory_gan.gradient_play(1.0, 0.0, 2.1, 200, alternating=True)[-1]) > 1e50


def test_mode_metrics_on_real_and_collapsed_samples():
    centres = theory_gan.ring_centres()
    real = theory_gan.sample_ring(4000, std=0.05, seed=0)
    assert theory_gan.mode_metrics(real, centres, 0.05)["modes_covered"] == 8
    assert theory_gan.mode_metrics(real, centres, 0.05)["high_quality"] > 0.98
    collapsed = centres[3] + 0.05 * np.random.default_rng(0).normal(size=(1000, 2))
    assert theory_gan.mode_metrics(collapsed, centres, 0.05)["modes_covered"] == 1
    with pytest.raises(ValueError, match="shape"):
        theory_gan.mode_metrics(np.zeros((5, 3)), centres, 0.05)


def test_mode_coverage_counts_against_all_samples_not_the_good_ones():
    """A generator that puts 1,992 of 2,000 samples far from every mode and one on each mode covers none;
    the old rule (1% of the *good* samples, at least one) would have counted all eight."""
    centres = theory_gan.ring_centres()
    stray = np.concatenate([centres, np.zeros((1992, 2))])  # the origin is 2 from every centre
    metrics = theory_gan.mode_metrics(stray, centres, 0.05)
    assert metrics["per_mode"].tolist() == [1] * 8 and metrics["threshold"] == 20
    assert metrics["modes_covered"] == 0
    assert theory_gan.mode_metrics(stray, centres, 0.05, min_share=0.0)["modes_covered"] == 8  # VEEGAN's rule
    # exactly 1% of all samples on one mode covers it; one sample fewer does not
    on_mode_2 = np.concatenate([np.repeat(centres[[2]], 20, axis=0), np.zeros((1980, 2))])
    assert theory_gan.mode_metrics(on_mode_2, centres, 0.05)["modes_covered"] == 1
    assert theory_gan.mode_metrics(on_mode_2[1:], centres, 0.05)["modes_covered"] == 0


def test_run_summary_reports_coverage_quality_and_evenness():
    centres = theory_gan.ring_centres()
    early = theory_gan.mode_metrics(np.zeros((100, 2)), centres, 0.05)
    late = theory_gan.mode_metrics(np.repeat(centres, [10, 10, 10, 10, 10, 10, 10, 30], axis=0), centres, 0.05)
    line = theory_gan.run_summary("run", [early, late], [0.4, 0.45], early=1)
    assert "modes covered per epoch 0 8" in line
    assert "epochs 1-1: high quality at most 0%, modes covered at most 0;" in line
    assert "8/8 modes, 100% high quality, per-mode counts 10 to 30 (ratio 3.0)" in line
    assert "0.40 to 0.45" in line


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


def test_the_score_function_can_beat_the_pathwise_estimator():
    """Not a law: for a rapidly oscillating f the pathwise variance grows with f's slope (here up to 20^2)."""
    import tensorflow as tf

    mu, sigma, n = 1.5, 0.8, 100000
    path = theory_vae.pathwise_gradients(lambda z: tf.sin(20 * z), mu, sigma, n, seed=0)
    score = theory_vae.score_function_gradients(lambda z: tf.sin(20 * z), mu, sigma, n, seed=1)
    exact = 20 * np.cos(20 * mu) * np.exp(-200 * sigma**2)  # d/dmu E sin(20 z) = 20 cos(20 mu) e^{-200 sigma^2}
    assert path.mean() == pytest.approx(exact, abs=4 * path.std() / np.sqrt(n))
    assert score.mean() == pytest.approx(exact, abs=4 * score.std() / np.sqrt(n))
    assert score.var() < 1 / sigma**2 and path.var() > 100 * score.var()  # |score term| <= |z - mu| / sigma^2


def test_gaussian_weights_bounded_iff_the_proposal_is_wider():
    target = np.array([[1.0, -0.6], [-0.6, 1.0]])
    assert theory_vae.gaussian_weights_bounded(target, 1.5 * np.eye(2) + 0.6 * np.eye(2))
    assert not theory_vae.gaussian_weights_bounded(target, np.diag(np.diag(target)))  # drops the correlation
    assert not theory_vae.gaussian_weights_bounded(target, target)  # equal: bounded only if the means agree
    # brute force: along the worst direction the log-ratio grows without bound for the diagonal proposal
    q = np.diag(np.diag(target))
    direction = np.linalg.eigh(q - target)[1][:, 0]
    log_ratio = lambda z: -0.5 * z @ (np.linalg.inv(target) - np.linalg.inv(q)) @ z
    assert log_ratio(100 * direction) > 10 * log_ratio(10 * direction) > 0


def _central_difference(f, t, h=1e-4):
    return (f(t + h) - f(t - h)) / (2 * h)


@pytest.mark.parametrize("mu0, s0", [(0.5, 0.8), (2.0, 1.3), (-1.0, 1.0)])
def test_fixed_d_gradients_match_kl_minus_2jsd_and_2jsd(mu0, s0):
    """Arjovsky & Bottou (2017), Thm 2.5, on Gaussians: two ways to each gradient, and the divergences'."""
    x, dx = np.linspace(-20, 20, 40001, retstep=True)
    grads = theory_gan.fixed_d_gradients(mu0, s0, x, dx)
    for name in ("nonsaturating", "saturating"):  # analytic (score under the integral) vs finite differences
        by_mu = _central_difference(lambda m, name=name: theory_gan.fixed_d_losses(m, s0, mu0, s0, x, dx)[name], mu0)
        by_s = _central_difference(lambda s, name=name: theory_gan.fixed_d_losses(mu0, s, mu0, s0, x, dx)[name], s0)
        np.testing.assert_allclose(grads[name], [by_mu, by_s], atol=1e-7)
    potential = [_central_difference(lambda m: theory_gan.nonsaturating_potential(m, s0, x, dx), mu0),
                 _central_difference(lambda s: theory_gan.nonsaturating_potential(mu0, s, x, dx), s0)]
    two_jsd = [_central_difference(lambda m: 2 * theory_gan.gaussian_divergences(m, s0, x, dx)["jsd"], mu0),
               _central_difference(lambda s: 2 * theory_gan.gaussian_divergences(mu0, s, x, dx)["jsd"], s0)]
    np.testing.assert_allclose(grads["nonsaturating"], potential, atol=1e-7)
    np.testing.assert_allclose(grads["saturating"], two_jsd, atol=1e-7)
    # their sum is the gradient of KL(N(mu, s^2) || N(0, 1)) = (mu^2 + s^2 - 1) / 2 - log s
    np.testing.assert_allclose(grads["nonsaturating"] + grads["saturating"], [mu0, s0 - 1 / s0], atol=1e-9)


def test_gaussian_divergences_against_closed_forms_and_the_value_identity():
    x, dx = np.linspace(-20, 20, 40001, retstep=True)
    mu, s = 1.5, 0.7
    div = theory_gan.gaussian_divergences(mu, s, x, dx)
    assert div["kl_g_data"] == pytest.approx((mu**2 + s**2 - 1) / 2 - np.log(s), abs=1e-10)
    assert div["kl_data_g"] == pytest.approx(np.log(s) + (1 + mu**2) / (2 * s**2) - 0.5, abs=1e-10)
    p, q = theory_gan.gaussian_pdf(x), theory_gan.gaussian_pdf(x, mu, s)
    assert div["jsd"] == pytest.approx(theory_gan.jsd(p, q, dx), abs=1e-10)
    # as a value, E_pg[-log D*] = log 2 + KL(p_g || p_data) - KL(p_g || m), not KL - 2 JSD + a constant
    ns = theory_gan.fixed_d_losses(mu, s, mu, s, x, dx)["nonsaturating"]
    assert ns == pytest.approx(np.log(2) + div["kl_g_data"] - div["kl_g_m"], abs=1e-10)
    assert ns - theory_gan.nonsaturating_potential(mu, s, x, dx) == pytest.approx(np.log(2) + div["kl_data_m"])
    sat = theory_gan.fixed_d_losses(mu, s, mu, s, x, dx)["saturating"]
    assert sat == pytest.approx(theory_gan.value(theory_gan.optimal_discriminator(p, q), p, q, dx)
                                - np.sum(p * np.log(theory_gan.optimal_discriminator(p, q))) * dx, abs=1e-9)


def test_alternating_play_conserves_a_tilted_quadratic():
    lr = 0.3
    path = theory_gan.gradient_play(0.6, -0.8, lr, 200, alternating=True)
    h = path[:, 0] ** 2 + path[:, 1] ** 2 - lr * path[:, 0] * path[:, 1]
    np.testing.assert_allclose(h, h[0], rtol=1e-12)


def test_beta_objective_is_a_bound_for_beta_at_least_one():
    model = LinearGaussian.random(d=5, k=2, seed=4)
    x = model.sample(200, seed=5)
    log_px = model.log_marginal(x)
    for beta in (1.0, 2.0):
        assert np.all(model.beta_objective(x, *model.beta_optimal_q(x, beta), beta) <= log_px + 1e-9)
    # below 1 the optimum beats log p(x) by at least (1 - beta) KL(posterior || prior)
    post = model.posterior(x)
    excess = model.beta_objective(x, *model.beta_optimal_q(x, 0.5), 0.5) - log_px
    assert np.all(excess >= 0.5 * model.rate_distortion(x, *post)[0] - 1e-9)
    np.testing.assert_allclose(model.beta_objective(x, *post, 1.0), model.elbo(x, *post))


def test_rate_is_mutual_information_plus_marginal_kl():
    model = LinearGaussian.random(d=5, k=2, seed=6)
    gain, cov = model.beta_optimal_encoder(2.0)
    info = model.encoder_information(gain, cov)
    assert info["rate"] == pytest.approx(info["mutual_information"] + info["marginal_kl"], abs=1e-12)
    assert info["marginal_kl"] > 1e-4
    # Monte Carlo: the average per-x rate, and I_q = E log q(z|x) - log q(z), over x ~ p(x), z ~ q(z|x)
    n = 200000
    x = model.sample(n, seed=7)
    q_mean = (x - model.b) @ gain.T
    rate = model.rate_distortion(x, q_mean, cov)[0]
    assert rate.mean() == pytest.approx(info["rate"], abs=4 * rate.std() / np.sqrt(n))
    z = q_mean + np.random.default_rng(8).normal(size=q_mean.shape) @ np.linalg.cholesky(cov).T

    def log_normal(z, mean, c):
        diff = z - mean
        return -0.5 * (np.einsum("nk,kl,nl->n", diff, np.linalg.inv(c), diff) + np.linalg.slogdet(2 * np.pi * c)[1])

    mi = log_normal(z, q_mean, cov) - log_normal(z, 0.0, info["aggregate_cov"])
    assert mi.mean() == pytest.approx(info["mutual_information"], abs=4 * mi.std() / np.sqrt(n))
    # at beta = 1 the encoder is the posterior and the aggregate posterior is the prior: no gap
    exact = model.encoder_information(*model.beta_optimal_encoder(1.0))
    np.testing.assert_allclose(exact["aggregate_cov"], np.eye(2), atol=1e-12)
    assert exact["marginal_kl"] == pytest.approx(0.0, abs=1e-12)
    for got, want in zip(model.beta_optimal_q(x[:5], 1.0), model.posterior(x[:5])):
        np.testing.assert_allclose(got, want, rtol=1e-10)


@pytest.mark.parametrize("mu, s, expected", [(3.0, 1.0, 3.0), (-1.5, 1.0, 1.5), (0.0, 2.0, np.sqrt(2 / np.pi)),
                                             (0.0, 0.5, 0.5 * np.sqrt(2 / np.pi))])
def test_wasserstein_1_of_gaussians_matches_its_closed_form(mu, s, expected):
    """A shift by mu moves every unit of mass |mu|; a scaling by s moves x to s x, at cost |1 - s| E|x|."""
    x = np.linspace(-15, 15, 30001)
    dx = x[1] - x[0]
    p, q = theory_gan.gaussian_pdf(x), theory_gan.gaussian_pdf(x, mu, s)
    assert theory_gan.wasserstein_1(p, q, dx) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("mu", [0.5, 4.0, 12.0])
def test_the_optimal_critic_is_1_lipschitz_attains_w1_and_keeps_its_slope_where_d_star_saturates(mu):
    x = np.linspace(-20, 30, 50001)
    dx = x[1] - x[0]
    p, q = theory_gan.gaussian_pdf(x), theory_gan.gaussian_pdf(x, mu, 1.0)
    f = theory_gan.optimal_critic(p, q, dx)
    assert np.max(np.abs(np.diff(f))) <= dx * (1 + 1e-9)
    assert np.sum(f * (p - q)) * dx == pytest.approx(theory_gan.wasserstein_1(p, q, dx), rel=1e-4)
    between = (x > 0) & (x < mu)  # data on the left, samples on the right: f falls with slope -1 between them
    assert np.allclose(np.diff(f)[between[:-1]] / dx, -1.0)
    d_star_slope = np.abs(np.gradient(theory_gan.optimal_discriminator(p, q), dx))[np.argmin(np.abs(x - mu))]
    assert (d_star_slope < 1e-6) == (mu >= 12.0)  # at the samples D* is flat once the densities stop overlapping


def test_wasserstein_1_refuses_densities_on_different_grids():
    with pytest.raises(ValueError, match="same grid"):
        theory_gan.wasserstein_1(np.ones(5), np.ones(6), 0.1)
