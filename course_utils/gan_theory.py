"""The GAN objective on 1-D densities, where everything can be computed on a grid.

Used by notebook 01 to check the theory with numbers: the optimal discriminator
D*(x) = p_data / (p_data + p_g), C(G) = V(D*, G) = -log 4 + 2 JSD(p_data || p_g),
and the dynamics of simultaneous gradient play.
"""

from __future__ import annotations

import keras
import numpy as np


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
