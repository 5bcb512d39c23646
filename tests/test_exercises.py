"""The exercise checks: verdicts that say what is off, and every checker tried with wrong answers.

A check that cannot fail is a defect.  For each checker, ``CASES`` holds its reference solution,
which must pass, and plausible wrong answers (off by a constant, wrong sign, mean instead of sum,
a missing term), each of which must fail.  Each notebook has its own section.
"""

import re

import numpy as np  # noqa: F401 -- the cases below use it
import pytest

from course_utils import exercises


def test_check_close_verdicts(capsys):
    assert exercises.check_close("ok", [1.0, 2.0], [1.0, 2.0 + 1e-9])
    assert not exercises.check_close("off", [1.0, 2.5], [1.0, 2.0])
    assert "index (1,)" in capsys.readouterr().out
    assert not exercises.check_close("shape", [1.0], [1.0, 2.0])
    assert not exercises.check_close("stub", None, [1.0])
    assert "not attempted" in capsys.readouterr().out


def test_a_stub_is_reported_as_not_attempted(capsys):
    def stub(*args):
        raise NotImplementedError

    assert not exercises.check_function("stub", stub, (1,), 1.0)
    assert "not attempted" in capsys.readouterr().out


# Each case: (checker, the solution, [wrong answers], extra arguments the checker takes after the function).
# A checker that takes several learner functions gets a tuple of functions instead of one.

# --- 00_start_here ----------------------------------------------------------------------------------


def _class_means(x, y):
    return np.stack([x[y == d].mean(axis=0) for d in range(10)]) / 255.0


def _denormalise(g):
    return np.clip(np.rint((np.asarray(g) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def _nearest(queries, train):
    return np.argmin((train**2).sum(axis=1)[None, :] - 2 * queries @ train.T, axis=1)


CASES_00 = [
    (exercises.check_class_means, _class_means,
     [lambda x, y: _class_means(x, y) * 255.0,                                      # forgot to scale to [0, 1]
      lambda x, y: _class_means(x, y)[::-1],                                          # digits in reverse order
      lambda x, y: np.stack([x[y == d].sum(axis=0) for d in range(10)]) / 255.0 / len(x)], ("mnist",)),
    (exercises.check_denormalise, _denormalise,
     [lambda g: ((np.asarray(g) * 0.5 + 1) * 255).astype(np.uint8),    # the article's formula
      lambda g: ((np.asarray(g) + 1.0) * 127.5).astype(np.uint8),      # truncates instead of rounding
      lambda g: np.rint((np.asarray(g) + 1.0) * 128).clip(0, 255).astype(np.uint8)], ()),
    (exercises.check_nearest_train_index, _nearest,
     [lambda q, t: np.argmax(q @ t.T, axis=1),                          # largest dot product, not nearest
      lambda q, t: np.argmin(((q[:, None, :] - t[None]) ** 2).sum(-1), axis=0)], ("mnist",)),  # the wrong axis
    (exercises.check_binarized_ink, lambda x01: float(np.mean(x01)),
     [lambda x01: float(np.mean(x01 > 0.5)),                            # thresholding is not binarization
      lambda x01: float(np.mean(x01 > 0))], ("mnist",)),
]

# --- 01_gan_objective -------------------------------------------------------------------------------
def _kl_discrete(a, b):
    return np.sum(np.where(a > 0, a * np.log(np.where(a > 0, a, 1) / np.where(a > 0, b, 1)), 0.0))


def _jsd_discrete(p, q):
    return 0.5 * _kl_discrete(p, (p + q) / 2) + 0.5 * _kl_discrete(q, (p + q) / 2)


def _collapse_by_discrete_divergences(w):  # disjoint modes behave like a discrete distribution
    return np.array([_kl_discrete(e, w) - 2 * _jsd_discrete(w, e) for e in np.eye(len(w))])


CASES_01 = [
    (exercises.check_jsd_shifted_uniforms, lambda t: np.minimum(t, 1.0) * np.log(2),
     [lambda t: t * np.log(2),  # keeps growing after the supports separate: JSD <= log 2
      lambda t: np.minimum(t, 1.0),  # bits, not nats
      lambda t: np.minimum(t, 1.0) * np.log(2) / 2,  # one non-overlapping piece only
      lambda t: np.log(2) * (1 - np.exp(-t))],  # smooth saturation, as for Gaussians
     ()),
    (exercises.check_alternating_invariant, lambda x, y, lr: x**2 + y**2 - lr * x * y,
     [lambda x, y, lr: x**2 + y**2,  # the circle: conserved by no step size
      lambda x, y, lr: x**2 + y**2 + lr * x * y,  # wrong sign (the update order reversed)
      lambda x, y, lr: x**2 + y**2 - lr * x * y / 2],  # half the tilt
     ()),
    (exercises.check_ns_plus_saturating_gradient, lambda mu, s: np.array([mu, s - 1 / s]),
     [lambda mu, s: np.array([mu / s**2, 1 / s - (1 + mu**2) / s**3]),  # forward KL(p_data || p_g)'s gradient
      lambda mu, s: np.array([-mu, 1 / s - s]),  # wrong sign
      lambda mu, s: np.array([mu, s])],  # the -log s term of the KL forgotten
     ()),
    (exercises.check_collapse_potential, _collapse_by_discrete_divergences,
     [lambda w: -np.log(w),  # the reverse KL alone, without -2 JSD
      lambda w: _collapse_by_discrete_divergences(w) + 4 * np.array([_jsd_discrete(w, e) for e in np.eye(len(w))]),
      lambda w: _collapse_by_discrete_divergences(w) + np.array([_jsd_discrete(w, e) for e in np.eye(len(w))])],
     ()),  # the last two: + 2 JSD instead of - 2 JSD, and - JSD instead of - 2 JSD
]


# --- 02_vae_elbo ------------------------------------------------------------------------------------
def _beta_threshold(model, x, q_mean, q_cov):
    rate, distortion = model.rate_distortion(x, q_mean, q_cov)
    return (-distortion - model.log_marginal(x)) / rate


def _iw_two_valued(a, b, pi, k):  # the number of weights equal to a is Binomial(k, pi)
    from math import comb

    return sum(comb(k, j) * pi**j * (1 - pi) ** (k - j) * np.log((j * a + (k - j) * b) / k) for j in range(k + 1))


CASES_02 = [
    (exercises.check_mean_field_variances, lambda cov: 1 / np.diag(np.linalg.inv(cov)),
     [lambda cov: np.diag(cov),  # the posterior's marginal variances (what moment matching would give)
      lambda cov: np.diag(np.linalg.inv(cov)),  # the precision's diagonal, not inverted
      lambda cov: 1 / np.sqrt(np.diag(np.linalg.inv(cov)))],  # standard deviations, not variances
     ()),
    (exercises.check_beta_threshold, _beta_threshold,
     [lambda model, x, q_mean, q_cov: np.ones(len(x)),  # "only beta = 1": right at the posterior only
      lambda model, x, q_mean, q_cov: -_beta_threshold(model, x, q_mean, q_cov),  # sign
      lambda model, x, q_mean, q_cov: 2 - _beta_threshold(model, x, q_mean, q_cov),  # 1 + KL(q||post) / rate
      lambda model, x, q_mean, q_cov: np.maximum(0.0, _beta_threshold(model, x, q_mean, q_cov))],  # clipped at 0
     ()),
    (exercises.check_iw_bound_two_valued, _iw_two_valued,
     [lambda a, b, pi, k: pi * np.log(a) + (1 - pi) * np.log(b),  # the ELBO, for every k
      lambda a, b, pi, k: np.log(pi * a + (1 - pi) * b),  # log p(x), the limit
      lambda a, b, pi, k: sum(pi**j * (1 - pi) ** (k - j) * np.log((j * a + (k - j) * b) / k)
                              for j in range(k + 1)),  # the binomial coefficients forgotten
      lambda a, b, pi, k: _iw_two_valued(a, b, pi, k) + np.log(k)],  # log of the sum, not of the mean
     ()),
    (exercises.check_iw2_gain, lambda d: np.abs(d) / 2 + np.log1p(np.exp(-np.abs(d))) - np.log(2),
     [lambda d: np.log(np.cosh(d / 2)),  # right, but cosh overflows for |delta| > 1420
      lambda d: np.logaddexp(d / 2, -d / 2),  # the 1/2 of the mean forgotten (log 2 too high)
      lambda d: np.logaddexp(d, -d) - np.log(2)],  # log cosh(delta), not log cosh(delta / 2)
     ()),
]

# --- 03_article_errata ------------------------------------------------------------------------------
def _epoch_batches(n, batch_size):
    steps = -(-n // batch_size)
    return steps, n - (steps - 1) * batch_size


CASES_03 = [
    (exercises.check_inverse_normalisation, lambda img, scale, shift: (img + shift) * scale,
     [lambda img, scale, shift: (img + 1) * 127.5,  # the GAN listing's inverse only, whatever the map
      lambda img, scale, shift: img * scale + shift,  # undone in the wrong order
      lambda img, scale, shift: (img - shift) * scale,  # the shift's sign
      lambda img, scale, shift: (img * 0.5 + 1) * 255],  # the article's line
     ()),
    (exercises.check_implied_sigma2, lambda w, reduction, n: w * (n if reduction == "mean" else 1) / 2,
     [lambda w, reduction, n: np.sqrt(w * (n if reduction == "mean" else 1) / 2),  # sigma, not sigma^2
      lambda w, reduction, n: w * (n if reduction == "mean" else 1),  # the 1/2 of the Gaussian forgotten
      lambda w, reduction, n: w * (n if reduction == "sum" else 1) / 2,  # mean and sum swapped
      lambda w, reduction, n: w * n / 2],  # the reduction ignored
     ()),
    (exercises.check_epoch_batches, _epoch_batches,
     [lambda n, b: (n // b, n % b),  # drops the last, smaller batch
      lambda n, b: (-(-n // b), n % b),  # a last batch of 0 when b divides n
      lambda n, b: (n / b, b)],  # a fractional number of steps, all full
     ()),
    (exercises.check_expected_distinct, lambda n, k: n * (1 - (1 - 1 / n) ** k),
     [lambda n, k: n * (1 - np.exp(-k / n)),  # the Poisson approximation, not exact
      lambda n, k: min(n, k),  # no repeats
      lambda n, k: k * (1 - (1 - 1 / k) ** n)],  # n and k swapped
     ()),
]


def test_03_stubs_read_not_attempted(capsys):
    def stub(*args):
        raise NotImplementedError

    for checker in (exercises.check_inverse_normalisation, exercises.check_implied_sigma2,
                    exercises.check_epoch_batches, exercises.check_expected_distinct):
        assert not checker(stub)
        out = capsys.readouterr().out
        assert out.strip().endswith("not attempted yet") and "returned None" not in out, out


# --- 04_dcgan_mnist ---------------------------------------------------------------------------------
CASES_04 = [
    (exercises.check_convt_output_size,
     lambda n, kernel, stride, padding: n * stride if padding == "same" else (n - 1) * stride + max(kernel, stride),
     [lambda n, kernel, stride, padding: (n - 1) * stride + kernel,  # the "valid" formula for "same" too
      lambda n, kernel, stride, padding: n * stride if padding == "same" else (n - 1) * stride + kernel,  # k < s
      lambda n, kernel, stride, padding: n * stride,  # "same" for "valid" too
      lambda n, kernel, stride, padding: (n - kernel) // stride + 1 if padding == "valid" else n * stride],  # Conv2D
     ()),
    (exercises.check_d_loss_from_probs,
     lambda d_real, d_fake: -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake)),
     [lambda d_real, d_fake: np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake)),  # V itself, not -V
      lambda d_real, d_fake: -np.mean(np.log(d_real)) - np.mean(np.log(d_fake)),  # log D(G(z)) for the fakes
      lambda d_real, d_fake: -np.sum(np.log(d_real)) - np.sum(np.log(1 - d_fake))],  # sums, not means
     ()),
    (exercises.check_ema_update,
     lambda average, new, decay: decay * average + (1 - decay) * new,
     [lambda average, new, decay: (1 - decay) * average + decay * new,  # weights swapped
      lambda average, new, decay: decay * average + new],  # (1 - decay) forgotten
     ()),
    (exercises.check_dense_params,
     lambda n_in, n_out, bias: n_in * n_out + (n_out if bias else 0),
     [lambda n_in, n_out, bias: n_in * n_out,  # the bias forgotten
      lambda n_in, n_out, bias: n_in * n_out + (n_in if bias else 0),  # one bias per input
      lambda n_in, n_out, bias: (n_in + 1) * n_out],  # always a bias
     ()),
]

# --- 05_vae_mnist -----------------------------------------------------------------------------------


def _bernoulli_nll(x, p):
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))


def _slerp(z0, z1, t):
    omega = np.arccos(np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1)))
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)


def _binarization_entropy(x01):
    p = np.clip(np.asarray(x01, np.float64), 1e-300, 1 - 1e-16)
    return -np.sum(p * np.log(p) + (1 - p) * np.log1p(-p), axis=(1, 2, 3))


CASES_05 = [
    (exercises.check_bernoulli_nll, _bernoulli_nll,
     [lambda x, p: -np.mean(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3)),  # mean, not sum
      lambda x, p: -np.sum(x * np.log(p), axis=(1, 2, 3)),                              # the 0-pixels' term missing
      lambda x, p: _bernoulli_nll(x, p) / np.log(2)], ()),                               # bits, not nats
    (exercises.check_active_units, lambda means, threshold: int(np.sum(np.var(means, axis=0) > threshold)),
     [lambda means, threshold: int(np.sum(np.std(means, axis=0) > threshold)),          # std, not variance
      lambda means, threshold: int(np.sum(np.abs(np.mean(means, axis=0)) > threshold)),  # the mean, not its spread
      lambda means, threshold: means.shape[1]], ()),
    (exercises.check_slerp, _slerp,
     [lambda z0, z1, t: (1 - t) * z0 + t * z1,                                          # the straight line
      lambda z0, z1, t: _slerp(z0, z1, 1 - t),                                          # t the wrong way round
      lambda z0, z1, t: _slerp(z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1), t)], ()),  # normalised ends
    (exercises.check_binarization_entropy, _binarization_entropy,
     [lambda x01: _binarization_entropy(x01) / np.log(2),                               # bits
      lambda x01: -np.sum(np.clip(x01, 1e-300, 1) * np.log(np.clip(x01, 1e-300, 1)), axis=(1, 2, 3)),  # half
      lambda x01: np.mean(_binarization_entropy(x01))], ("mnist",)),                     # one number, not per image
]

# --- 06_gan_vs_vae ----------------------------------------------------------------------------------


def _sharpness(x01):
    x = np.asarray(x01, np.float64)[..., 0]
    return (np.abs(np.diff(x, axis=1)).mean() + np.abs(np.diff(x, axis=2)).mean()) / 2


def _lerp_midpoint_norm(d):
    import math

    return np.exp([math.lgamma((n + 1) / 2) - math.lgamma(n / 2) for n in np.atleast_1d(d)])


CASES_06 = [
    (exercises.check_frechet_1d, lambda m1, s1, m2, s2: (m1 - m2) ** 2 + s1**2 + s2**2 - 2 * s1 * s2,
     [lambda m1, s1, m2, s2: (m1 - m2) ** 2 + (s1**2 - s2**2) ** 2,       # variances, not standard deviations
      lambda m1, s1, m2, s2: abs(m1 - m2) + (s1 - s2) ** 2,               # |mean gap| not squared
      lambda m1, s1, m2, s2: (m1 - m2) ** 2], ()),                        # the spread term missing
    (exercises.check_sharpness, _sharpness,
     [lambda x01: np.abs(np.diff(np.asarray(x01, np.float64)[..., 0], axis=1)).mean(),  # vertical steps only
      lambda x01: np.diff(np.asarray(x01, np.float64)[..., 0], axis=2).mean(),           # signed, not absolute
      lambda x01: 2 * _sharpness(x01)], ("mnist",)),
    (exercises.check_lerp_midpoint_norm, _lerp_midpoint_norm,
     [lambda d: np.sqrt(np.asarray(d) / 2),                                # the large-d approximation
      lambda d: np.sqrt(np.asarray(d)),                                    # a prior sample's typical norm
      lambda d: _lerp_midpoint_norm(d) * np.sqrt(2)], ()),                 # the norm of z0 + z1, halved wrongly
]

# --- 07_failure_modes -------------------------------------------------------------------------------
def _checkerboard_share(images, keep_mean=False, corner_twice=False, rows_only=False, amplitude=False):
    spectrum = np.abs(np.fft.fft2(np.asarray(images, np.float64)))
    power = spectrum if amplitude else spectrum**2
    if not keep_mean:
        power[:, 0, 0] = 0.0
    nyquist = power[:, 14, :].sum()
    if not rows_only:
        nyquist += power[:, :, 14].sum() - (0 if corner_twice else power[:, 14, 14].sum())
    return nyquist / power.sum()


def _diagnose(report):
    if report["model"] == "vae":
        return ("posterior collapse", "informative") if report["informative"] < 24 else ("healthy", None)
    if report["d_fake"] < 0.05:
        return "discriminator wins", "d_fake"
    if report["class_distance"] > 0.2:
        return "mode collapse", "class_distance"
    if report["checkerboard_share"] > 0.07:  # above white noise's share on 28x28
        return "checkerboard", "checkerboard_share"
    return "healthy", None


CASES_07 = [
    (exercises.check_saturation_ratio, lambda d: d / (1 - d),
     [lambda d: (1 - d) / d,                                      # upside down: the non-saturating over the saturating
      lambda d: d,                                                # the saturating gradient alone
      lambda d: np.log(1 - d) / np.log(d)], ()),                  # the losses' ratio, not their gradients'
    (exercises.check_checkerboard_share, _checkerboard_share,
     [lambda x: _checkerboard_share(x, keep_mean=True),           # the mean's power counted
      lambda x: _checkerboard_share(x, corner_twice=True),        # the (1/2, 1/2) frequency counted twice
      lambda x: _checkerboard_share(x, rows_only=True),           # the Nyquist row only, not the column
      lambda x: _checkerboard_share(x, amplitude=True)], ("mnist",)),  # amplitudes, not power
    (exercises.check_diagnose, _diagnose,
     [lambda r: ("healthy", None),                                                # nothing is ever wrong
      lambda r: ("mode collapse", "classes") if r["model"] == "gan" and r["classes"] < 10 else _diagnose(r),
      lambda r: ("posterior collapse", "fid") if _diagnose(r)[0] == "posterior collapse" else _diagnose(r),
      lambda r: (("posterior collapse", "active_units") if r["active_units"] < 16 else ("healthy", None))
      if r["model"] == "vae" else _diagnose(r),  # by active units, which miss a collapse like beta = 4's
      lambda r: _diagnose(r)[0]], ()),                                            # the failure without its evidence
]

# --- 00b_primer -------------------------------------------------------------------------------------
def _mse_gradient_by_tape(w, b, x, y):
    import tensorflow as tf

    w, b = tf.Variable(w, dtype=tf.float64), tf.Variable(b, dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(w * x + b - y))
    return np.array([g.numpy() for g in tape.gradient(loss, [w, b])])


def _overlap_counts(n_in, kernel, stride):
    counts = np.zeros((n_in - 1) * stride + kernel)
    for i in range(n_in):
        counts[stride * i: stride * i + kernel] += 1
    return counts


CASES_00B = [
    (exercises.check_kl_to_standard_normal, lambda mu, s: 0.5 * (mu**2 + s**2 - 1 - np.log(s**2)),
     [lambda mu, s: mu**2 + s**2 - 1 - np.log(s**2),  # the 1/2 forgotten
      lambda mu, s: 0.5 * (mu**2 + s - 1 - np.log(s)),  # s used where the formula has the variance s^2
      lambda mu, s: 0.5 * (mu**2 + s**2 - 1 - np.log(s)),  # log s instead of log s^2
      lambda mu, s: np.log(s) + (1 + mu**2) / (2 * s**2) - 0.5],  # the other direction, KL(N(0, 1) || N(mu, s^2))
     ()),
    (exercises.check_jensen_gap_lognormal, lambda m, s: s**2 / 2 + 0 * m,
     [lambda m, s: m + s**2 / 2,  # log E[X] alone
      lambda m, s: s**2 + 0 * m,  # the 1/2 forgotten
      lambda m, s: s / 2 + 0 * m,  # s, not the variance s^2
      lambda m, s: np.exp(m + s**2 / 2) - np.exp(m)],  # the gap between E[X] and exp E[log X], not between logs
     ()),
    (exercises.check_overlap_counts, _overlap_counts,
     [lambda n_in, kernel, stride: np.ones((n_in - 1) * stride + kernel),  # no overlaps
      lambda n_in, kernel, stride: np.full((n_in - 1) * stride + kernel, -(-kernel // stride)),  # the most, everywhere
      lambda n_in, kernel, stride: _overlap_counts(n_in, kernel, 1)[:(n_in - 1) * stride + kernel]],  # stride ignored
     ()),
    (exercises.check_mse_gradient, _mse_gradient_by_tape,
     [lambda w, b, x, y: 2 * np.array([np.sum((w * x + b - y) * x), np.sum(w * x + b - y)]),  # sum, not mean
      lambda w, b, x, y: -_mse_gradient_by_tape(w, b, x, y),  # the descent direction, not the gradient
      lambda w, b, x, y: _mse_gradient_by_tape(w, b, x, y) / 2,  # the 2 of the square forgotten
      lambda w, b, x, y: _mse_gradient_by_tape(w, b, x, y)[::-1]],  # [dL/db, dL/dw]
     ()),
]


# --- 08_better_objectives ---------------------------------------------------------------------------
def _w1_gaussians(m1, s1, m2, s2):
    """E|a + b Z| for the comonotone coupling: a = m2 - m1, b = s2 - s1 (a folded normal's mean)."""
    from math import erf, exp, pi, sqrt

    a, b = m2 - m1, abs(s2 - s1)
    if b == 0:
        return abs(a)
    return b * sqrt(2 / pi) * exp(-a * a / (2 * b * b)) + a * erf(a / (b * sqrt(2)))


def _log_mean_exp(log_w):
    top = np.max(log_w, axis=0)
    return top + np.log(np.mean(np.exp(log_w - top), axis=0))


def _mixture_log_density(z, means, log_vars, logits, softmax=True, var_as_std=False, stable=True):
    scale2 = np.exp(log_vars) ** 2 if var_as_std else np.exp(log_vars)
    log_n = -0.5 * ((z[:, None] - means) ** 2 / scale2 + np.log(scale2) + np.log(2 * np.pi)).sum(-1)
    log_pi = logits - np.logaddexp.reduce(logits) if softmax else logits
    if not stable:
        with np.errstate(divide="ignore"):
            return np.log(np.sum(np.exp(log_n + log_pi), axis=1))
    return np.logaddexp.reduce(log_n + log_pi, axis=1)


CASES_08 = [
    (exercises.check_w1_gaussians, _w1_gaussians,
     [lambda m1, s1, m2, s2: abs(m2 - m1),  # the spread ignored
      lambda m1, s1, m2, s2: abs(m2 - m1) + abs(s2 - s1) * np.sqrt(2 / np.pi),  # the triangle inequality's bound
      lambda m1, s1, m2, s2: np.sqrt((m2 - m1) ** 2 + (s2 - s1) ** 2)],  # W_2, not W_1
     ()),
    (exercises.check_iw_bound_from_log_weights, _log_mean_exp,
     [lambda log_w: np.log(np.mean(np.exp(log_w), axis=0)),  # underflows to -inf near -900
      lambda log_w: np.mean(log_w, axis=0),  # the ELBO's estimate, k samples averaged
      lambda log_w: np.logaddexp.reduce(log_w, axis=0)],  # the 1/k forgotten: log sum, not log mean
     ()),
    (exercises.check_mixture_log_density, _mixture_log_density,
     [lambda *a: _mixture_log_density(*a, softmax=False),  # logits used as log-weights, not normalised
      lambda *a: _mixture_log_density(*a, var_as_std=True),  # exp(log_var) taken as the standard deviation
      lambda z, m, lv, lg: _mixture_log_density(z, m, lv, 0 * lg),  # the components weighted equally
      lambda *a: _mixture_log_density(*a, stable=False)],  # exp underflows for the z far from every component
     ()),
]

# ------------------------------------------------------------------------------------------------------
CASES = CASES_00 + CASES_01 + CASES_02 + CASES_03 + CASES_04 + CASES_05 + CASES_06 + CASES_07 + CASES_00B + CASES_08
NEEDS_MNIST = "mnist"  # put this string among a case's extra arguments to pass the real MNIST there


def _call(checker, functions, extra, mnist):
    functions = functions if isinstance(functions, tuple) else (functions,)
    return checker(*functions, *[mnist if a == NEEDS_MNIST else a for a in extra])


@pytest.mark.parametrize("checker, solution, wrong, extra", CASES, ids=[c[0].__name__ for c in CASES])
def test_each_checker_accepts_the_solution_and_rejects_wrong_answers(checker, solution, wrong, extra, mnist):
    assert _call(checker, solution, extra, mnist), f"{checker.__name__} rejects its own solution"
    assert len(wrong) >= 2, f"{checker.__name__}: try it with at least two plausible wrong answers"
    for answer in wrong:
        assert not _call(checker, answer, extra, mnist), f"{checker.__name__} accepts a wrong answer"


def test_every_checker_is_tried_with_wrong_answers():
    checkers = {name for name in dir(exercises) if name.startswith("check_") and name not in
                {"check_close", "check_function"}}
    assert checkers == {c[0].__name__ for c in CASES}, "add the missing checkers to CASES"



@pytest.mark.parametrize("checker, solution, wrong, extra", CASES, ids=[c[0].__name__ for c in CASES])
def test_in_grading_mode_each_checker_raises_on_a_wrong_answer_and_a_stub(checker, solution, wrong, extra, mnist,
                                                                          monkeypatch, capsys):
    monkeypatch.setattr(exercises.config, "GRADING", True)
    assert _call(checker, solution, extra, mnist) is True
    for answer in wrong:
        with pytest.raises(AssertionError, match="not correct yet"):
            _call(checker, answer, extra, mnist)

    def stub(*args):
        raise NotImplementedError

    stubs = tuple(stub for _ in solution) if isinstance(solution, tuple) else stub
    with pytest.raises(AssertionError, match="not correct yet"):
        _call(checker, stubs, extra, mnist)


# The hidden tests of the classroom edition (make grade): other inputs for the checkers whose visible message gives
# their answer away (a single number).  The solution passes them; the number the visible check expects does not.
HIDDEN = [
    (exercises.check_binarized_ink, {"first": 5000}, ("mnist",)),
    (exercises.check_d_loss_from_probs, {"seed": 12}, ()),
    (exercises.check_active_units, {"spread": (0.5, 2e-3, 0.08, 0.2, 0.04, 1e-6)}, ()),
    (exercises.check_frechet_1d, {"args": (-2.0, 0.3, 1.5, 1.7)}, ()),
    (exercises.check_diagnose, {"seed": 7}, ()),
    (exercises.check_sharpness, {"first": 5000}, ("mnist",)),
    (exercises.check_checkerboard_share, {"first": 3000}, ("mnist",)),
]


@pytest.mark.parametrize("checker, hidden, extra", HIDDEN, ids=[c[0].__name__ for c in HIDDEN])
def test_hidden_inputs_reject_an_answer_remembered_from_the_visible_check(checker, hidden, extra, mnist, capsys):
    solution = next(case[1] for case in CASES if case[0] is checker)
    assert _call(checker, solution, extra, mnist)
    assert checker(solution, *[mnist if a == NEEDS_MNIST else a for a in extra], **hidden)
    visible_answers = {}

    def remembering(*args):  # the visible check's answer for each input it asks about, hard-coded by position
        key = len(visible_answers)
        visible_answers[key] = solution(*args)
        return visible_answers[key]

    _call(checker, remembering, extra, mnist)
    calls = iter(visible_answers.values())
    remembered = lambda *args: next(calls)  # noqa: E731
    capsys.readouterr()
    assert not checker(remembered, *[mnist if a == NEEDS_MNIST else a for a in extra], **hidden)
    said = capsys.readouterr().out
    name = checker.__name__.removeprefix("check_")
    assert re.search(rf"{name} ?\(|of seed", said), f"the hidden test should say which inputs it used: {said}"


def test_a_non_finite_answer_is_named_as_an_overflow(capsys):
    assert not exercises.check_close("lse", [1.0, -np.inf], [1.0, -900.0])
    out = capsys.readouterr().out
    assert "not finite at index (1,)" in out and "log-sum-exp" in out
    assert exercises.check_close("both infinite", [np.inf], [np.inf])
