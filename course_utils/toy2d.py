"""A 2-D toy problem for GANs: eight Gaussians on a ring, and the mode-collapse metrics.

The metrics are those of the mode-collapse literature (e.g. Srivastava et al. 2017,
VEEGAN; Metz et al. 2017, unrolled GANs): a sample is *high quality* if it lies within
3 standard deviations of some mode, and a mode is *covered* if it receives at least
one high-quality sample in ``min_count`` (default: 1% of the high-quality samples).
"""

from __future__ import annotations

import keras
import numpy as np

from course_utils import gan


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
