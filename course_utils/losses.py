"""Losses and log-densities for GANs and VAEs, written once and checked against closed forms.

Everything works on logits (pre-sigmoid scores) and log-variances, because that is
where the numerically stable formulas live: ``log sigmoid(a) = -softplus(-a)``
never takes the log of a rounded-to-zero probability.

Conventions: a GAN discriminator returns one logit per example, D(x) = sigmoid(logit).
A VAE encoder returns ``mean`` and ``log_var`` of shape (batch, latent_dim); the
per-example terms are summed over every non-batch axis and returned with shape (batch,).
The functions accept NumPy arrays or tensors (``keras.ops``) and return tensors.
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

LOG_2PI = math.log(2.0 * math.pi)


def _same_shape(what: str, a, b) -> None:
    """Compare static shapes; an unknown dimension (None, inside a traced graph) matches anything."""
    shape_a, shape_b = tuple(np.shape(a) if not hasattr(a, "shape") else a.shape), tuple(
        np.shape(b) if not hasattr(b, "shape") else b.shape)
    if len(shape_a) != len(shape_b) or any(x is not None and y is not None and x != y
                                           for x, y in zip(shape_a, shape_b)):
        raise ValueError(f"{what}: shapes {shape_a} and {shape_b} must match")


def _as_float(*arrays):
    """Tensors of one float dtype: float64 if any input is float64 (exact maths checks), else float32."""
    dtype = "float64" if any("float64" in str(getattr(a, "dtype", np.float32)) for a in arrays) else "float32"
    return [ops.cast(ops.convert_to_tensor(a), dtype) for a in arrays]


def _sum_per_example(values):
    """Sum over every axis but the first (batch) one."""
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)


# --- GAN ---------------------------------------------------------------------


def discriminator_loss(real_logits, fake_logits):
    """-E[log D(x)] - E[log(1 - D(G(z)))]: the negated value function V(D, G), which D maximises.

    At D = 1/2 everywhere each term is log 2 (total log 4); its minimum over D is
    log 4 - 2 JSD(p_data || p_g).
    """
    real_logits, fake_logits = _as_float(real_logits, fake_logits)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def generator_loss_saturating(fake_logits):
    """E[log(1 - D(G(z)))], the minimax generator loss (the article's formula).

    Its gradient vanishes when D confidently rejects the fakes (D(G(z)) -> 0),
    which is exactly the situation early in training.
    """
    (fake_logits,) = _as_float(fake_logits)
    return -ops.mean(ops.softplus(fake_logits))


def generator_loss_nonsaturating(fake_logits):
    """-E[log D(G(z))], the loss used in practice: same fixed point, strong gradients when D wins."""
    (fake_logits,) = _as_float(fake_logits)
    return ops.mean(ops.softplus(-fake_logits))


def r1_penalty(input_gradients):
    """(1/2) E||grad_x logit(x)||^2 over a batch of real images: the R1 penalty (Mescheder et al. 2018).

    ``input_gradients`` are the gradients of the discriminator's logits with respect to the
    real images (``gan.GAN`` takes them with a nested ``GradientTape``).  Added to the
    discriminator's loss with a weight gamma, it keeps the discriminator flat around the real
    data, so it cannot grow steep walls that make the game oscillate.  For a linear
    discriminator logit = w.x + b the gradient is w, and the penalty is ||w||^2 / 2.
    """
    (input_gradients,) = _as_float(input_gradients)
    return 0.5 * ops.mean(_sum_per_example(ops.square(input_gradients)))


def critic_loss_wasserstein(real_scores, fake_scores):
    """E[f(G(z))] - E[f(x)]: the WGAN critic's loss (Arjovsky et al. 2017), f returning unbounded scores.

    Minus this loss, E[f(x)] - E[f(G(z))], is the critic's estimate of the Wasserstein-1 distance; it is a
    lower bound on it only while f is 1-Lipschitz, which ``gradient_penalty`` encourages.
    """
    real_scores, fake_scores = _as_float(real_scores, fake_scores)
    return ops.mean(fake_scores) - ops.mean(real_scores)


def generator_loss_wasserstein(fake_scores):
    """-E[f(G(z))]: the generator raises the critic's score of its samples."""
    (fake_scores,) = _as_float(fake_scores)
    return -ops.mean(fake_scores)


def discriminator_loss_hinge(real_scores, fake_scores):
    """E[max(0, 1 - f(x))] + E[max(0, 1 + f(G(z)))]: the hinge loss of the discriminator (Lim & Ye 2017; Miyato et
    al. 2018 train it with spectral normalization).  Scores beyond the margins (f(x) >= 1 on real data, f <= -1 on
    fakes) cost nothing, so unlike the cross-entropy it stops pushing once an example is classified with a margin;
    the generator's loss is ``generator_loss_wasserstein``, -E[f(G(z))]."""
    real_scores, fake_scores = _as_float(real_scores, fake_scores)
    return ops.mean(ops.relu(1.0 - real_scores)) + ops.mean(ops.relu(1.0 + fake_scores))


def interpolates(real, fake, seed=None):
    """x_hat = a x + (1 - a) G(z) with a ~ U(0, 1) drawn once per example (WGAN-GP, Gulrajani et al. 2017):
    the points between real and fake samples where the gradient penalty is taken.  ``seed``: an int or a
    ``keras.random.SeedGenerator``."""
    import keras

    real, fake = _as_float(real, fake)
    _same_shape("interpolates(real, fake)", real, fake)
    shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
    alpha = keras.random.uniform(shape, dtype=real.dtype, seed=seed)
    return alpha * real + (1.0 - alpha) * fake


def gradient_penalty(input_gradients, epsilon: float = 1e-12):
    """E[(||grad_x f(x_hat)|| - 1)^2]: the WGAN-GP penalty (Gulrajani et al. 2017) on the critic's gradients at
    ``interpolates``.  The norm is sqrt(sum g^2 + epsilon): the plain square root has an infinite derivative at
    a zero gradient (a flat critic), and its NaN would spread into every weight."""
    (input_gradients,) = _as_float(input_gradients)
    norms = ops.sqrt(_sum_per_example(ops.square(input_gradients)) + epsilon)
    return ops.mean(ops.square(norms - 1.0))


# --- VAE ---------------------------------------------------------------------


def gaussian_kl_per_dimension(mean, log_var):
    """KL(N(mean_j, exp(log_var_j)) || N(0, 1)) for every example and latent dimension j, in nats.

    Closed form: 1/2 * (mean^2 + exp(log_var) - 1 - log_var).  Zero at mean=0, log_var=0;
    mean^2 / 2 when the variance is 1.  A diagonal Gaussian's KL is the sum over j (``gaussian_kl``).
    """
    _same_shape("gaussian_kl(mean, log_var)", mean, log_var)
    mean, log_var = _as_float(mean, log_var)
    return 0.5 * (ops.square(mean) + ops.exp(log_var) - 1.0 - log_var)


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example, in nats: the sum over the latent dimensions of
    ``gaussian_kl_per_dimension``."""
    return _sum_per_example(gaussian_kl_per_dimension(mean, log_var))


def log_normal_diag(z, mean, log_var):
    """log N(z; mean, diag(exp(log_var))) per example (use mean=0, log_var=0 for the prior)."""
    _same_shape("log_normal_diag(z, mean)", z, mean)
    _same_shape("log_normal_diag(z, log_var)", z, log_var)
    z, mean, log_var = _as_float(z, mean, log_var)
    return -0.5 * _sum_per_example(LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var))


def bernoulli_log_likelihood(x, logits):
    """log p(x | z) for binary pixels x with Bernoulli(sigmoid(logits)), per example, in nats.

    Equals -binary_cross_entropy summed over pixels: x*a - softplus(a) for logit a.
    """
    _same_shape("bernoulli_log_likelihood(x, logits)", x, logits)
    x, logits = _as_float(x, logits)
    return _sum_per_example(x * logits - ops.softplus(logits))


def gaussian_log_likelihood(x, mean, log_var):
    """log N(x; mean, exp(log_var)) per example; ``log_var`` may be a scalar (fixed variance).

    With a fixed variance s^2 this is -||x - mean||^2 / (2 s^2) + constant: minimising
    the MSE is maximum likelihood under a Gaussian with an unstated, fixed variance.
    """
    _same_shape("gaussian_log_likelihood(x, mean)", x, mean)
    x, mean, log_var = _as_float(x, mean, log_var)
    log_var = ops.broadcast_to(log_var, ops.shape(mean))
    return log_normal_diag(x, mean, log_var)


def elbo(log_likelihood, kl, beta: float = 1.0):
    """E_q[log p(x|z)] - beta * KL(q(z|x) || p(z)) per example (beta=1: the true ELBO)."""
    _same_shape("elbo(log_likelihood, kl)", log_likelihood, kl)
    log_likelihood, kl = _as_float(log_likelihood, kl)
    return log_likelihood - beta * kl


def importance_weighted_bound(log_weights):
    """log (1/K) sum_k exp(log_weights[:, k]) per example, computed stably (log-sum-exp).

    ``log_weights`` has shape (batch, K) with log w = log p(x|z_k) + log p(z_k) - log q(z_k|x),
    z_k ~ q(z|x).  K=1 gives an unbiased ELBO estimate; the bound rises toward log p(x) as K grows.
    """
    if len(ops.shape(log_weights)) != 2:
        raise ValueError(f"log_weights must have shape (batch, K), got {tuple(ops.shape(log_weights))}")
    (log_weights,) = _as_float(log_weights)
    k = ops.shape(log_weights)[1]
    return ops.logsumexp(log_weights, axis=1) - math.log(k)
