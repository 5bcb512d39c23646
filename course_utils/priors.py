"""A learned prior for the VAE: a mixture of diagonal Gaussians, p(z) = sum_c w_c N(z; mu_c, diag(sigma_c^2)).

The standard normal prior is fixed, and the ELBO's KL term pulls every q(z|x) towards it; what the encoder
cannot squeeze into N(0, I) leaves regions the prior covers but no training image maps to (notebook 07's
"holes"), where samples decode to what no training image looks like.  A learned prior can move its mass towards
where the encoder's posteriors are (the aggregate posterior); whether its samples then score better is measured
(``benchmarks/bench_objectives.py``), not assumed.  The mixture's
weights, means and log-variances are trained with the VAE, on the same ELBO.  (The VampPrior of Tomczak &
Welling 2018 is a mixture too, of the encoder's own posteriors at learned pseudo-inputs.)

Its KL term has no closed form: ``VAE`` estimates KL(q(z|x) || p(z)) = E_q[log q(z|x) - log p(z)] with the same
z ~ q(z|x) that the reconstruction term uses (one sample, unbiased).

``MixturePrior`` is a small ``keras.Model`` so that ``training.fit_or_load`` saves it with the VAE's networks and
``training.averaged_copy`` can follow it with an averaged copy.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from course_utils import losses


class MixturePrior(keras.Model):
    """p(z) = sum_c softmax(logits)_c N(z; means_c, diag(exp(log_vars_c))), ``components`` Gaussians in
    ``latent_dim`` dimensions.

    At initialisation the weights are equal, the variances 1 and the means drawn from N(0, ``spread``^2 I) with
    ``seed``.  ``log_prob(z)`` gives log p(z) per row of ``z`` (shape (batch, latent_dim)), in the dtype of ``z``
    (float64 for exact checks); ``sample(n, seed)`` draws n latents as NumPy.  With one component of mean 0 and
    variance 1 it is the standard normal prior.
    """

    def __init__(self, latent_dim: int, components: int, spread: float = 1.0, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if int(components) != components or components < 1 or int(latent_dim) != latent_dim or latent_dim < 1:
            raise ValueError(f"MixturePrior needs whole numbers latent_dim >= 1 and components >= 1; got latent_dim="
                             f"{latent_dim!r}, components={components!r}")
        self.latent_dim, self.components, self.spread, self.seed = int(latent_dim), int(components), spread, seed
        start = np.random.default_rng(seed).normal(0.0, spread, (self.components, self.latent_dim))
        self.means = self.add_weight(shape=start.shape, initializer=keras.initializers.Constant(start), name="means")
        self.log_vars = self.add_weight(shape=start.shape, initializer="zeros", name="log_vars")
        self.logits = self.add_weight(shape=(self.components,), initializer="zeros", name="logits")
        self.built = True

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "components": self.components,
                "spread": self.spread, "seed": self.seed}

    def call(self, z):
        return self.log_prob(z)

    def log_prob(self, z):
        """log p(z) per row of ``z``: the log-sum-exp over components of log w_c + log N(z; mu_c, sigma_c^2)."""
        z = ops.convert_to_tensor(z)
        if len(z.shape) != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"log_prob takes latents of shape (batch, {self.latent_dim}); got {tuple(z.shape)}")
        dtype = z.dtype
        means, log_vars = ops.cast(self.means, dtype), ops.cast(self.log_vars, dtype)
        log_weights = ops.log_softmax(ops.cast(self.logits, dtype))
        difference = z[:, None, :] - means[None]                                          # (batch, C, latent)
        log_normal = -0.5 * ops.sum(losses.LOG_2PI + log_vars + ops.square(difference) * ops.exp(-log_vars), axis=2)
        return ops.logsumexp(log_normal + log_weights, axis=1)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` latents drawn from the mixture (a component by its weight, then its Gaussian), float32 NumPy."""
        rng = np.random.default_rng(seed)
        weights = ops.convert_to_numpy(ops.softmax(self.logits)).astype(np.float64)
        chosen = rng.choice(self.components, size=n, p=weights / weights.sum())
        means, log_vars = ops.convert_to_numpy(self.means)[chosen], ops.convert_to_numpy(self.log_vars)[chosen]
        return (means + np.exp(0.5 * log_vars) * rng.standard_normal((n, self.latent_dim))).astype(np.float32)
