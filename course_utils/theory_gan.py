"""The GAN objective where everything can be computed: 1-D densities on a grid, and a 2-D toy GAN.

Used by notebook 01 to check the theory with numbers:

- on 1-D densities: the optimal discriminator D*(x) = p_data / (p_data + p_g),
  C(G) = V(D*, G) = -log 4 + 2 JSD(p_data || p_g), and the dynamics of gradient play;
- the Wasserstein-1 distance of two 1-D densities and its optimal 1-Lipschitz critic, for notebook 08's
  comparison with D*;
- on 1-D Gaussians p_data = N(0, 1), p_g = N(mu, s^2): the generator's two losses against a discriminator
  held fixed at the optimum D*_0 for (mu0, s0), their gradients, and the divergences whose gradients they
  match: the non-saturating gradient is that of KL(p_g || p_data) - 2 JSD (Arjovsky & Bottou 2017,
  Theorem 2.5); the saturating one is that of 2 JSD (C(G) of Goodfellow et al. 2014, by the envelope
  theorem, since D*_0 maximises V at the current generator);
- on eight Gaussians on a ring: a small MLP GAN trained with ``gan.GAN``, and the two metrics of the
  mode-collapse literature (Srivastava et al. 2017, VEEGAN; Metz et al. 2017, unrolled GANs): a sample is
  *high quality* if it lies within 3 standard deviations of some mode; a mode is *covered* if at least
  ``min_share`` (default 1%) of **all** samples are high-quality samples of that mode.  VEEGAN counts a
  mode with a single high-quality sample; a threshold relative to all samples keeps a few stray samples
  of a diffuse or degenerate generator from counting as coverage.
"""

from __future__ import annotations

import keras
import numpy as np

from course_utils import gan


def gaussian_pdf(x, mean: float = 0.0, std: float = 1.0):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), pointwise (densities as arrays)."""
    p_data, p_g = np.asarray(p_data, float), np.asarray(p_g, float)
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data and p_g must be evaluated on the same points: {p_data.shape} vs {p_g.shape}")
    return p_data / (p_data + p_g)


def value(d, p_data, p_g, dx: float) -> float:
    """V(D, G) = E_data[log D] + E_g[log(1 - D)] by quadrature on a uniform grid of spacing ``dx``."""
    d = np.clip(d, 1e-300, 1 - 1e-16)
    return float(np.sum(p_data * np.log(d) + p_g * np.log1p(-d)) * dx)


def kl(p, q, dx: float) -> float:
    """KL(p || q) by quadrature (0 log 0 = 0)."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])) * dx)


def jsd(p, q, dx: float = 1.0) -> float:
    """Jensen-Shannon divergence, in nats: KL(p||m)/2 + KL(q||m)/2 with m = (p+q)/2. Between 0 and log 2."""
    m = 0.5 * (np.asarray(p, float) + np.asarray(q, float))
    return 0.5 * kl(p, m, dx) + 0.5 * kl(q, m, dx)


def gaussian_log_pdf(x, mean: float = 0.0, std: float = 1.0):
    """log N(x; mean, std^2), without the underflow of ``log(gaussian_pdf(...))`` far in the tails."""
    return -0.5 * ((x - mean) / std) ** 2 - np.log(std) - 0.5 * np.log(2 * np.pi)


def wasserstein_1(p_data, p_g, dx: float) -> float:
    """W_1(p_data, p_g) of two 1-D densities on a uniform grid: the area between their CDFs, integral |F_g - F_data|.

    In 1-D the optimal transport plan is monotone, so W_1 needs only the CDFs (Villani 2009, Remark 2.19).
    """
    p_data, p_g = _same_grid(p_data, p_g)
    return float(np.sum(np.abs(np.cumsum(p_g - p_data) * dx)) * dx)


def optimal_critic(p_data, p_g, dx: float) -> np.ndarray:
    """The 1-Lipschitz critic f that maximises E_data[f] - E_g[f], on the grid (its constant fixed so that f has
    mean 0 under the mixture (p_data + p_g) / 2).

    Integrating by parts, E_data[f] - E_g[f] = integral f'(x) (F_g(x) - F_data(x)) dx, largest for
    f' = sign(F_g - F_data), where it equals ``wasserstein_1``.  Unlike D* = p_data / (p_data + p_g), whose
    slope vanishes once the two densities stop overlapping, this critic keeps slope 1 between them.
    """
    p_data, p_g = _same_grid(p_data, p_g)
    f = np.cumsum(np.sign(np.cumsum(p_g - p_data) * dx)) * dx
    mixture = 0.5 * (p_data + p_g)
    return f - np.sum(f * mixture) / np.sum(mixture)


def _same_grid(p_data, p_g):
    p_data, p_g = np.asarray(p_data, float), np.asarray(p_g, float)
    if p_data.shape != p_g.shape or p_data.ndim != 1:
        raise ValueError(f"p_data and p_g must be 1-D arrays on the same grid: {p_data.shape} vs {p_g.shape}")
    return p_data, p_g


# --- the generator's losses against a fixed D*, on 1-D Gaussians (p_data = N(0, 1)) ---------------


def fixed_d_losses(mu: float, s: float, mu0: float, s0: float, x, dx: float) -> dict:
    """E_{p_g}[-log D*_0] (non-saturating) and E_{p_g}[log(1 - D*_0)] (saturating) by quadrature.

    p_g = N(mu, s^2); D*_0 = p_data / (p_data + p_0) is the optimal discriminator for p_0 = N(mu0, s0^2),
    held fixed, as during one generator step.  Both are computed from log-densities
    (-log D*_0 = log(1 + p_0/p_data), log(1 - D*_0) = -log(1 + p_data/p_0)) so the tails do not underflow.
    """
    log_data, log_0 = gaussian_log_pdf(x), gaussian_log_pdf(x, mu0, s0)
    weights = gaussian_pdf(x, mu, s) * dx
    return {"nonsaturating": float(weights @ np.logaddexp(0.0, log_0 - log_data)),
            "saturating": float(weights @ -np.logaddexp(0.0, log_data - log_0))}


def fixed_d_gradients(mu0: float, s0: float, x, dx: float) -> dict:
    """Gradients with respect to (mu, s), at (mu0, s0), of the two ``fixed_d_losses`` (D* held at (mu0, s0)).

    Computed without finite differences, by differentiating the density under the integral:
    d/dmu E_{N(mu, s^2)}[f] = E[f (x - mu) / s^2] and d/ds E[f] = E[f ((x - mu)^2 / s^3 - 1 / s)].
    Returns arrays [d/dmu, d/ds] under the keys "nonsaturating" and "saturating".
    """
    log_data, log_0 = gaussian_log_pdf(x), gaussian_log_pdf(x, mu0, s0)
    weights = gaussian_pdf(x, mu0, s0) * dx
    scores = np.stack([(x - mu0) / s0**2, (x - mu0) ** 2 / s0**3 - 1 / s0])  # d log p_g / d(mu, s)
    losses = {"nonsaturating": np.logaddexp(0.0, log_0 - log_data), "saturating": -np.logaddexp(0.0, log_data - log_0)}
    return {name: scores @ (weights * f) for name, f in losses.items()}


def gaussian_divergences(mu: float, s: float, x, dx: float) -> dict:
    """Divergences between p_data = N(0, 1) and p_g = N(mu, s^2), by quadrature on log-densities.

    Keys: ``kl_g_data`` = KL(p_g || p_data) (reverse KL), ``kl_data_g`` = KL(p_data || p_g) (forward KL,
    maximum likelihood's), ``kl_data_m`` and ``kl_g_m`` with m = (p_data + p_g) / 2, and
    ``jsd`` = (kl_data_m + kl_g_m) / 2.
    """
    log_data, log_g = gaussian_log_pdf(x), gaussian_log_pdf(x, mu, s)
    log_m = np.logaddexp(log_data, log_g) - np.log(2.0)
    p_data, p_g = np.exp(log_data) * dx, np.exp(log_g) * dx
    out = {"kl_g_data": float(p_g @ (log_g - log_data)), "kl_data_g": float(p_data @ (log_data - log_g)),
           "kl_data_m": float(p_data @ (log_data - log_m)), "kl_g_m": float(p_g @ (log_g - log_m))}
    out["jsd"] = 0.5 * (out["kl_data_m"] + out["kl_g_m"])
    return out


def nonsaturating_potential(mu: float, s: float, x, dx: float) -> float:
    """KL(p_g || p_data) - 2 JSD(p_data || p_g): the function whose gradient the non-saturating
    generator follows when D is optimal for the current generator (Arjovsky & Bottou 2017, Thm 2.5).
    Its *value* is not E_{p_g}[-log D*] (that is log 2 + KL(p_g || p_data) - KL(p_g || m))."""
    div = gaussian_divergences(mu, s, x, dx)
    return div["kl_g_data"] - 2 * div["jsd"]


def gradient_play(x0: float, y0: float, lr: float, steps: int, alternating: bool = False) -> np.ndarray:
    """Gradient descent on x and ascent on y for min_x max_y x*y; returns the (steps+1, 2) path.

    Simultaneous updates spiral outward (the radius grows by sqrt(1 + lr^2) per step, for every lr).
    One alternating step is the matrix [[1, -lr], [lr, 1 - lr^2]] (determinant 1, trace 2 - lr^2): for
    0 < lr < 2 it keeps x^2 + y^2 - lr x y constant and goes round that ellipse for ever; at lr = 2 the
    distance grows linearly, beyond it exponentially.  Neither converges to the equilibrium (0, 0).
    """
    path = [(x0, y0)]
    x, y = x0, y0
    for _ in range(steps):
        if alternating:
            x = x - lr * y
            y = y + lr * x
        else:
            x, y = x - lr * y, y + lr * x
        path.append((x, y))
    return np.array(path)


def quadratic_features(x):
    """[x, x^2]: the log-ratio of two Gaussian densities is quadratic in x, so a logistic
    regression on these features can represent D* exactly."""
    x = np.asarray(x, np.float32).reshape(-1, 1)
    return np.concatenate([x, x**2], axis=1)


def fit_discriminator(real, fake, epochs: int = 20, seed: int = 0) -> keras.Model:
    """Train a logistic-regression discriminator on samples (real labelled 1, fake 0).

    Returns a model mapping quadratic features to D(x) in (0, 1).
    """
    keras.utils.set_random_seed(seed)
    features = quadratic_features(np.concatenate([real, fake]))
    labels = np.concatenate([np.ones(len(real)), np.zeros(len(fake))]).astype(np.float32)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    model.fit(features, labels, batch_size=512, epochs=epochs, shuffle=True, verbose=0)
    return model


# --- eight Gaussians on a ring ----------------------------------------------------------------


def ring_centres(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_ring(n: int, n_modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0) -> np.ndarray:
    """``n`` points from an equal mixture of ``n_modes`` Gaussians (std ``std``) on a circle."""
    rng = np.random.default_rng(seed)
    centres = ring_centres(n_modes, radius)
    return (centres[rng.integers(n_modes, size=n)] + std * rng.normal(size=(n, 2))).astype(np.float32)


def mode_metrics(samples: np.ndarray, centres: np.ndarray, std: float, min_share: float = 0.01) -> dict:
    """Mode-coverage metrics of generated ``samples`` against mixture ``centres`` of standard deviation ``std``.

    - ``high_quality``: the share of samples within 3 ``std`` of their nearest centre;
    - ``per_mode``: the number of high-quality samples nearest each centre;
    - ``modes_covered``: the number of centres with at least ``max(1, ceil(min_share * n))`` high-quality
      samples, n being the number of **all** samples (20 of 2,000 by default).

    The threshold counts against all samples, not against the high-quality ones: with few high-quality
    samples a share of them would shrink to a single sample, and a generator spraying a few stray points
    everywhere would "cover" every mode.  ``min_share=0`` gives VEEGAN's rule (one sample suffices).
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples must have shape (n, {centres.shape[1]}), got {samples.shape}")
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)
    nearest, good = distances.argmin(axis=1), distances.min(axis=1) <= 3 * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    threshold = max(1, int(np.ceil(min_share * len(samples) - 1e-9)))
    return {"modes_covered": int(np.sum(counts >= threshold)), "high_quality": float(good.mean()),
            "per_mode": counts, "threshold": threshold}


def run_summary(name: str, metrics: list, d_fake, early: int = 6) -> str:
    """One line on a toy-GAN run: modes covered per epoch, the best high-quality share and coverage in the
    first ``early`` epochs, and at the end coverage, quality and how evenly the modes are filled
    (largest over smallest per-mode count; ``inf`` when a mode has no high-quality sample)."""
    covered = [m["modes_covered"] for m in metrics]
    first = metrics[:early]
    final = metrics[-1]["per_mode"]
    spread = final.max() / final.min() if final.min() > 0 else float("inf")
    d_fake = np.asarray(d_fake, dtype=np.float64)
    return (f"{name}: modes covered per epoch {' '.join(map(str, covered))}\n"
            f"    epochs 1-{len(first)}: high quality at most {max(m['high_quality'] for m in first):.0%}, "
            f"modes covered at most {max(m['modes_covered'] for m in first)}; end: {covered[-1]}/{len(final)} modes, "
            f"{metrics[-1]['high_quality']:.0%} high quality, per-mode counts {final.min()} to {final.max()} "
            f"(ratio {spread:.1f}); mean D(G(z)) per epoch {d_fake.min():.2f} to {d_fake.max():.2f}")


def mlp(input_dim: int, output_dim: int, width: int = 128, depth: int = 3, name: str | None = None) -> keras.Model:
    """A small ReLU MLP (linear output): the toy generator and discriminator."""
    inputs = keras.Input((input_dim,))
    x = inputs
    for _ in range(depth):
        x = keras.layers.Dense(width, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(output_dim)(x), name=name)


def train_toy_gan(generator_loss: str = "nonsaturating", epochs: int = 30, steps_per_epoch: int = 40,
                  batch_size: int = 256, std: float = 0.05, lr: float = 1e-3, seed: int = 0):
    """Train a small MLP GAN on the ring; return (per-epoch snapshots, per-epoch metrics, Keras history).

    Snapshots are the generator's outputs on 2,000 fixed latent points after each epoch.
    """
    keras.utils.set_random_seed(seed)
    data = sample_ring(batch_size * steps_per_epoch, std=std, seed=seed)
    model = gan.GAN(mlp(2, 2, name="generator"), mlp(2, 1, name="discriminator"), latent_dim=2,
                    generator_loss=generator_loss, seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5), g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5))
    snapshots = gan.Snapshots(np.random.default_rng(seed + 1).normal(size=(2000, 2)).astype(np.float32))
    history = model.fit(data, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[snapshots])
    centres = ring_centres()
    metrics = [mode_metrics(s, centres, std) for s in snapshots.samples]
    return snapshots.samples, metrics, history.history
