"""The exercises' automatic checks, in the style of CS231n: compare a learner's answer with a
known one under a relative-error tolerance and say what is off.

``check_close`` and ``check_function`` are the verdicts; each ``check_<exercise>`` below runs a
learner's function on fixed inputs and compares the result with a reference computed here.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from course_utils import data, losses, theory_gan


def relative_error(got, expected) -> float:
    """max |got - expected| / max(|got| + |expected|, tiny), elementwise."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return float(np.max(np.abs(got - expected) / np.maximum(np.abs(got) + np.abs(expected), 1e-12)))


def check_close(name: str, got, expected, rtol: float = 1e-6) -> bool:
    """Print a verdict on ``got`` vs ``expected``; return True when they agree.

    ``got is None`` (the exercise stub) reports "not attempted" instead of failing,
    so a notebook with unsolved exercises still runs top to bottom.
    """
    if got is None:
        print(f"{name}: not attempted yet (your function returned None)")
        return False
    got_shape, expected_shape = np.shape(got), np.shape(expected)
    if got_shape != expected_shape:
        print(f"{name}: wrong shape {got_shape}, expected {expected_shape}")
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

def check_class_means(class_means, mnist: data.Mnist) -> bool:
    """``class_means(x_uint8, y)`` -> (10, 28, 28) mean intensity in [0, 1] per digit."""
    x, y = mnist.x_test, mnist.y_test
    expected = np.stack([x[y == digit].mean(axis=0) / 255.0 for digit in range(10)])
    return check_function("class_means", class_means, (x, y), expected, rtol=1e-5)


def check_denormalise(denormalise) -> bool:
    """``denormalise(g)``: generator output in [-1, 1] -> uint8 pixel values 0..255."""
    g = np.linspace(-1.0, 1.0, 511, dtype=np.float32)
    return check_function("denormalise", denormalise, (g,), data.from_tanh(g), rtol=0)


def check_nearest_train_index(nearest_train_index, mnist: data.Mnist) -> bool:
    """``nearest_train_index(queries, train)`` -> index of each query's nearest training image (L2)."""
    queries = data.to_unit(mnist.x_test[:5]).reshape(5, -1).astype(np.float64)
    train = data.to_unit(mnist.x_train[:2000]).reshape(2000, -1).astype(np.float64)
    expected = np.array([np.argmin(((train - q) ** 2).sum(axis=1)) for q in queries])
    return check_function("nearest_train_index", nearest_train_index, (queries, train), expected, rtol=0)


def check_binarized_ink(binarized_ink, mnist: data.Mnist) -> bool:
    """``binarized_ink(x01)`` -> expected fraction of 'on' pixels under dynamic binarization."""
    x01 = data.to_unit(mnist.x_test[:100])
    return check_function("binarized_ink", binarized_ink, (x01,), float(x01.mean()), rtol=1e-5)


# --- 01_gan_objective --------------------------------------------------------

def check_optimal_d(optimal_d) -> bool:
    x = np.linspace(-3, 3, 61)
    p_data, p_g = theory_gan.gaussian_pdf(x), theory_gan.gaussian_pdf(x, 1.0, 2.0)
    expected = theory_gan.optimal_discriminator(p_data, p_g)
    return check_function("optimal_d", optimal_d, (p_data, p_g), expected)


def check_jsd_discrete(jsd_discrete) -> bool:
    p, q = np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.1, 0.2, 0.3, 0.4])
    disjoint = check_function("jsd_discrete (disjoint)", jsd_discrete,
                                     (np.array([1.0, 0.0]), np.array([0.0, 1.0])), np.log(2))
    return disjoint and check_function("jsd_discrete", jsd_discrete, (p, q), theory_gan.jsd(p, q))


def check_ns_grad(ns_grad) -> bool:
    logits = tf.Variable(np.linspace(-6, 6, 25))
    with tf.GradientTape() as tape:
        loss = losses.generator_loss_nonsaturating(logits) * len(np.linspace(-6, 6, 25))
    d = 1 / (1 + np.exp(-logits.numpy()))
    return check_function("ns_grad", ns_grad, (d,), tape.gradient(loss, logits).numpy())


def check_spiral_radius(spiral_radius) -> bool:
    path = theory_gan.gradient_play(0.6, 0.8, lr=0.05, steps=37)
    return check_function("spiral_radius", spiral_radius, (1.0, 0.05, 37), np.linalg.norm(path[-1]))


# --- 02_vae_elbo -------------------------------------------------------------

def check_gaussian_kl(gaussian_kl_np) -> bool:
    rng = np.random.default_rng(0)
    mu, log_var = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    expected = np.asarray(losses.gaussian_kl(mu, log_var))
    return check_function("gaussian_kl", gaussian_kl_np, (mu, log_var), expected)


def check_reparameterize(reparameterize) -> bool:
    """The sample must have mean mu and standard deviation exp(log_var / 2)."""
    mu, log_var = np.array([1.0, -2.0]), np.array([0.0, np.log(9.0)])
    eps = np.array([0.5, -1.0])
    return check_function("reparameterize", reparameterize, (mu, log_var, eps), np.array([1.5, -5.0]))


def check_iw_bound(iw_bound) -> bool:
    log_w = np.array([[-1000.0, -1001.0, -1002.0], [0.0, 0.0, 0.0]])
    expected = np.asarray(losses.importance_weighted_bound(log_w))
    return check_function("iw_bound", iw_bound, (log_w,), expected)


def check_implied_variance(implied_variance) -> bool:
    """Matches s^2 where mse / kl_weight equals the Gaussian negative log-likelihood up to a constant."""
    rng = np.random.default_rng(1)
    d, kl_weight = 10, 0.02
    x, x_hat = rng.normal(size=(3, d)), rng.normal(size=(3, d))
    # find s^2 from the definition: (1 / (2 s^2)) * sum (x - x_hat)^2 == mean (x - x_hat)^2 / kl_weight
    sse = np.sum((x - x_hat) ** 2, axis=1)
    expected = float(np.mean(sse / (2 * np.mean((x - x_hat) ** 2, axis=1) / kl_weight)))
    return check_function("implied_variance", implied_variance, (d, kl_weight), expected)


# --- 04_dcgan_mnist ------------------------------------------------------------

def check_convt_output_size(convt_output_size) -> bool:
    """``convt_output_size(n, kernel, stride, padding)`` for Conv2DTranspose, checked against Keras itself."""
    import keras

    cases = [(7, 4, 2, "same"), (14, 5, 2, "same"), (4, 4, 2, "valid"), (7, 3, 1, "valid"), (5, 5, 3, "valid")]
    expected = [keras.layers.Conv2DTranspose(1, k, strides=s, padding=p).compute_output_shape((None, n, n, 1))[1]
                for n, k, s, p in cases]
    all_cases = lambda: [convt_output_size(*case) for case in cases]  # noqa: E731
    return check_function("convt_output_size", lambda: None if None in all_cases() else all_cases(), (),
                                 expected, rtol=0)


def check_d_loss_from_probs(d_loss_from_probs) -> bool:
    rng = np.random.default_rng(2)
    real_logits, fake_logits = rng.normal(size=20) * 2, rng.normal(size=20) * 2
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    expected = float(losses.discriminator_loss(real_logits, fake_logits))
    return check_function("d_loss_from_probs", d_loss_from_probs,
                                 (sigmoid(real_logits), sigmoid(fake_logits)), expected, rtol=1e-6)


def check_ema_update(ema_update) -> bool:
    """One step of an exponential moving average of weights: decay * average + (1 - decay) * new."""
    average, new = np.array([1.0, 2.0, -3.0]), np.array([0.0, 4.0, 1.0])
    return check_function("ema_update", ema_update, (average, new, 0.9), np.array([0.9, 2.2, -2.6]))


def check_dense_params(dense_params) -> bool:
    import keras

    layer = keras.layers.Dense(7 * 7 * 64, use_bias=False)
    layer.build((None, 64))
    return check_function("dense_params", dense_params, (64, 7 * 7 * 64, False), layer.count_params(), 0)


# --- 05_vae_mnist ----------------------------------------------------------------

def check_bernoulli_nll(bernoulli_nll) -> bool:
    """``bernoulli_nll(x, p)``: -log p(x) in nats per image for binary pixels x and probabilities p."""
    rng = np.random.default_rng(3)
    x = (rng.random((4, 28, 28, 1)) < 0.3).astype(np.float64)
    logits = rng.normal(size=x.shape) * 3
    expected = -np.asarray(losses.bernoulli_log_likelihood(x, logits))
    return check_function("bernoulli_nll", bernoulli_nll, (x, 1 / (1 + np.exp(-logits))), expected, 1e-6)


def check_gaussian_grid(gaussian_grid) -> bool:
    """``gaussian_grid(n)``: n latent values at the quantiles (i + 0.5) / n of N(0, 1)."""
    from statistics import NormalDist

    expected = np.array([NormalDist().inv_cdf((i + 0.5) / 7) for i in range(7)])
    return check_function("gaussian_grid", gaussian_grid, (7,), expected, rtol=1e-9)


def check_slerp(slerp) -> bool:
    """``slerp(z0, z1, t)``: spherical interpolation, which keeps the norm typical of a Gaussian latent."""
    z0, z1 = np.array([1.0, 0.0, 0.0]), np.array([0.0, 2.0, 0.0])
    omega = np.pi / 2
    t = 0.25
    expected = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
    return check_function("slerp", slerp, (z0, z1, t), expected, rtol=1e-9)


def check_bits_per_dim(bits_per_dim) -> bool:
    """``bits_per_dim(nll_nats)`` for 28x28 images: nats -> bits, per pixel."""
    return check_function("bits_per_dim", bits_per_dim, (86.0,), 86.0 / (784 * np.log(2)), rtol=1e-9)


# --- 03_article_errata -------------------------------------------------------------

def check_denormalise_pair(article_denormalise, fixed_denormalise) -> bool:
    img = np.linspace(-1, 1, 9)
    article_ok = check_function("article_denormalise", article_denormalise, (img,), (img * 0.5 + 1) * 255)
    fixed_ok = check_function("fixed_denormalise", fixed_denormalise, (img,),
                                     data.from_tanh(img).astype(np.float64), rtol=1e-2)
    return article_ok and fixed_ok


def check_sampling_pair(article_sampling, reparameterized_sampling) -> bool:
    mean, log_var, eps = np.array([0.5, -2.0]), np.array([0.0, np.log(4.0)]), np.array([1.0, -0.5])
    article_ok = check_function("article_sampling", article_sampling, (mean, log_var), np.array([0.5, -4.0]))
    fixed_ok = check_function("reparameterized_sampling", reparameterized_sampling, (mean, log_var, eps),
                                     np.array([1.5, -3.0]))
    return article_ok and fixed_ok


def check_steps_to_epochs(steps_to_epochs) -> bool:
    return check_function("steps_to_epochs", steps_to_epochs, (100000, 128, 60000), 100000 * 128 / 60000)


# --- 06_gan_vs_vae -------------------------------------------------------------

def check_frechet_1d(frechet_1d) -> bool:
    """``frechet_1d(m1, s1, m2, s2)``: Fréchet distance between N(m1, s1²) and N(m2, s2²)."""
    from course_utils import metrics

    args = (0.5, 2.0, -1.0, 0.5)
    expected = metrics.frechet_distance(np.array([0.5]), np.array([[4.0]]), np.array([-1.0]), np.array([[0.25]]))
    return check_function("frechet_1d", frechet_1d, args, expected, rtol=1e-6)


def check_sharpness(sharpness, mnist: data.Mnist) -> bool:
    """``sharpness(x01)``: mean absolute difference of horizontally and vertically adjacent pixels."""
    from course_utils import metrics

    x01 = data.to_unit(mnist.x_test[:200])
    return check_function("sharpness", sharpness, (x01,), metrics.sharpness(x01), rtol=1e-5)


def check_lerp_midpoint_norm(lerp_midpoint_norm) -> bool:
    """``lerp_midpoint_norm(d)``: expected norm of (z0 + z1) / 2 for independent z0, z1 ~ N(0, I_d), large d."""
    d = np.array([2.0, 64.0, 1024.0])
    return check_function("lerp_midpoint_norm", lerp_midpoint_norm, (d,), np.sqrt(d / 2), rtol=1e-6)
