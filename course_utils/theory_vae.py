"""The VAE maths where everything is known exactly, and the two gradient estimators (notebook 02).

**A linear-Gaussian latent model** (``LinearGaussian``, probabilistic PCA):

    z ~ N(0, I_k),    x | z ~ N(W z + b, noise_var * I_d)

The marginal p(x) = N(b, W W^T + noise_var I) and the posterior p(z | x) are Gaussian
in closed form, and so is the ELBO of any Gaussian q(z | x).  That makes it the
reference for checking VAE maths: ELBO <= log p(x) with equality at the true posterior,
and importance-weighted bounds that climb to log p(x).  For an encoder whose mean is linear in x,
q(z | x) = N(A (x - b), S), and data from the model's own marginal, the aggregate posterior
q(z) = E_x q(z | x) is Gaussian too, so the rate, the mutual information I_q(x; z) and
KL(q(z) || p(z)) are closed forms (``encoder_information``).

**Two unbiased estimators** of d/d mu E_{z ~ N(mu, sigma^2)}[f(z)], to compare their variance:

- pathwise (reparameterization): z = mu + sigma * eps, differentiate f(z) through z -- what a VAE does;
- score function (REINFORCE): f(z) * d/d mu log N(z; mu, sigma^2) = f(z) (z - mu) / sigma^2,
  which needs no derivative of f.

For smooth f the pathwise estimator is usually far less noisy, but that is not a law: its variance grows
with f's slope, while the score function's is bounded by sup f^2 / sigma^2, so for a rapidly oscillating f
(sin(20 z)) the score function wins (Mohamed, Rosca, Figurnov & Mnih 2020, JMLR, "Monte Carlo Gradient
Estimation in Machine Learning").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from course_utils import losses

LOG_2PI = np.log(2 * np.pi)


@dataclass
class LinearGaussian:
    W: np.ndarray  # (d, k)
    b: np.ndarray  # (d,)
    noise_var: float

    @classmethod
    def random(cls, d: int, k: int, noise_var: float = 0.5, seed: int = 0) -> LinearGaussian:
        rng = np.random.default_rng(seed)
        return cls(rng.normal(size=(d, k)), rng.normal(size=d), noise_var)

    @classmethod
    def with_diagonal_posterior(cls, d: int = 6, scales=(2.0, 0.7), noise_var: float = 0.3,
                                seed: int = 0) -> LinearGaussian:
        """Orthogonal columns make W^T W, hence the posterior covariance, diagonal: then a
        diagonal Gaussian q -- a VAE encoder's family -- can equal the true posterior."""
        rng = np.random.default_rng(seed)
        q, _ = np.linalg.qr(rng.normal(size=(d, len(scales))))
        return cls(q * np.asarray(scales), rng.normal(size=d), noise_var)

    def diagonal_posterior(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, log_var) of the posterior's diagonal, shaped like a VAE encoder's output."""
        mean, cov = self.posterior(x)
        return mean, np.log(np.broadcast_to(np.diag(cov), mean.shape))

    @property
    def d(self) -> int:
        return self.W.shape[0]

    @property
    def k(self) -> int:
        return self.W.shape[1]

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        z = rng.normal(size=(n, self.k))
        return z @ self.W.T + self.b + np.sqrt(self.noise_var) * rng.normal(size=(n, self.d))

    def log_marginal(self, x: np.ndarray) -> np.ndarray:
        """Exact log p(x) per row of ``x``: a Gaussian with covariance W W^T + noise_var I."""
        cov = self.W @ self.W.T + self.noise_var * np.eye(self.d)
        _, logdet = np.linalg.slogdet(cov)
        centred = x - self.b
        mahalanobis = np.einsum("nd,nd->n", centred, np.linalg.solve(cov, centred.T).T)
        return -0.5 * (self.d * LOG_2PI + logdet + mahalanobis)

    def posterior(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact p(z | x) = N(mean, cov): cov = noise_var M^-1, mean = M^-1 W^T (x - b), M = W^T W + noise_var I."""
        m = self.W.T @ self.W + self.noise_var * np.eye(self.k)
        mean = np.linalg.solve(m, self.W.T @ (x - self.b).T).T
        return mean, self.noise_var * np.linalg.inv(m)

    def rate_distortion(self, x: np.ndarray, q_mean: np.ndarray, q_cov: np.ndarray):
        """Exact (rate, distortion) per row for q(z | x) = N(q_mean, q_cov).

        rate = KL(q || N(0, I)); distortion = -E_q[log p(x | z)].  ELBO = -(distortion + rate).
        """
        residual = x - self.b - q_mean @ self.W.T
        trace = np.trace(self.W.T @ self.W @ q_cov)
        distortion = 0.5 * (self.d * np.log(2 * np.pi * self.noise_var)
                            + (np.sum(residual**2, axis=1) + trace) / self.noise_var)
        _, logdet = np.linalg.slogdet(q_cov)
        rate = 0.5 * (np.trace(q_cov) + np.sum(q_mean**2, axis=1) - self.k - logdet)
        return rate, distortion

    def elbo(self, x: np.ndarray, q_mean: np.ndarray, q_cov: np.ndarray) -> np.ndarray:
        """Exact ELBO of q(z | x) = N(q_mean, q_cov) per row: E_q[log p(x|z)] - KL(q || N(0, I))."""
        rate, distortion = self.rate_distortion(x, q_mean, q_cov)
        return -distortion - rate

    def kl_to_posterior(self, x: np.ndarray, q_mean: np.ndarray, q_cov: np.ndarray) -> np.ndarray:
        """KL(q(z|x) || p(z|x)) per row, between two Gaussians in closed form."""
        post_mean, post_cov = self.posterior(x)
        precision = np.linalg.inv(post_cov)
        diff = post_mean - q_mean
        _, logdet_q = np.linalg.slogdet(q_cov)
        _, logdet_p = np.linalg.slogdet(post_cov)
        return 0.5 * (np.trace(precision @ q_cov) + np.einsum("nk,kl,nl->n", diff, precision, diff)
                      - self.k + logdet_p - logdet_q)

    def beta_objective(self, x: np.ndarray, q_mean: np.ndarray, q_cov: np.ndarray, beta: float) -> np.ndarray:
        """E_q[log p(x|z)] - beta * KL(q || p(z)) per row, exactly (beta = 1: the ELBO)."""
        rate, distortion = self.rate_distortion(x, q_mean, q_cov)
        return -distortion - beta * rate

    def beta_optimal_encoder(self, beta: float) -> tuple[np.ndarray, np.ndarray]:
        """(A, S) of the Gaussian q(z | x) = N(A (x - b), S) maximising the beta-objective for every x.

        Setting the derivatives to zero gives S = beta (W^T W / noise_var + beta I)^-1 and
        A = (W^T W + beta noise_var I)^-1 W^T; at beta = 1 this is the exact posterior.
        """
        wtw = self.W.T @ self.W
        cov = beta * np.linalg.inv(wtw / self.noise_var + beta * np.eye(self.k))
        gain = np.linalg.solve(wtw + beta * self.noise_var * np.eye(self.k), self.W.T)
        return gain, cov

    def beta_optimal_q(self, x: np.ndarray, beta: float):
        """(mean per row, cov) of the q maximising E_q[log p(x|z)] - beta * KL(q || p(z)) (beta=1: the posterior)."""
        gain, cov = self.beta_optimal_encoder(beta)
        return (x - self.b) @ gain.T, cov

    def encoder_information(self, gain: np.ndarray, cov: np.ndarray) -> dict:
        """Rate, mutual information and marginal KL of q(z | x) = N(gain (x - b), cov), x ~ p(x), in nats.

        With C = W W^T + noise_var I the covariance of p(x), the aggregate posterior is
        q(z) = N(0, Sigma), Sigma = gain C gain^T + cov.  Then

        - ``rate`` = E_x KL(q(z|x) || p(z)) = (tr Sigma - k - log det cov) / 2,
        - ``mutual_information`` I_q(x; z) = E_x KL(q(z|x) || q(z)) = (log det Sigma - log det cov) / 2,
        - ``marginal_kl`` = KL(q(z) || p(z)) = (tr Sigma - k - log det Sigma) / 2,

        so rate = mutual_information + marginal_kl: the rate bounds I_q from above.
        """
        data_cov = self.W @ self.W.T + self.noise_var * np.eye(self.d)
        aggregate = gain @ data_cov @ gain.T + cov
        _, logdet_cov = np.linalg.slogdet(cov)
        _, logdet_agg = np.linalg.slogdet(aggregate)
        return {"rate": 0.5 * (np.trace(aggregate) - self.k - logdet_cov),
                "mutual_information": 0.5 * (logdet_agg - logdet_cov),
                "marginal_kl": 0.5 * (np.trace(aggregate) - self.k - logdet_agg),
                "aggregate_cov": aggregate}

    def log_weights(self, x: np.ndarray, q_mean: np.ndarray, q_log_var: np.ndarray, n_samples: int,
                    seed: int = 0) -> np.ndarray:
        """log p(x|z) + log p(z) - log q(z|x) for ``n_samples`` draws z ~ q = N(q_mean, diag(exp(q_log_var))).

        Returns shape (n, n_samples), the input of ``losses.importance_weighted_bound``.
        """
        rng = np.random.default_rng(seed)
        n = x.shape[0]
        eps = rng.normal(size=(n_samples, n, self.k))
        z = (q_mean + np.exp(0.5 * q_log_var) * eps).reshape(n_samples * n, self.k)
        tile = lambda a: np.broadcast_to(a, (n_samples, *a.shape)).reshape(n_samples * n, -1)  # noqa: E731
        decoded = z @ self.W.T + self.b
        log_lik = losses.gaussian_log_likelihood(tile(x), decoded, np.log(self.noise_var))
        log_prior = losses.log_normal_diag(z, np.zeros_like(z), np.zeros_like(z))
        log_q = losses.log_normal_diag(z, tile(q_mean), tile(q_log_var))
        return np.asarray(log_lik + log_prior - log_q).reshape(n_samples, n).T


def gaussian_weights_bounded(target_cov: np.ndarray, proposal_cov: np.ndarray) -> bool:
    """Whether the density ratio N(z; m1, target_cov) / N(z; m2, proposal_cov) is bounded in z.

    The log-ratio is a quadratic in z whose leading term is -z^T (target_cov^-1 - proposal_cov^-1) z / 2, so
    it is bounded above exactly when proposal_cov - target_cov is positive definite (for positive
    semi-definite with a zero eigenvalue, boundedness would depend on the means; reported as False).
    Importance weights p(x, z) / q(z | x) = p(x) p(z | x) / q(z | x) of a Gaussian posterior and a Gaussian
    q are bounded exactly then: Burda et al.'s (2016) sufficient condition for L_K -> log p(x).
    """
    return bool(np.linalg.eigvalsh(np.asarray(proposal_cov) - np.asarray(target_cov)).min() > 1e-12)


# --- gradient estimators ------------------------------------------------------------------------


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
