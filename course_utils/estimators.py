"""Two unbiased estimators of d/d mu E_{z ~ N(mu, sigma^2)}[f(z)], to compare their variance.

- pathwise (reparameterization): z = mu + sigma * eps, differentiate f(z) through z -- what a VAE does;
- score function (REINFORCE): f(z) * d/d mu log N(z; mu, sigma^2) = f(z) (z - mu) / sigma^2,
  which needs no derivative of f but is much noisier.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def pathwise_gradients(f, mu: float, sigma: float, n: int, seed: int = 0) -> np.ndarray:
    """Per-sample gradients of f(mu + sigma * eps) with respect to mu, by automatic differentiation."""
    eps = tf.constant(np.random.default_rng(seed).normal(size=n))
    mu_var = tf.Variable(tf.fill([n], tf.constant(mu, tf.float64)))  # one copy of mu per sample
    with tf.GradientTape() as tape:
        values = f(mu_var + sigma * eps)
    return tape.gradient(values, mu_var).numpy()


def score_function_gradients(f, mu: float, sigma: float, n: int, seed: int = 0) -> np.ndarray:
    """Per-sample REINFORCE gradients f(z) * (z - mu) / sigma^2 with z ~ N(mu, sigma^2)."""
    z = mu + sigma * np.random.default_rng(seed).normal(size=n)
    return np.asarray(f(tf.constant(z))) * (z - mu) / sigma**2
