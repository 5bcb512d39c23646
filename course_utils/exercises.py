"""The exercises' automatic checks, in the style of CS231n: compare a learner's answer with a
known one under a relative-error tolerance and say what is off.

``check_close`` and ``check_function`` are the verdicts; each ``check_<exercise>`` below runs a
learner's function on fixed inputs and compares the result with a reference computed here.  They are
also the tests of the classroom edition's autograder (``make grade``, nbgrader): there ``graded`` turns
a verdict that is not "correct" into an ``AssertionError``.  A checker whose message would give its
answer away (a single number) takes other inputs as an argument, for a hidden test.
"""

from __future__ import annotations

import functools

import numpy as np

from course_utils import config, data, losses, theory_gan


def graded(check):
    """Wrap a ``check_<exercise>`` so that in grading mode (``config.GRADING``, set by ``make grade``) a
    verdict other than "correct" -- a wrong answer or an unanswered stub -- raises ``AssertionError``,
    which nbgrader counts as a failed test.  Elsewhere the check prints its verdict and returns it, so a
    notebook with unsolved exercises still runs top to bottom."""
    @functools.wraps(check)
    def check_and_grade(*args, **kwargs):
        verdict = check(*args, **kwargs)
        if config.GRADING and not verdict:
            raise AssertionError(f"{check.__name__.removeprefix('check_')}: not correct yet (see the message above)")
        return verdict
    return check_and_grade


def relative_error(got, expected) -> float:
    """max |got - expected| / max(|got| + |expected|, tiny), elementwise."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # inf - inf: equal infinities count as agreeing, below
        error = np.abs(got - expected) / np.maximum(np.abs(got) + np.abs(expected), 1e-12)
    return float(np.max(np.where(got == expected, 0.0, error)))


def check_close(name: str, got, expected, rtol: float = 1e-6) -> bool:
    """Print a verdict on ``got`` vs ``expected``; return True when they agree.

    ``got is None`` (the exercise stub) reports "not attempted" instead of failing,
    so a notebook with unsolved exercises still runs top to bottom.
    """
    if got is None:
        print(f"{name}: not attempted yet (your function raised NotImplementedError or returned None)")
        return False
    got_shape, expected_shape = np.shape(got), np.shape(expected)
    if got_shape != expected_shape:
        print(f"{name}: wrong shape {got_shape}, expected {expected_shape}")
        return False
    overflowed = ~np.isfinite(np.asarray(got, dtype=np.float64)) & np.isfinite(np.asarray(expected, dtype=np.float64))
    if np.any(overflowed):
        where = np.unravel_index(np.argmax(overflowed), got_shape)
        at = f" at index {tuple(int(i) for i in where)}" if got_shape else ""
        print(f"{name}: not finite{at}: got {np.asarray(got)[where]!r}, expected {np.asarray(expected)[where]!r} -- "
              "an exp or log over- or underflowed: compute it stably (in logs, e.g. with a log-sum-exp)")
        return False
    error = relative_error(got, expected)
    if error <= rtol:
        print(f"{name}: correct (relative error {error:.1e} <= {rtol:.0e})")
        return True
    worst = np.unravel_index(np.argmax(np.abs(np.asarray(got, float) - np.asarray(expected, float))), got_shape)
    where = f" at index {tuple(int(i) for i in worst)}" if got_shape else ""
    print(f"{name}: off -- relative error {error:.2e} > {rtol:.0e}{where}: "
          f"got {np.asarray(got)[worst]!r}, expected {np.asarray(expected)[worst]!r}")
    return False


def check_function(name: str, function, args: tuple, expected, rtol: float = 1e-6) -> bool:
    """Call a learner's ``function(*args)`` and compare with ``expected`` (see ``check_close``).

    An unfinished exercise (raising ``NotImplementedError`` or returning None) is
    reported as "not attempted" rather than crashing the notebook.
    """
    try:
        got = function(*args)
    except NotImplementedError:
        got = None
    return check_close(name, got, expected, rtol)


# --- 00_start_here -----------------------------------------------------------

@graded
def check_class_means(class_means, mnist: data.Mnist) -> bool:
    """``class_means(x_uint8, y)`` -> (10, 28, 28) mean intensity in [0, 1] per digit."""
    x, y = mnist.x_test, mnist.y_test
    expected = np.stack([x[y == digit].mean(axis=0) / 255.0 for digit in range(10)])
    return check_function("class_means", class_means, (x, y), expected, rtol=1e-5)


@graded
def check_denormalise(denormalise) -> bool:
    """``denormalise(g)``: generator output in [-1, 1] -> uint8 pixel values 0..255."""
    g = np.linspace(-1.0, 1.0, 511, dtype=np.float32)
    return check_function("denormalise", denormalise, (g,), data.from_tanh(g), rtol=0)


@graded
def check_nearest_train_index(nearest_train_index, mnist: data.Mnist) -> bool:
    """``nearest_train_index(queries, train)`` -> index of each query's nearest training image (L2)."""
    queries = data.to_unit(mnist.x_test[:5]).reshape(5, -1).astype(np.float64)
    train = data.to_unit(mnist.x_train[:2000]).reshape(2000, -1).astype(np.float64)
    expected = np.array([np.argmin(((train - q) ** 2).sum(axis=1)) for q in queries])
    return check_function("nearest_train_index", nearest_train_index, (queries, train), expected, rtol=0)


@graded
def check_binarized_ink(binarized_ink, mnist: data.Mnist, first: int = 0) -> bool:
    """``binarized_ink(x01)`` -> expected fraction of 'on' pixels under dynamic binarization, on the 100 test
    images from ``first`` on (another ``first`` is the hidden test: the answer is a single number)."""
    x01 = data.to_unit(mnist.x_test[first:first + 100])
    name = "binarized_ink" if first == 0 else f"binarized_ink (test images {first} to {first + 99})"
    return check_function(name, binarized_ink, (x01,), float(x01.mean()), rtol=1e-5)


# --- 01_gan_objective --------------------------------------------------------

def _over_cases(function, cases):
    """A no-argument function returning ``function(*case)`` for each case as one array (None for a stub)."""
    def run():
        results = [function(*case) for case in cases]
        return None if any(r is None for r in results) else np.array(results, dtype=np.float64)
    return run


@graded
def check_jsd_shifted_uniforms(jsd_shifted_uniforms) -> bool:
    """``jsd_shifted_uniforms(t)``: JSD (nats) between U[0, 1] and U[t, 1 + t], elementwise for t >= 0, in closed form.

    Where both densities are 1, m = 1 and nothing is contributed; on the two non-overlapping pieces (length
    min(t, 1) each) one density is 1 and m = 1/2, contributing log 2 each to KL(.||m).  So JSD = min(t, 1) log 2:
    a constant slope until the supports separate, then exactly flat.
    """
    t = np.array([0.0, 0.1, 0.25, 0.5, 0.9, 1.0, 1.5, 3.0])
    return check_function("jsd_shifted_uniforms", jsd_shifted_uniforms, (t,), np.minimum(t, 1.0) * np.log(2),
                          rtol=1e-9)


@graded
def check_alternating_invariant(alternating_invariant) -> bool:
    """``alternating_invariant(x, y, lr)``: the quadratic H = x^2 + y^2 + c(lr) x y that alternating gradient play on
    x*y (``theory_gan.gradient_play(..., alternating=True)``) keeps exactly constant, normalised so H(x, 0) = x^2.

    The reference is x^2 + y^2 - lr x y (one step is a product of two shears; for lr < 2 its invariant form is unique up
    to scale), evaluated at random points and step sizes, not only along one orbit.
    """
    rng = np.random.default_rng(11)
    x, y, lr = rng.normal(size=12), rng.normal(size=12), rng.uniform(0.05, 1.5, size=12)
    ok = check_function("alternating_invariant", alternating_invariant, (x, y, lr), x**2 + y**2 - lr * x * y)
    if not ok:
        try:
            path = theory_gan.gradient_play(1.0, 0.5, 0.3, 50, alternating=True)
            h = alternating_invariant(path[:, 0], path[:, 1], 0.3)
        except NotImplementedError:
            h = None
        if h is not None:
            h = np.asarray(h, dtype=np.float64)
            print(f"  hint: along an alternating orbit with lr = 0.3 your H varies by {np.ptp(h):.2e} "
                  "(a conserved quantity varies by ~1e-15)")
    return ok


@graded
def check_ns_plus_saturating_gradient(ns_plus_saturating_gradient) -> bool:
    """``ns_plus_saturating_gradient(mu, s)``: [d/dmu, d/ds] of E_pg[-log D*] + E_pg[log(1 - D*)] at p_g = N(mu, s^2),
    p_data = N(0, 1), D* optimal for the current p_g and held fixed during the step.

    (1 - D*) / D* = p_g / p_data, so the sum is the gradient of KL(p_g || p_data) = (mu^2 + s^2 - 1) / 2 - log s:
    exactly [mu, s - 1/s].  The points avoid zero components, so a quadrature answer passes the relative tolerance.
    """
    cases = [(0.5, 1.2), (-1.5, 0.5), (2.0, 2.0)]
    expected = np.array([[mu, s - 1 / s] for mu, s in cases])
    return check_function("ns_plus_saturating_gradient", _over_cases(ns_plus_saturating_gradient, cases), (),
                          expected)


def _collapse_potential_reference(weights):
    """KL(e_k || w) - 2 JSD(w || e_k) for each mode k of disjoint modes with weights w, in closed form."""
    w = np.asarray(weights, dtype=np.float64)
    two_jsd = w * np.log(2 * w / (1 + w)) + (1 - w) * np.log(2) + np.log(2 / (1 + w))
    return -np.log(w) - two_jsd


@graded
def check_collapse_potential(collapse_potential) -> bool:
    """``collapse_potential(w)``: data made of disjoint modes with weights w; for each k, the value of
    KL(p_g || p_data) - 2 JSD(p_data || p_g) when the generator puts all its mass on mode k (the reference is the
    closed form of ``_collapse_potential_reference``)."""
    skewed, uniform = np.array([0.5, 0.25, 0.125, 0.125]), np.full(8, 1 / 8)
    return (check_function("collapse_potential (weights 1/2, 1/4, 1/8, 1/8)", collapse_potential, (skewed,),
                           _collapse_potential_reference(skewed), rtol=1e-9)
            and check_function("collapse_potential (8 equal modes)", collapse_potential, (uniform,),
                               _collapse_potential_reference(uniform), rtol=1e-9))


# --- 02_vae_elbo -------------------------------------------------------------

@graded
def check_mean_field_variances(mean_field_variances) -> bool:
    """``mean_field_variances(post_cov)``: the variances of the diagonal Gaussian q that maximises the ELBO when the
    posterior is N(m, post_cov), i.e. minimises KL(q || posterior) over diagonal q.

    KL = (tr(P S) - log det S + const) / 2 with P = post_cov^-1 and S diagonal: the derivative in S_jj is
    (P_jj - 1 / S_jj) / 2, so S_jj = 1 / P_jj, the inverse of the precision's diagonal (at most post_cov_jj).
    Checked on a linear-Gaussian posterior and on a random 3 x 3 covariance.
    """
    from course_utils.theory_vae import LinearGaussian

    model = LinearGaussian.random(d=6, k=2, noise_var=0.5, seed=3)
    post_cov = model.posterior(np.zeros((1, model.d)))[1]
    a = np.random.default_rng(15).normal(size=(3, 3))
    random_cov = a @ a.T + 0.3 * np.eye(3)
    return all(check_function(f"mean_field_variances ({name})", mean_field_variances, (cov,),
                              1 / np.diag(np.linalg.inv(cov)), rtol=1e-9)
               for name, cov in (("linear-Gaussian posterior", post_cov), ("random 3 x 3", random_cov)))


@graded
def check_beta_threshold(beta_threshold) -> bool:
    """``beta_threshold(model, x, q_mean, q_cov)``: per row, the beta at which the beta-objective
    E_q log p(x|z) - beta KL(q || p(z)) of this q equals log p(x); for every larger beta it is below log p(x).

    The objective falls linearly in beta, so the threshold is (-distortion - log p(x)) / rate, which equals
    1 - KL(q || p(z|x)) / KL(q || p(z)) (the reference): at most 1, exactly 1 at the posterior, and negative when
    even the reconstruction term E_q log p(x|z) alone is below log p(x) -- as on several rows here, so an answer
    clipped at 0 fails.  (At rate = 0, q = the prior, it is undefined: the objective does not depend on beta.)
    """
    from course_utils.theory_vae import LinearGaussian

    model = LinearGaussian.random(d=5, k=2, noise_var=0.4, seed=12)
    x = model.sample(6, seed=13)
    post_mean, post_cov = model.posterior(x)
    q_mean = post_mean + 0.7 * np.random.default_rng(14).normal(size=post_mean.shape)
    q_cov = np.diag(np.diag(post_cov) * np.array([0.5, 2.0]))
    expected = 1 - model.kl_to_posterior(x, q_mean, q_cov) / model.rate_distortion(x, q_mean, q_cov)[0]
    return (check_function("beta_threshold", beta_threshold, (model, x, q_mean, q_cov), expected)
            and check_function("beta_threshold (q = the posterior)", beta_threshold, (model, x, post_mean, post_cov),
                               np.ones(len(x))))


def _two_valued_iw_bound(a: float, b: float, pi: float, k: int) -> float:
    """E log((1/k) sum_i w_i) for k independent weights, each a with probability pi and b otherwise: the number j
    of a's is Binomial(k, pi), so L_k = sum_j C(k, j) pi^j (1 - pi)^(k - j) log((j a + (k - j) b) / k)."""
    from math import lgamma, log

    return float(sum(np.exp(lgamma(k + 1) - lgamma(j + 1) - lgamma(k - j + 1) + j * log(pi) + (k - j) * log(1 - pi))
                     * log((j * a + (k - j) * b) / k) for j in range(k + 1)))


@graded
def check_iw_bound_two_valued(iw_bound_two_valued) -> bool:
    """``iw_bound_two_valued(a, b, pi, k)``: the importance-weighted bound L_k, exactly, when every weight
    p(x, z) / q(z | x) is a with probability pi and b otherwise (reference: ``_two_valued_iw_bound``).

    The cases include k = 1 (L_1 = the ELBO, pi log a + (1 - pi) log b), equal weights (q = the posterior: L_k = log a
    for every k) and a rare heavy weight, where L_k stays far below log p(x) = log(pi a + (1 - pi) b) until k is
    several times 1/pi.
    """
    cases = [(3.0, 0.2, 0.1, 1), (3.0, 0.2, 0.1, 7), (2.0, 2.0, 0.5, 5),
             (200.0, 0.01, 0.02, 10), (200.0, 0.01, 0.02, 60)]
    expected = np.array([_two_valued_iw_bound(*case) for case in cases])
    return check_function("iw_bound_two_valued", _over_cases(iw_bound_two_valued, cases), (), expected, rtol=1e-9)


@graded
def check_iw2_gain(iw2_gain) -> bool:
    """``iw2_gain(delta)``: log((w1 + w2) / 2) - (log w1 + log w2) / 2 as a function of delta = log w1 - log w2,
    elementwise and finite for |delta| in the thousands.  It is log cosh(delta / 2), computed here stably."""
    delta = np.array([-2000.0, -40.0, -1.5, 0.1, 2.0, 10.0, 745.0, 2000.0])
    return check_function("iw2_gain", iw2_gain, (delta,), np.logaddexp(delta / 2, -delta / 2) - np.log(2))


# --- 04_dcgan_mnist ------------------------------------------------------------

def _each(function, cases):
    """A function of no arguments: ``function`` applied to each argument tuple of ``cases``, as one list
    (None when any answer is None, so a stub reads as "not attempted")."""
    def answers():
        results = [function(*case) for case in cases]
        return None if any(r is None for r in results) else results
    return answers


@graded
def check_convt_output_size(convt_output_size) -> bool:
    """``convt_output_size(n, kernel, stride, padding)`` for Conv2DTranspose, checked against Keras itself."""
    import keras

    cases = [(7, 4, 2, "same"), (14, 5, 2, "same"), (4, 4, 2, "valid"), (7, 3, 1, "valid"), (5, 5, 3, "valid"),
             (3, 2, 3, "valid")]  # a kernel smaller than the stride: Keras pads the output to n * stride
    expected = [keras.layers.Conv2DTranspose(1, k, strides=s, padding=p).compute_output_shape((None, n, n, 1))[1]
                for n, k, s, p in cases]
    return check_function("convt_output_size", _each(convt_output_size, cases), (), expected, rtol=0)


@graded
def check_d_loss_from_probs(d_loss_from_probs, seed: int = 2) -> bool:
    """Graded at moderate logits drawn with ``seed`` (another seed is the hidden test: the answer is a single
    number); then shows (not graded) what probabilities do at extreme ones."""
    rng = np.random.default_rng(seed)
    real_logits, fake_logits = rng.normal(size=20) * 2, rng.normal(size=20) * 2
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    expected = float(losses.discriminator_loss(real_logits, fake_logits))
    name = "d_loss_from_probs" if seed == 2 else f"d_loss_from_probs (logits of seed {seed})"
    correct = check_function(name, d_loss_from_probs, (sigmoid(real_logits), sigmoid(fake_logits)), expected,
                             rtol=1e-6)
    if correct and seed == 2 and not config.GRADING:  # not graded: a discriminator confidently wrong twice
        real, fake = np.array([2.0, -800.0]), np.array([-2.0, 40.0])
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            d_real, d_fake = sigmoid(real), sigmoid(fake)
            try:
                got = float(d_loss_from_probs(d_real, d_fake))
            except (ValueError, ZeroDivisionError, OverflowError) as error:  # e.g. math.log(0)
                got = float("nan")
                print(f"  (your function raised {error!r} on these probabilities)")
        exact = float(losses.discriminator_loss(real, fake))
        print(f"  why logits: real logits {real.tolist()}, fake logits {fake.tolist()}. In float64 the second "
              f"real\n  image's D(x) rounds to exactly {d_real[1]} and the second fake's D(G(z)) to exactly "
              f"{d_fake[1]}, so the\n  logs meet log(0): from these probabilities your function gives {got:.4f}; "
              f"from the logits,\n  losses.discriminator_loss gives {exact:.4f} (finite).")
    return correct


@graded
def check_ema_update(ema_update) -> bool:
    """One step of an exponential moving average of weights: decay * average + (1 - decay) * new."""
    average, new = np.array([1.0, 2.0, -3.0]), np.array([0.0, 4.0, 1.0])
    return check_function("ema_update", ema_update, (average, new, 0.9), np.array([0.9, 2.2, -2.6]))


@graded
def check_dense_params(dense_params) -> bool:
    """``dense_params(n_in, n_out, bias)``, with and without a bias, checked against Keras's own count."""
    import keras

    cases = [(64, 7 * 7 * 128, False), (64, 7 * 7 * 128, True), (3136, 1, True), (10, 3, False)]
    expected = []
    for n_in, n_out, bias in cases:
        layer = keras.layers.Dense(n_out, use_bias=bias)
        layer.build((None, n_in))
        expected.append(layer.count_params())
    return check_function("dense_params", _each(dense_params, cases), (), expected, rtol=0)


# --- 05_vae_mnist ----------------------------------------------------------------

@graded
def check_bernoulli_nll(bernoulli_nll) -> bool:
    """``bernoulli_nll(x, p)``: -log p(x) in nats per image for binary pixels x and probabilities p."""
    rng = np.random.default_rng(3)
    x = (rng.random((4, 28, 28, 1)) < 0.3).astype(np.float64)
    logits = rng.normal(size=x.shape) * 3
    expected = -np.asarray(losses.bernoulli_log_likelihood(x, logits))
    return check_function("bernoulli_nll", bernoulli_nll, (x, 1 / (1 + np.exp(-logits))), expected, 1e-6)


@graded
def check_active_units(active_units, spread=(1.0, 0.3, 0.02, 1e-3, 1e-5)) -> bool:
    """``active_units(means, threshold)``: how many latent dimensions the encoder uses, Burda et al.'s count of
    dimensions j with Var_x(E_q[z_j | x]) > threshold; ``means`` are encoder means, one row per input.
    ``spread`` holds the dimensions' variances across inputs (another one is the hidden test: the answer is
    a single number), none within a factor 1.5 of the threshold 0.01."""
    spread = np.asarray(spread, dtype=np.float64)
    rng = np.random.default_rng(4)
    means = rng.normal(size=(4000, len(spread))) * np.sqrt(spread) + rng.normal(size=len(spread)) * 2
    expected = int(np.sum(np.var(means, axis=0) > 0.01))
    name = "active_units" if len(spread) == 5 else f"active_units ({len(spread)} dimensions)"
    return check_function(name, active_units, (means, 0.01), expected, rtol=0)


@graded
def check_slerp(slerp) -> bool:
    """``slerp(z0, z1, t)``: spherical interpolation, checked where the two ends have different norms
    (then the norm changes along the path) and where they have the same norm (then slerp keeps it)."""
    def reference(z0, z1, t):
        omega = np.arccos(np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1)))
        return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)

    z0, z1 = np.array([1.0, 0.0, 0.0]), np.array([0.5, 2.0, 0.0])
    unequal = check_function("slerp (unequal norms)", slerp, (z0, z1, 0.25), reference(z0, z1, 0.25), rtol=1e-9)
    w0, w1 = np.array([3.0, 0.0, 4.0]), np.array([0.0, 5.0, 0.0])
    equal = check_function("slerp (equal norms)", slerp, (w0, w1, 0.6), reference(w0, w1, 0.6), rtol=1e-9)
    return unequal and equal


@graded
def check_binarization_entropy(binarization_entropy, mnist: data.Mnist) -> bool:
    """``binarization_entropy(x01)``: per image, the expected -log p(x) in nats of binarized pixels for a model
    that knows the grey image exactly (each pixel is Bernoulli with its intensity as probability)."""
    p = data.to_unit(mnist.x_test[:100]).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(p > 0, p * np.log(p), 0.0) + np.where(p < 1, (1 - p) * np.log1p(-p), 0.0))
    return check_function("binarization_entropy", binarization_entropy, (p,), h.sum(axis=(1, 2, 3)), rtol=1e-6)


# --- 03_article_errata -------------------------------------------------------------

def _check_cases_03(name: str, function, cases, expected, rtol: float) -> bool:
    """Run ``function`` on every case and compare all the answers at once with ``expected``; a stub
    that raises NotImplementedError is reported as "not attempted yet"."""
    try:
        answers = [function(*case) for case in cases]
    except NotImplementedError:
        print(f"{name}: not attempted yet")
        return False
    if any(answer is None for answer in answers):
        return check_close(name, None, expected)
    try:
        answers = np.asarray(answers, dtype=np.float64)
    except (TypeError, ValueError):
        print(f"{name}: each answer should be {'a pair of numbers' if np.ndim(expected) > 1 else 'a number'}")
        return False
    return check_close(name, answers, np.asarray(expected, dtype=np.float64), rtol)


@graded
def check_inverse_normalisation(inverse_normalisation) -> bool:
    """``inverse_normalisation(img, scale, shift)``: the exact inverse of ``img = x / scale - shift`` (G18 in
    general), checked for the GAN listing's x / 127.5 - 1, the corrected VAE's x / 255 and two other maps."""
    img = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    cases = [(img, 127.5, 1.0), (img, 255.0, 0.0), (img, 2.0, -3.0), (img, 0.5, 0.25)]
    expected = [(img + shift) * scale for img, scale, shift in cases]
    return _check_cases_03("inverse_normalisation", inverse_normalisation, cases, expected, rtol=1e-12)


@graded
def check_implied_sigma2(implied_sigma2) -> bool:
    """``implied_sigma2(kl_weight, reduction, n_pixels)``: the variance sigma^2 of the Gaussian decoder whose
    negative ELBO, SE / (2 sigma^2) + KL up to a constant, is proportional to the loss
    ``reduce(squared errors) + kl_weight * KL``, where ``reduction`` "mean" averages the n_pixels squared
    errors and "sum" adds them (V11 in general): n_pixels * kl_weight / 2, or kl_weight / 2."""
    cases = [(0.001, "mean", 784), (0.001, "sum", 784), (1.0, "sum", 784), (0.5, "mean", 100), (0.01, "mean", 3072)]
    expected = [w * (n if reduction == "mean" else 1) / 2 for w, reduction, n in cases]
    return _check_cases_03("implied_sigma2", implied_sigma2, cases, expected, rtol=1e-12)


@graded
def check_epoch_batches(epoch_batches) -> bool:
    """``epoch_batches(n, batch_size)`` -> (steps per epoch, size of the last batch) when an epoch batches all
    n images and keeps the smaller last batch (``tf.data``'s ``batch``, as the corrected listings)."""
    cases = [(60000, 128), (60000, 100), (1024, 128), (10, 3), (5, 8)]
    expected = [(-(-n // b), n - (-(-n // b) - 1) * b) for n, b in cases]
    return _check_cases_03("epoch_batches", epoch_batches, cases, expected, rtol=0)


@graded
def check_expected_distinct(expected_distinct) -> bool:
    """``expected_distinct(n, k)``: expected number of different items among k draws, with replacement, from
    n different items (G8: n = k = 128 is the article's second step), i.e. n * (1 - (1 - 1/n)^k)."""
    cases = [(128, 128), (60000, 128), (10, 3), (3, 10)]
    expected = [n * (1 - (1 - 1 / n) ** k) for n, k in cases]
    return _check_cases_03("expected_distinct", expected_distinct, cases, expected, rtol=1e-9)


# --- 06_gan_vs_vae -------------------------------------------------------------

@graded
def check_frechet_1d(frechet_1d, args=(0.5, 2.0, -1.0, 0.5)) -> bool:
    """``frechet_1d(m1, s1, m2, s2)``: Fréchet distance between N(m1, s1²) and N(m2, s2²), at ``args`` (other
    ``args`` are the hidden test: the answer is a single number); the reference is ``metrics.frechet_distance``."""
    from course_utils import metrics

    m1, s1, m2, s2 = args
    expected = metrics.frechet_distance(np.array([m1]), np.array([[s1**2]]), np.array([m2]), np.array([[s2**2]]))
    name = "frechet_1d" if tuple(args) == (0.5, 2.0, -1.0, 0.5) else f"frechet_1d{tuple(args)}"
    return check_function(name, frechet_1d, tuple(args), expected, rtol=1e-6)


@graded
def check_sharpness(sharpness, mnist: data.Mnist, first: int = 0) -> bool:
    """``sharpness(x01)``: mean absolute difference of horizontally and vertically adjacent pixels, on the 200
    test images from ``first`` on (another ``first`` is the hidden test: the answer is a single number)."""
    from course_utils import metrics

    x01 = data.to_unit(mnist.x_test[first:first + 200])
    name = "sharpness" if first == 0 else f"sharpness (test images {first} to {first + 199})"
    return check_function(name, sharpness, (x01,), metrics.sharpness(x01), rtol=1e-5)


@graded
def check_lerp_midpoint_norm(lerp_midpoint_norm) -> bool:
    """``lerp_midpoint_norm(d)``: the expected norm of the midpoint (z0 + z1) / 2 of independent z0, z1 ~ N(0, I_d),
    exactly: the midpoint is N(0, I/2), so its norm is chi_d / sqrt(2), with E chi_d = sqrt(2) G((d+1)/2) / G(d/2)."""
    import math

    d = np.array([2.0, 64.0, 1024.0])
    expected = np.exp([math.lgamma((n + 1) / 2) - math.lgamma(n / 2) for n in d])
    return check_function("lerp_midpoint_norm", lerp_midpoint_norm, (d,), expected, rtol=1e-6)


# --- 07_failure_modes ----------------------------------------------------------

@graded
def check_saturation_ratio(saturation_ratio) -> bool:
    """``saturation_ratio(d_fake)``: for a fake the discriminator scores D = sigmoid(l), the size of the saturating
    loss's gradient with respect to the logit l, |d/dl log(1 - D)| = D, over the non-saturating one's,
    |d/dl -log D| = 1 - D: D / (1 - D), which goes to 0 as the discriminator wins (D -> 0)."""
    d = np.array([0.5, 0.1, 1e-3, 1e-6, 0.9])
    return check_function("saturation_ratio", saturation_ratio, (d,), d / (1 - d), rtol=1e-9)


@graded
def check_checkerboard_share(checkerboard_share, mnist: data.Mnist, first: int = 0) -> bool:
    """``checkerboard_share(images)``: the share of the images' spectral power, the mean's left out, on the Nyquist
    row and column of their 2-D Fourier transforms (``diagnostics.checkerboard_share``), on four image sets made
    from the test images from ``first`` on (another ``first`` is the hidden test: each answer is a single number)."""
    from course_utils import diagnostics

    rng = np.random.default_rng(7 + first)
    i, j = np.indices((28, 28))
    board = (-1.0) ** (i + j)
    sets = {"a checkerboard on a digit": data.to_unit(mnist.x_test[first:first + 8])[..., 0] + 0.3 * board,
            "stripes on a grey ground": 0.5 + 0.2 * (-1.0) ** j + 0.1 * rng.random((4, 28, 28)),
            "digits": data.to_unit(mnist.x_test[first + 8:first + 40])[..., 0],
            "noise": rng.random((16, 28, 28))}
    where = "" if first == 0 else f", test images from {first} on"
    verdicts = [check_function(f"checkerboard_share ({name}{where})", checkerboard_share, (images,),
                               diagnostics.checkerboard_share(images), rtol=1e-6) for name, images in sets.items()]
    return all(verdicts)


FAILURES = ("healthy", "mode collapse", "discriminator wins", "checkerboard", "posterior collapse")
EVIDENCE = {"healthy": {None}, "mode collapse": {"classes", "class_distance"},
            "discriminator wins": {"d_fake", "g_grad_norm"}, "checkerboard": {"checkerboard_share"},
            "posterior collapse": {"informative", "kl"}}


def _mystery_runs_with_answers(seed: int = 2026) -> list[tuple[dict, str]]:
    """The reports of ``mystery_runs(seed)`` with their answers, in the same order."""
    rng = np.random.default_rng(seed)

    def jitter(value, spread=0.1):
        return round(float(value * rng.uniform(1 - spread, 1 + spread)), 5)

    def gan(classes=10, class_distance=0.1, d_fake=0.48, g_grad_norm=0.5, checkerboard_share=0.005):
        return {"model": "gan", "generator_loss": "saturating", "classes": classes,
                "class_distance": jitter(class_distance), "d_fake": jitter(d_fake), "g_grad_norm": jitter(g_grad_norm),
                "checkerboard_share": jitter(checkerboard_share)}

    def vae(active_units=32, informative=31, kl=26.0):
        return {"model": "vae", "active_units": active_units, "informative": informative, "kl": jitter(kl)}

    runs = [(gan(), "healthy"), (gan(classes=9, class_distance=0.13, checkerboard_share=0.009), "healthy"),
            (gan(classes=2, class_distance=0.8), "mode collapse"),
            (gan(classes=8, class_distance=0.41), "mode collapse"),
            (gan(d_fake=3e-5, g_grad_norm=2e-3), "discriminator wins"),
            (gan(checkerboard_share=0.3), "checkerboard"),
            (vae(), "healthy"), (vae(informative=30, kl=27.0), "healthy"),
            (vae(informative=13, kl=7.4), "posterior collapse"), (vae(active_units=3, informative=2, kl=1.5),
                                                                   "posterior collapse")]
    return [runs[i] for i in rng.permutation(len(runs))]


def mystery_runs(seed: int = 2026) -> list[dict]:
    """Reports of ten constructed runs, each healthy or showing one failure of notebook 07, in random order; the
    numbers are in the range of the notebook's own.  GAN runs (last epoch, trained with the saturating loss):
    ``classes`` (digits with at least 1% of the samples), ``class_distance`` (total variation from the test set's
    label shares), ``d_fake`` (mean D(G(z))), ``g_grad_norm`` (the norm of the generator's gradient),
    ``checkerboard_share``.  VAE runs: ``active_units`` (of 32, Burda et al.'s count), ``informative`` (dimensions
    with a KL above 0.1 nats) and ``kl`` (nats per image).  Another ``seed`` draws other numbers in the same
    ranges, in another order (the hidden test)."""
    return [report for report, _ in _mystery_runs_with_answers(seed)]


@graded
def check_diagnose(diagnose, seed: int = 2026) -> bool:
    """``diagnose(report) -> (failure, evidence)``: for each of ``mystery_runs(seed)``, one of ``FAILURES`` and the
    key of the report that shows it (None for a healthy run).  The visible check says which runs are wrong, so
    another seed (other numbers, another order) is the hidden test of rules rather than remembered answers."""
    verdicts = []
    for number, (report, expected) in enumerate(_mystery_runs_with_answers(seed), start=1):
        try:
            answer = diagnose(dict(report))
        except NotImplementedError:
            print("diagnose: not attempted yet")
            return False
        if not (isinstance(answer, tuple) and len(answer) == 2):
            print(f"diagnose: return a pair (failure, evidence), e.g. ('mode collapse', 'classes'); got {answer!r}")
            return False
        failure, evidence = answer
        if failure not in FAILURES:
            print(f"run {number}: {failure!r} is not one of {FAILURES}")
            verdicts.append(False)
        elif failure != expected:
            print(f"run {number} ({report}): you said {failure!r}; look again at its numbers")
            verdicts.append(False)
        elif evidence not in EVIDENCE[failure]:
            print(f"run {number}: {failure!r} is right, but {evidence!r} is not the number that shows it "
                  f"(one of {sorted(map(str, EVIDENCE[failure]))})")
            verdicts.append(False)
        else:
            verdicts.append(True)
    runs = "runs" if seed == 2026 else f"runs of seed {seed}"
    print(f"diagnose: {sum(verdicts)} of {len(verdicts)} {runs} diagnosed correctly, with their evidence")
    return all(verdicts)


# --- 00b_primer ------------------------------------------------------------------

@graded
def check_kl_to_standard_normal(kl_to_standard_normal) -> bool:
    """``kl_to_standard_normal(mu, s)``: KL(N(mu, s^2) || N(0, 1)) in nats, elementwise, for standard deviations s,
    in closed form: 1/2 (mu^2 + s^2 - 1 - log s^2), the VAE's KL term per latent dimension.  No case has a KL of 0,
    so the relative tolerance is meaningful everywhere."""
    mu = np.array([1.0, 0.0, -0.5, 2.0, 0.3])
    s = np.array([2.0, 0.5, 1.0, 0.1, 3.0])
    expected = 0.5 * (mu**2 + s**2 - 1 - np.log(s**2))
    return check_function("kl_to_standard_normal", kl_to_standard_normal, (mu, s), expected, rtol=1e-9)


@graded
def check_jensen_gap_lognormal(jensen_gap_lognormal) -> bool:
    """``jensen_gap_lognormal(m, s)``: log E[X] - E[log X] for the log-normal X = exp(Y), Y ~ N(m, s^2), elementwise,
    in closed form: E[X] = exp(m + s^2 / 2) and E[log X] = m, so the gap is s^2 / 2, whatever m."""
    m = np.array([0.0, 1.0, -2.0, 0.5, 3.0])
    s = np.array([1.0, 0.5, 2.0, 0.1, 1.5])
    return check_function("jensen_gap_lognormal", jensen_gap_lognormal, (m, s), s**2 / 2, rtol=1e-9)


@graded
def check_overlap_counts(overlap_counts) -> bool:
    """``overlap_counts(n_in, kernel, stride)``: for a 1-D transposed convolution with "valid" padding and
    kernel >= stride, how many input positions' kernel stamps cover each of its (n_in - 1) * stride + kernel outputs:
    the transposed convolution of ones with a kernel of ones (``primer.transposed_convolution``)."""
    from course_utils import primer

    cases = [(4, 3, 2), (3, 4, 2), (5, 3, 1), (3, 5, 3)]
    return all([check_function(f"overlap_counts(n_in={n}, kernel={k}, stride={s})", overlap_counts, (n, k, s),
                               primer.transposed_convolution(np.ones((1, n)), np.ones((1, k)), s)[0], rtol=0)
                for n, k, s in cases])


@graded
def check_mse_gradient(mse_gradient) -> bool:
    """``mse_gradient(w, b, x, y)``: [dL/dw, dL/db] of L = mean((w x + b - y)^2), which the exercise computes with
    ``tf.GradientTape``; the reference is the derivative by hand, [2 mean(r x), 2 mean(r)] with r = w x + b - y."""
    rng = np.random.default_rng(26)
    cases = [(w, b, rng.normal(size=n), rng.normal(size=n)) for w, b, n in ((0.5, -1.0, 16), (2.0, 0.3, 40))]
    expected = np.array([[2 * np.mean((w * x + b - y) * x), 2 * np.mean(w * x + b - y)] for w, b, x, y in cases])
    return check_function("mse_gradient", _over_cases(mse_gradient, cases), (), expected, rtol=1e-6)


# --- 08_better_objectives --------------------------------------------------------

def _w1_gaussians_by_quadrature(m1: float, s1: float, m2: float, s2: float) -> float:
    lo, hi = min(m1 - 12 * s1, m2 - 12 * s2), max(m1 + 12 * s1, m2 + 12 * s2)
    x, dx = np.linspace(lo, hi, 400001, retstep=True)
    return theory_gan.wasserstein_1(theory_gan.gaussian_pdf(x, m1, s1), theory_gan.gaussian_pdf(x, m2, s2), dx)


@graded
def check_w1_gaussians(w1_gaussians) -> bool:
    """``w1_gaussians(m1, s1, m2, s2)``: the Wasserstein-1 distance between N(m1, s1^2) and N(m2, s2^2), in closed
    form.  The reference is the area between the two CDFs by quadrature (``theory_gan.wasserstein_1``); the cases
    include equal standard deviations (a pure shift) and equal means (a pure scaling)."""
    cases = [(0.0, 1.0, 3.0, 1.0), (0.0, 1.0, 0.0, 2.0), (0.0, 1.0, 1.0, 0.5), (-1.0, 2.0, 0.5, 0.3),
             (2.0, 0.7, -1.0, 1.7)]
    expected = np.array([_w1_gaussians_by_quadrature(*case) for case in cases])
    return check_function("w1_gaussians", _over_cases(w1_gaussians, cases), (), expected, rtol=1e-5)


@graded
def check_iw_bound_from_log_weights(iw_bound_from_log_weights) -> bool:
    """``iw_bound_from_log_weights(log_w)``: the importance-weighted bound log (1/k) sum_i w_i for each column of
    ``log_w`` (shape (k, batch), log w_i = log p(x, z_i) - log q(z_i | x)), finite for log-weights near -1000 as a
    VAE's are on MNIST; the reference is a log-sum-exp shifted by each column's largest log-weight."""
    rng = np.random.default_rng(8)
    log_w = np.concatenate([rng.normal(-3.0, 2.0, size=(50, 3)), rng.normal(-900.0, 5.0, size=(50, 2))], axis=1)
    top = log_w.max(axis=0)
    expected = top + np.log(np.mean(np.exp(log_w - top), axis=0))
    return check_function("iw_bound_from_log_weights", iw_bound_from_log_weights, (log_w,), expected, rtol=1e-9)


@graded
def check_mixture_log_density(mixture_log_density) -> bool:
    """``mixture_log_density(z, means, log_vars, logits)``: log sum_c pi_c N(z; mu_c, diag exp(log_var_c)) for each
    row of ``z`` (n, d), with pi = softmax(logits) over the C components (``means`` and ``log_vars`` are (C, d)),
    finite for a z far from every component; ``priors.MixturePrior.log_prob`` computes the same in TensorFlow."""
    rng = np.random.default_rng(20)
    means, log_vars, logits = rng.normal(size=(3, 2)), rng.normal(0, 0.5, size=(3, 2)), np.array([0.5, -1.0, 2.0])
    z = np.concatenate([rng.normal(size=(4, 2)), [[60.0, -60.0]]])
    per_component = -0.5 * (((z[:, None] - means) ** 2 / np.exp(log_vars)) + log_vars + np.log(2 * np.pi)).sum(-1)
    log_pi = logits - logits.max() - np.log(np.sum(np.exp(logits - logits.max())))
    joint = per_component + log_pi
    top = joint.max(axis=1)
    expected = top + np.log(np.sum(np.exp(joint - top[:, None]), axis=1))
    return check_function("mixture_log_density", mixture_log_density, (z, means, log_vars, logits), expected,
                          rtol=1e-9)
