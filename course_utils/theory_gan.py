"""The GAN objective where everything can be computed: 1-D densities on a grid, and a 2-D toy GAN.

Used by notebook 01 to check the theory with numbers:

- on 1-D densities: the optimal discriminator D*(x) = p_data / (p_data + p_g),
  C(G) = V(D*, G) = -log 4 + 2 JSD(p_data || p_g), and the dynamics of gradient play;
- on eight Gaussians on a ring: a small MLP GAN trained with ``gan.GAN``, and the metrics of the
  mode-collapse literature (e.g. Srivastava et al. 2017, VEEGAN; Metz et al. 2017, unrolled GANs):
  a sample is *high quality* if it lies within 3 standard deviations of some mode, and a mode is
  *covered* if it receives at least ``min_share`` (default 1%) of the high-quality samples.
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


def gradient_play(x0: float, y0: float, lr: float, steps: int, alternating: bool = False) -> np.ndarray:
    """Gradient descent on x and ascent on y for min_x max_y x*y; returns the (steps+1, 2) path.

    Simultaneous updates spiral outward (the radius grows by sqrt(1 + lr^2) per step);
    alternating updates orbit and never settle: neither converges to the equilibrium (0, 0).
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
    """``modes_covered`` and ``high_quality`` (share of samples within 3 std of a mode)."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples must have shape (n, {centres.shape[1]}), got {samples.shape}")
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)
    nearest, good = distances.argmin(axis=1), distances.min(axis=1) <= 3 * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    covered = int(np.sum(counts >= max(1, min_share * good.sum()))) if good.any() else 0
    return {"modes_covered": covered, "high_quality": float(good.mean()), "per_mode": counts}


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
