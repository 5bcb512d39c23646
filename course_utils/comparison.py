"""Scoring several trained generators the same way and printing one table (notebook 06).

Every model, seed and the real-data floor go through the same ``metrics.evaluate`` on the
same number of samples against the MNIST test set; each cell of the table is the mean ± the
standard deviation over seeds (the floor's "seeds" are disjoint slices of the training set).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import numpy as np

from course_utils import metrics

Decoder = Callable[[np.ndarray], np.ndarray]

ROWS = [  # (key, label, format)
    ("fid", "MNIST-FID ↓", "{:.2f}"),
    ("kid_x1000", "KID × 1000 ↓", "{:.2f}"),
    ("precision", "precision (k=3) ↑", "{:.3f}"),
    ("recall", "recall (k=3) ↑", "{:.3f}"),
    ("classes_present", "classes present (of 10)", "{:.1f}"),
    ("sharpness", "sharpness (mean abs. pixel step)", "{:.3f}"),
    ("nll", "test NLL, nats ↓", "{:.2f}"),
    ("train_minutes", "training time, min (2-core CPU)", "{:.1f}"),
    ("samples_per_second", "sampling, images/s", "{:,.0f}"),
    ("parameters", "parameters (sampling network)", "{:,.0f}"),
]


def sample(decode: Decoder, latent_dim: int, n: int, seed: int = 0, batch: int = 1000) -> tuple[np.ndarray, float]:
    """``n`` images in [0, 1] from latents z ~ N(0, I), and the sampling rate in images/s."""
    z = np.random.default_rng(seed).normal(size=(n, latent_dim)).astype(np.float32)
    start = time.perf_counter()
    images = np.concatenate([decode(z[i:i + batch]) for i in range(0, n, batch)])
    return images, n / (time.perf_counter() - start)


def sample_scores(images01: np.ndarray, reference01: np.ndarray) -> dict:
    """The sample-based rows of the table for one set of samples."""
    scores = metrics.evaluate(images01, reference01)
    return {"fid": scores.fid, "kid_x1000": 1000 * scores.kid, "precision": scores.precision,
            "recall": scores.recall, "classes_present": scores.classes_present,
            "sharpness": metrics.sharpness(images01)}


def score_model(decode: Decoder, latent_dim: int, n: int, reference01: np.ndarray, seed: int = 0, **extra) -> dict:
    """Sample ``n`` images, score them, time the sampling; ``extra`` adds rows (training time, NLL...)."""
    images, rate = sample(decode, latent_dim, n, seed=seed)
    return {**sample_scores(images, reference01), "samples_per_second": rate, **extra}


def gan_decoder(generator) -> Decoder:
    """z -> images in [0, 1] from a generator whose tanh output is in [-1, 1]."""
    return lambda z: (np.asarray(generator(z, training=False)) + 1.0) / 2.0


def vae_decoder(model) -> Decoder:
    """z -> the VAE decoder's Bernoulli means (pixel probabilities) in [0, 1]."""
    return lambda z: keras.ops.convert_to_numpy(keras.ops.sigmoid(model.decode(z)))


def mean_spread(values: list[float], fmt: str) -> str:
    """'mean ± sd' over seeds (the value alone when there is one, or all agree; '—' for none)."""
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    if len(values) == 1 or np.ptp(values) == 0:
        return fmt.format(values[0])
    return f"{fmt.format(np.mean(values))} ± {fmt.format(np.std(values, ddof=1))}"


def table(columns: dict[str, list[dict]]) -> str:
    """A Markdown table: one column per model (a list of per-seed score dicts), one row per metric."""
    names = list(columns)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for key, label, fmt in ROWS:
        cells = [mean_spread([seed.get(key) for seed in columns[name]], fmt) for name in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
