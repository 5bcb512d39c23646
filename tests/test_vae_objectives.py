"""Notebook 08's VAE objectives: importance-weighted (IWAE) training and the learned mixture-of-Gaussians prior."""

import numpy as np
import pytest

from course_utils import compare, losses, metrics, priors, training, vae

trapezoid = getattr(np, "trapezoid", None) or np.trapz  # NumPy 2 renamed it; the oldest allowed NumPy is 1.24


def _mixture(latent_dim=1, components=3, seed=0):
    """A MixturePrior with unequal weights, spread-out means and unequal variances."""
    prior = priors.MixturePrior(latent_dim, components, seed=seed)
    rng = np.random.default_rng(seed + 10)
    prior.means.assign(rng.normal(0, 2, prior.means.shape))
    prior.log_vars.assign(rng.normal(0, 0.7, prior.log_vars.shape))
    prior.logits.assign(rng.normal(0, 1, prior.logits.shape))
    return prior


# --- the learned prior ------------------------------------------------------------------


def test_the_mixtures_density_integrates_to_one_in_one_dimension():
    grid = np.linspace(-25, 25, 200001)[:, None]
    density = np.exp(np.asarray(_mixture().log_prob(grid)))
    assert trapezoid(density, grid[:, 0]) == pytest.approx(1.0, abs=1e-6)


def test_one_standard_component_is_the_standard_normal_prior():
    prior = priors.MixturePrior(4, 1, spread=0.0)
    z = np.random.default_rng(0).normal(size=(50, 4))
    expected = losses.log_normal_diag(z, np.zeros_like(z), np.zeros_like(z))
    np.testing.assert_allclose(prior.log_prob(z), expected, rtol=1e-12)


def test_the_mixture_is_the_weighted_sum_of_its_gaussians():
    prior = _mixture(latent_dim=2, components=3)
    z = np.random.default_rng(1).normal(size=(20, 2))
    weights = np.exp(np.asarray(prior.logits, np.float64))
    weights /= weights.sum()
    means, log_vars = np.asarray(prior.means, np.float64), np.asarray(prior.log_vars, np.float64)
    by_hand = sum(w * np.exp(losses.log_normal_diag(z, np.broadcast_to(m, z.shape), np.broadcast_to(v, z.shape)))
                  for w, m, v in zip(weights, means, log_vars))
    np.testing.assert_allclose(np.exp(prior.log_prob(z)), by_hand, rtol=1e-10)


def test_samples_follow_the_mixture():
    prior = _mixture(latent_dim=1, components=3)
    z = prior.sample(200000, seed=3)[:, 0]
    weights = np.exp(np.asarray(prior.logits, np.float64))
    weights /= weights.sum()
    means, variances = np.asarray(prior.means)[:, 0], np.exp(np.asarray(prior.log_vars))[:, 0]
    mean = weights @ means
    variance = weights @ (variances + means**2) - mean**2
    assert z.mean() == pytest.approx(mean, abs=4 * np.sqrt(variance / len(z)))
    assert z.var() == pytest.approx(variance, rel=0.02)
    assert z.dtype == np.float32 and np.array_equal(z, prior.sample(200000, seed=3)[:, 0])


def test_the_kl_estimate_against_a_learned_prior_agrees_with_quadrature(small_vae):
    """KL(q || p) for q = N(0.7, 0.5^2) and a 1-D mixture p: the VAE's one-sample estimate, averaged over many
    draws, against the integral of q log(q / p) on a fine grid."""
    prior = _mixture()
    model = small_vae(latent=1, prior=prior)
    n, mean, log_var = 200000, 0.7, 2 * np.log(0.5)
    means, log_vars = np.full((n, 1), mean), np.full((n, 1), log_var)
    z = means + 0.5 * np.random.default_rng(4).standard_normal((n, 1))
    x, logits = np.zeros((1, 28, 28, 1)), np.zeros((1, 28, 28, 1))
    _, kl, per_dimension = model._terms(x, means, log_vars, z, logits, prior)
    grid = np.linspace(-6, 8, 100001)[:, None]
    log_q = losses.log_normal_diag(grid, np.full_like(grid, mean), np.full_like(grid, log_var))
    quadrature = trapezoid(np.exp(log_q) * (log_q - np.asarray(prior.log_prob(grid))), grid[:, 0])
    spread = np.std(np.asarray(losses.log_normal_diag(z, means, log_vars) - prior.log_prob(z))) / np.sqrt(n)
    assert float(kl) == pytest.approx(quadrature, abs=4 * spread) and per_dimension is None
    assert abs(quadrature - float(np.mean(losses.gaussian_kl(means, log_vars)))) > 20 * spread, \
        "the closed-form KL against N(0, 1) would have passed"


def test_a_vae_with_a_learned_prior_trains_saves_and_reloads(small_vae, binary_images, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))

    def make():
        return small_vae(prior=priors.MixturePrior(4, 3, seed=0), ema_decay=0.9)

    model, x = make(), binary_images(64)
    start = model.prior.get_weights()
    history, folder = training.fit_or_load(model, "prior", x, epochs=2, batch_size=32, verbose=0)
    assert set(model.parts) == {"encoder", "decoder", "prior", "encoder_ema", "decoder_ema", "prior_ema"}
    assert not np.allclose(model.prior.get_weights()[0], start[0]), "the prior is trained"
    assert model.eval_prior is model.prior_ema
    assert not np.allclose(model.prior_ema.get_weights()[0], model.prior.get_weights()[0]), "the average lags"
    assert model.settings["prior"] == {"class": "MixturePrior", "components": 3}
    again = make()
    _, same_folder = training.fit_or_load(again, "prior", x, epochs=2, batch_size=32, verbose=0)
    assert same_folder == folder
    np.testing.assert_array_equal(again.sample_prior(10, seed=1), model.sample_prior(10, seed=1))
    assert not np.array_equal(again.sample_prior(10, seed=1), make().sample_prior(10, seed=1))


def test_the_nll_is_scored_under_the_learned_prior(small_vae, binary_images):
    x = binary_images(8)
    model = small_vae(prior=_mixture(latent_dim=4, components=3))
    own = metrics.test_nll(model, x, k=50)
    under_prior = -metrics.iw_log_likelihood(model.encode, model.decode, x, k=50, log_prior=model.prior.log_prob)
    standard = -metrics.iw_log_likelihood(model.encode, model.decode, x, k=50)
    assert own.nll == pytest.approx(under_prior.mean(), rel=1e-12)
    # the same seed draws the same z for both: they differ by log p(z) alone
    assert abs(own.nll - standard.mean()) > 0.1, "scored under N(0, I) instead of the model's prior"
    # a prior of one standard component scores what N(0, I) scores
    model.prior = priors.MixturePrior(4, 1, spread=0.0)
    assert metrics.test_nll(model, x, k=50).nll == pytest.approx(standard.mean(), rel=1e-12)


def test_the_standard_prior_samples_are_the_comparisons_draws(small_vae):
    expected = np.random.default_rng(5).normal(size=(7, 4)).astype(np.float32)
    np.testing.assert_array_equal(small_vae().sample_prior(7, seed=5), expected)


# --- importance-weighted training ----------------------------------------------------------------------


@pytest.mark.parametrize("prior", [None, "mixture"])
def test_the_iw_bound_is_the_elbo_at_one_sample_and_rises_with_k(prior, small_vae, binary_images):
    """On a fixed (untrained) model and a fixed image, each bound's mean over many draws, with its standard error:
    k = 1 is the ELBO (closed-form KL against N(0, I), or the prior's estimate), and the bound rises with k (Burda
    et al. 2016, Theorem 1)."""
    model = small_vae(prior=_mixture(latent_dim=4) if prior else None)
    x = np.repeat(binary_images(1), 400, axis=0)

    def bound(k, repeats=8):
        draws = [model._importance_weighted(x, model.encoder, model.decoder, model.prior, False, k=k)
                 for _ in range(repeats)]
        bounds = [float(b) for *_, b in draws]
        elbo = -np.mean([float(r) + float(kl) for r, kl, _ in draws])
        return np.mean(bounds), np.std(bounds, ddof=1) / np.sqrt(repeats), elbo

    (b1, se1, elbo), (b5, se5, _), (b50, se50, _) = bound(1), bound(5), bound(50, repeats=4)
    assert b1 == pytest.approx(elbo, abs=3 * se1)
    assert b5 - b1 > 3 * np.hypot(se1, se5) and b50 - b5 > 3 * np.hypot(se5, se50)


def test_iw_training_minimises_the_bound_and_logs_it(small_vae, binary_images):
    model, x = small_vae(iw_samples=5), binary_images(64)
    logs = model.train_on_batch(x, return_dict=True)
    assert logs["loss"] == pytest.approx(-logs["iw_bound"], rel=1e-6)
    assert model.settings["iw_samples"] == 5
    scores = model.evaluate(binary_images(256, seed=1), batch_size=256, verbose=0, return_dict=True)
    assert scores["iw_bound"] > scores["elbo"], "five samples bound log p(x) more tightly than one"
    before = model.evaluate(x, batch_size=64, verbose=0, return_dict=True)["iw_bound"]
    for _ in range(10):
        model.train_on_batch(x)
    assert model.evaluate(x, batch_size=64, verbose=0, return_dict=True)["iw_bound"] > before


def test_one_importance_sample_is_todays_training(small_vae, binary_images):
    x = binary_images(64)
    default, one = small_vae(), small_vae(iw_samples=1)
    for model in (default, one):
        model.fit(x, batch_size=32, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(default.get_weights(), one.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "iw_samples" not in one.settings and "prior" not in one.settings and "iw_bound" not in one.trackers


def test_make_vae_builds_each_objective():
    model = vae.make_vae(latent_dim=4, width=4, iw_samples=5, prior_components=3)
    assert model.iw_samples == 5 and model.prior.components == 3 and model.prior_ema is not None
    assert vae.make_vae(latent_dim=4, width=4).prior is None


@pytest.mark.parametrize("options, message", [
    ({"iw_samples": 0}, "whole number >= 1"),
    ({"iw_samples": 2.5}, "whole number >= 1"),
    ({"iw_samples": 5, "beta": 4.0}, "beta=1"),
    ({"iw_samples": 5, "free_bits": 0.5}, "free_bits"),
    ({"iw_samples": 5, "kl_warmup_steps": 100}, "kl_warmup_steps"),
    ({"prior": "mixture", "free_bits": 0.5}, "closed-form KL"),
    ({"prior": "wrong size"}, "MixturePrior\\(latent_dim=4"),
])
def test_inconsistent_objectives_are_refused(options, message, small_vae):
    shown = {"mixture": priors.MixturePrior(4, 2), "wrong size": priors.MixturePrior(3, 2)}
    options = {name: shown.get(value, value) if name == "prior" else value for name, value in options.items()}
    with pytest.raises(ValueError, match=message):
        small_vae(**options)


@pytest.mark.parametrize("call, message", [
    (lambda: vae.make_vae(prior_components=-1), "whole number"),
    (lambda: priors.MixturePrior(4, 0), "components >= 1"),
    (lambda: priors.MixturePrior(4, 2).log_prob(np.zeros((3, 5))), r"shape \(batch, 4\)"),
])
def test_bad_prior_settings_get_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_samples_for_the_comparison_come_from_the_models_own_prior(small_vae):
    model = small_vae(prior=_mixture(latent_dim=4))
    images, _ = compare.sample(model.decode_means, 4, 6, seed=2, draw_latents=model.sample_prior)
    np.testing.assert_allclose(images, model.decode_means(model.prior.sample(6, seed=2)), rtol=1e-6)
    standard, _ = compare.sample(model.decode_means, 4, 6, seed=2)
    assert not np.allclose(images, standard), "drawn from N(0, I), not the learned prior"
