"""Build it yourself: the checks of the exercises in which a learner writes the core of each model.

Each exercise is a stub in a notebook (the learner's function or layer, which raises ``NotImplementedError`` until
it is written) and a ``check_<exercise>`` here that runs it on fixed inputs and seeds beside the course's own
implementation, in the style of CS231n: the relative error, and a message that says what is off -- for the usual
mistakes, which one it looks like.  A checked answer is then *used*, by the switch ``MY_CODE`` in the notebook's
parameters cell:

- ``gan_update`` (notebook 04), the course's ``gan.GAN.adversarial_update``: trains the DCGAN
  (``gan.make_gan(update=...)``);
- ``fid`` (04), ``metrics.fid``: scores that DCGAN beside ``metrics.evaluate``;
- ``sampling`` (05), ``vae.Sampling``: the VAE's reparameterization (``vae.make_vae(sampling=...)``);
- ``negative_elbo`` (05), the Bernoulli likelihood and closed-form KL of ``losses``: the VAE's training loss
  (``vae.make_vae(negative_elbo=...)``);
- ``iw_bound`` (05), ``losses.importance_weighted_bound``: the test NLL (``metrics.test_nll(bound=...)``).

Each check prints its verdict and returns True when the answer agrees with the course's; an unwritten stub is
reported as "not attempted yet", so a notebook still runs top to bottom.  ``tests/test_build_your_own.py`` checks
that each check passes the course's own code and fails plausible wrong versions.
"""

from __future__ import annotations

import re

import numpy as np
import tensorflow as tf
from keras import ops

from course_utils import gan, losses, metrics
from course_utils.exercises import relative_error


def _not_attempted(name: str, error: NotImplementedError) -> bool:
    """Reports an unwritten stub by its own message (Keras wraps a layer's error in its call arguments and
    terminal colour codes: those lines are left out)."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(error).splitlines()]
    message = next((line for line in lines if "not yet implemented" in line), lines[0] if lines else "")
    print(f"{name}: not attempted yet ({message})")
    return False


def _off(name: str, what: str) -> bool:
    print(f"{name}: off -- {what}")
    return False


def _correct(name: str, error: float, rtol: float) -> bool:
    print(f"{name}: correct (relative error {error:.1e} <= {rtol:.0e})")
    return True


def _compare(name: str, got, expected, rtol: float, mistakes: dict[str, np.ndarray], hint: str) -> bool:
    """The verdict on ``got`` against ``expected``: its shape, finiteness, relative error and, when it is off, the
    named mistake it reproduces (``mistakes``: what a wrong answer would return, by what is wrong)."""
    got = np.asarray(got, dtype=np.float64)
    if got.shape != np.shape(expected):
        return _off(name, f"shape {got.shape}, expected {np.shape(expected)} ({hint})")
    if not np.all(np.isfinite(got)):
        return _off(name, f"not finite ({got.ravel()[:3]}...): {hint}")
    error = relative_error(got, expected)
    if error <= rtol:
        return _correct(name, error, rtol)
    looks_like = [what for what, wrong in mistakes.items() if relative_error(got, wrong) <= rtol]
    diagnosis = f"it matches a known mistake: {looks_like[0]}" if looks_like else hint
    return _off(name, f"relative error {error:.2e} > {rtol:.0e}: got {got.ravel()[:3]}, expected "
                      f"{np.ravel(expected)[:3]}; {diagnosis}")


# --- notebook 04: the GAN's update and FID ----------------------------------------------------------------------

GAN_UPDATE_STEPS = 3
GAN_UPDATE_RTOL = 1e-2  # of the weights' change over the steps: float32 sums in another order stay far below it
GAN_RETURNED_RTOL = 1e-5  # of each value returned by the first step, before the two runs' weights can drift apart
GAN_RETURNED = ("d_loss (without the R1 penalty)", "g_loss", "the discriminator's logits of the real batch",
                "the discriminator's logits of the discriminator's fakes")


def _tiny_gan(update=None) -> gan.GAN:
    """A small course DCGAN (with R1, without weight averaging), the same weights and latents for every seed 0."""
    return gan.make_gan(latent_dim=8, g_width=8, d_width=8, seed=0, ema_decay=None, r1_weight=1.0, update=update)


def _change_error(yours, course, start) -> float:
    """|| your weights' change - the course's || / || the course's change ||, over all weights of a network."""
    difference = sum(float(np.sum((np.asarray(a) - np.asarray(b)) ** 2)) for a, b in zip(yours, course))
    change = sum(float(np.sum((np.asarray(b) - s) ** 2)) for b, s in zip(course, start))
    return float(np.sqrt(difference / max(change, 1e-30)))


D_HINT = ("check the discriminator's step: fakes from gan.generator(gan.sample_latent(batch), training=True) drawn "
          "first, real_logits and r1 from gan.real_logits_and_r1(real) inside the tape, "
          "losses.discriminator_loss(real_logits, fake_logits) + gan.r1_weight * r1, its gradient with respect to "
          "gan.discriminator.trainable_weights only, applied by gan.d_optimizer")
G_HINT = ("the discriminator's step matches, so check the generator's: *fresh* latents from gan.sample_latent "
          "(not the discriminator's fakes again), the updated discriminator's logits of "
          "gan.generator(z, training=True), losses.generator_loss_nonsaturating, its gradient with respect to "
          "gan.generator.trainable_weights only, applied by gan.g_optimizer")


def check_gan_update(gan_update, steps: int = GAN_UPDATE_STEPS) -> bool:
    """Run ``gan_update(gan, real)`` and the course's ``adversarial_update`` for ``steps`` steps from the same
    weights, latents and batch; compare the weights of each network and the returned losses."""
    name = "gan_update"
    real = ops.convert_to_tensor(np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32"))
    course, yours = _tiny_gan(), _tiny_gan()
    start = {part: [np.asarray(w) for w in getattr(course, part).trainable_weights]
             for part in ("discriminator", "generator")}
    for step in range(1, steps + 1):
        expected = [np.asarray(t) for t in course.adversarial_update(real)]
        try:
            got = gan_update(yours, real)
        except NotImplementedError as error:
            return _not_attempted(name, error)
        if not isinstance(got, tuple | list) or len(got) != 4:
            return _off(name, f"it returned {type(got).__name__}; return the tuple (d_loss, g_loss, real_logits, "
                              f"fake_logits)")
        for part, hint in (("discriminator", D_HINT), ("generator", G_HINT)):
            error = _change_error(getattr(yours, part).trainable_weights, getattr(course, part).trainable_weights,
                                  start[part])
            if error > GAN_UPDATE_RTOL:
                return _off(name, f"after step {step} the {part}'s weights differ from the course's (by {error:.1e} "
                                  f"of their change) -- {hint}")
        for what, value, value_expected in zip(GAN_RETURNED, got, expected) if step == 1 else ():
            value_error = relative_error(np.asarray(value, np.float64), value_expected)
            if np.shape(value) != np.shape(value_expected) or value_error > GAN_RETURNED_RTOL:
                return _off(name, f"the weights match but the value returned in place of {what} does not (relative "
                                  f"error {value_error:.1e} > {GAN_RETURNED_RTOL:.0e}); return (d_loss, g_loss, "
                                  f"real_logits, fake_logits)")
    return _correct(name, error, GAN_UPDATE_RTOL)


def check_fid(fid) -> bool:
    """``fid(features_a, features_b)`` against ``metrics.fid`` on two fixed, correlated Gaussian feature sets."""
    rng = np.random.default_rng(4)
    mix_a, mix_b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    a = rng.normal(size=(600, 6)) @ mix_a
    b = rng.normal(size=(600, 6)) @ mix_b + 0.5
    try:
        got = fid(a, b)
    except NotImplementedError as error:
        return _not_attempted("fid", error)
    mu = np.sum((a.mean(0) - b.mean(0)) ** 2)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    variances = np.sum((np.sqrt(np.diag(cov_a)) - np.sqrt(np.diag(cov_b))) ** 2)
    expected = metrics.fid(a, b)
    mistakes = {
        "the mean term alone, without the covariance term": mu,
        "the covariance term without the matrix square root, Tr(Σa + Σb - 2 Σa Σb)": mu + np.trace(cov_a + cov_b
                                                                                                 - 2 * cov_a @ cov_b),
        "per-feature variances only (diagonal covariances)": mu + variances,
        "the square root of the FID (FID is the squared Fréchet distance)": np.sqrt(expected),
    }
    return _compare("fid", got, expected, 5e-3, mistakes,  # N or N - 1 in the covariance: both pass
                    "FID = ||mu_a - mu_b||² + Tr(Σa + Σb) - 2 Tr((Σa Σb)^½), where Tr((Σa Σb)^½) is the sum of the "
                    "square roots of the eigenvalues of Σa Σb (np.linalg.eigvals: real and >= 0 up to rounding)")


# --- notebook 05: the VAE's sampling layer, loss and bound ------------------------------------------------------

SAMPLING_HINT = "z = mean + exp(log_var / 2) * eps with eps = keras.random.normal(shape, seed=self.seed_generator)"


def _draw(sampling_layer, mean, log_var, seed: int = 0):
    """z from a new ``sampling_layer(seed=seed)`` and the gradients of sum(z) with respect to mean and log_var."""
    layer = sampling_layer(seed=seed)
    mean, log_var = ops.convert_to_tensor(mean), ops.convert_to_tensor(log_var)
    with tf.GradientTape() as tape:
        tape.watch([mean, log_var])
        z = layer([mean, log_var])
    return layer, z, tape.gradient(z, [mean, log_var])


def check_sampling(sampling_layer) -> bool:
    """``sampling_layer(seed=...)`` called on [mean, log_var]: z's gradients (the reparameterization), the noise's
    distribution, fresh noise at every call (inside a ``tf.function`` too, as ``fit`` runs it) and its seed."""
    name = "sampling"
    n = 20000
    mean = np.tile(np.float32([[0.5, -1.0]]), (n, 1))
    log_var = np.tile(np.float32([[np.log(0.25), np.log(4.0)]]), (n, 1))
    try:
        layer, z, (d_mean, d_log_var) = _draw(sampling_layer, mean, log_var)
    except NotImplementedError as error:
        return _not_attempted(name, error)
    z = np.asarray(z, np.float64)
    if z.shape != mean.shape:
        return _off(name, f"z has shape {z.shape}, expected {mean.shape}, the shape of mean")
    if d_mean is None or d_log_var is None:
        return _off(name, f"no gradient reaches {'mean' if d_mean is None else 'log_var'}: build z from mean and "
                          f"log_var with keras.ops ({SAMPLING_HINT})")
    if relative_error(d_mean, np.ones_like(mean)) > 1e-5:
        return _off(name, f"dz/dmean should be 1 everywhere, got {np.ravel(d_mean)[:2]}: {SAMPLING_HINT}")
    # relative to the whole vector: z - mean is rounded to float32, so its tiny entries have no relative precision
    error = float(np.linalg.norm(d_log_var - 0.5 * (z - mean)) / np.linalg.norm(0.5 * (z - mean)))
    if error > 1e-4:
        return _off(name, f"dz/dlog_var should be (z - mean) / 2 = sigma * eps / 2, got "
                          f"{np.ravel(d_log_var)[:2]} for z - mean = {np.ravel(z - mean)[:2]}: sigma = "
                          f"exp(log_var / 2) (exp(log_var) is the variance)")
    eps = (z - mean) / np.exp(0.5 * log_var)
    if np.max(np.abs(eps.mean(0))) > 0.05 or np.max(np.abs(eps.std(0) - 1)) > 0.05:
        return _off(name, f"the noise has mean {eps.mean(0).round(3)} and standard deviation {eps.std(0).round(3)}, "
                          f"not 0 and 1: draw it from a standard normal")
    # With 20,000 draws these statistics have standard errors below 0.01: a right layer fails them with probability
    # below one in a million.
    if abs(np.corrcoef(eps.T)[0, 1]) > 0.05:
        return _off(name, f"the two latent dimensions' noises are correlated ({np.corrcoef(eps.T)[0, 1]:.2f}): each "
                          f"dimension needs its own draw, eps of the shape of mean ({SAMPLING_HINT})")
    within_one = np.mean(np.abs(eps) < 1, axis=0)
    if np.max(np.abs(within_one - 0.6827)) > 0.02:
        return _off(name, f"{within_one.round(3)} of the noise lies within one standard deviation, where a standard "
                          f"normal puts 0.683: draw it from a normal, not another distribution ({SAMPLING_HINT})")
    draw = tf.function(lambda m, v: layer([m, v]))
    if np.allclose(draw(mean[:100], log_var[:100]), draw(mean[:100], log_var[:100])):
        return _off(name, "inside a tf.function (as fit runs it) two calls drew the same z: NumPy noise is drawn once, "
                          f"when the function is traced; {SAMPLING_HINT}")
    if not np.allclose(z[:100], np.asarray(_draw(sampling_layer, mean[:100], log_var[:100])[1])):
        return _off(name, f"two layers with the same seed drew different z: the run is not reproducible; "
                          f"{SAMPLING_HINT}")
    return _correct(name, error, 1e-4)


def _elbo_inputs(seed: int = 0, confident: bool = False):
    rng = np.random.default_rng(seed)
    x = (rng.uniform(size=(6, 28, 28, 1)) < 0.3).astype("float32")
    logits = rng.normal(0, 2, size=x.shape).astype("float32")
    if confident:  # a decoder sure of itself: ±40, right and wrong
        logits = np.where(rng.uniform(size=x.shape) < 0.5, 40.0, -40.0).astype("float32")
    return x, logits, rng.normal(size=(6, 4)).astype("float32"), rng.normal(0, 0.5, (6, 4)).astype("float32")


def check_negative_elbo(negative_elbo) -> bool:
    """``negative_elbo(x, logits, mean, log_var)``, one number per image in nats, against the course's
    -log p(x|z) (Bernoulli) + KL(q(z|x) || N(0, I)) (closed form), for ordinary and for confident logits."""
    name = "negative_elbo"
    hint = ("-ELBO = -sum over pixels of [x log sigmoid(l) + (1 - x) log(1 - sigmoid(l))] + KL, KL = ½ sum over z's "
            "dimensions of (mean² + exp(log_var) - 1 - log_var), one number per image")
    for confident in (False, True):
        x, logits, mean, log_var = _elbo_inputs(confident=confident)
        try:
            got = negative_elbo(x, logits, mean, log_var)
        except NotImplementedError as error:
            return _not_attempted(name, error)
        reconstruction = -np.asarray(losses.bernoulli_log_likelihood(x, logits), np.float64)
        kl_terms = np.asarray(losses.gaussian_kl_per_dimension(mean, log_var), np.float64)
        kl = kl_terms.sum(1)
        mistakes = {
            "the KL is missing": reconstruction,
            "the KL has the wrong sign (the ELBO subtracts it, so -ELBO adds it)": reconstruction - kl,
            "the ELBO itself, not its negative": -(reconstruction + kl),
            "the reconstruction averaged over the 784 pixels instead of summed": reconstruction / 784 + kl,
            "the KL averaged over z's dimensions instead of summed": reconstruction + kl_terms.mean(1),
            "the KL without its factor ½": reconstruction + 2 * kl,
        }
        stable = " (with logits of ±40: use the stable form x·l - softplus(l), or ops.binary_crossentropy with " \
                 "from_logits=True)" if confident else ""
        if not _compare(name, got, reconstruction + kl, 1e-4, mistakes, hint + stable):
            return False
    return True


def _iw_inputs():
    rng = np.random.default_rng(3)
    return {"log weights near -100 (K = 10)": rng.normal(-100, 3, (5, 10)),
            "log weights near -800 (K = 50), whose exp is 0 in float64": rng.normal(-800, 5, (5, 50))}


def check_iw_bound(iw_bound) -> bool:
    """``iw_bound(log_weights)`` of shape (images, K) -> (images,) against ``losses.importance_weighted_bound``,
    including log weights whose exponentials underflow in float64."""
    name = "iw_bound"
    for what, log_weights in _iw_inputs().items():
        try:
            got = iw_bound(log_weights)
        except NotImplementedError as error:
            return _not_attempted(name, error)
        expected = np.asarray(losses.importance_weighted_bound(log_weights), np.float64)
        k = log_weights.shape[1]
        mistakes = {"the mean of the log weights: that is the ELBO's estimate, below the bound": log_weights.mean(1),
                    f"log K = {np.log(k):.2f} too high: the log of the *sum* of the weights, not of their mean":
                        expected + np.log(k),
                    "the largest log weight alone (the log-sum-exp's shift without the sum)": log_weights.max(1)}
        hint = ("log (1/K) sum_k exp(log w_k) = m + log mean_k exp(log w_k - m) with m the largest log weight "
                f"(checked on {what})")
        if not _compare(name, got, expected, 1e-6, mistakes, hint):
            return False
    return True
