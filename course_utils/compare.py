"""Notebook 06's comparison: the shipped runs, loaded, and every model scored the same way into one table.

**The runs** (``load_dcgans``, ``load_vaes``): ``make weights`` (``tools/train_weights.py``) trains the
course DCGAN and VAE for every seed in ``SEEDS`` with exactly the settings of notebooks 04 and 05
(``gan.make_gan`` and ``vae.make_vae`` with their ``BATCH_SIZE`` and ``EPOCHS``) and ships, in
``course_utils/weights/``, each DCGAN's averaged generator, each VAE's averaged encoder and decoder, and
``pretrained.json`` with their settings, training times and scores.  A learner's own finished full-mode
run from notebook 04/05 with the course's settings is used instead, when there is one.

**The table** (``score_model``, ``table``): every model, seed and the real-data floor go through the same
``metrics.evaluate`` on the same number of samples against the MNIST test set; each cell is the mean ±
the standard deviation over seeds (the floor's "seeds" are disjoint slices of the training set).

**Reconstructions** (``reconstruct``, ``reconstruction_errors``): both kinds of model get the same grey test
digits as input and are scored against that same array, with the same per-image mean squared error; a VAE
encodes and decodes, a GAN, which has no encoder, is inverted (``gan.invert``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from course_utils import gan, metrics, training, vae

Decoder = Callable[[np.ndarray], np.ndarray]
SEEDS = (0, 1, 2)
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MANIFEST = WEIGHTS_DIR / "pretrained.json"
MNIST_TRAIN_SHAPE = (60000, 28, 28, 1)

ROWS = [  # (key, label, format)
    ("fid", "MNIST-FID ↓", "{:.2f}"),
    ("kid_x1000", "KID × 1000 ↓", "{:.2f}"),
    ("precision", "precision (k=3) ↑", "{:.3f}"),
    ("recall", "recall (k=3) ↑", "{:.3f}"),
    ("classes_present", "classes present (of 10)", "{:.1f}"),
    ("class_tv", "class shares vs test set (TV) ↓", "{:.3f}"),
    ("sharpness", "sharpness (mean abs. pixel step)", "{:.3f}"),
    ("nll", "test NLL, nats ↓ (protocol below)", "{:.2f}"),
    ("train_minutes", "training time, min (2-core CPU)", "{:.1f}"),
    ("samples_per_second", "sampling, images/s", "{:,.0f}"),
    ("parameters", "parameters (sampling network)", "{:,.0f}"),
]


def sample(decode: Decoder, latent_dim: int, n: int, seed: int = 0, batch: int = 1000,
           draw_latents=None) -> tuple[np.ndarray, float]:
    """``n`` images in [0, 1] from latents z ~ N(0, I), or ``draw_latents(n, seed)`` (a learned prior's sampler,
    e.g. ``vae.VAE.sample_prior``), and the sampling rate in images/s."""
    if draw_latents is None:
        z = np.random.default_rng(seed).normal(size=(n, latent_dim)).astype(np.float32)
    else:
        z = np.asarray(draw_latents(n, seed), np.float32)
    start = time.perf_counter()
    images = np.concatenate([decode(z[i:i + batch]) for i in range(0, n, batch)])
    return images, n / (time.perf_counter() - start)


def sample_scores(images01: np.ndarray, reference01: np.ndarray) -> dict:
    """The sample-based rows of the table for one set of samples."""
    scores = metrics.evaluate(images01, reference01)
    return {"fid": scores.fid, "kid_x1000": 1000 * scores.kid, "precision": scores.precision,
            "recall": scores.recall, "classes_present": scores.classes_present, "class_tv": scores.class_tv,
            "sharpness": metrics.sharpness(images01)}


def score_model(decode: Decoder, latent_dim: int, n: int, reference01: np.ndarray, seed: int = 0, draw_latents=None,
                **extra) -> dict:
    """Sample ``n`` images (``draw_latents``: see ``sample``), score them, time the sampling; ``extra`` adds rows
    (training time, NLL...)."""
    images, rate = sample(decode, latent_dim, n, seed=seed, draw_latents=draw_latents)
    return {**sample_scores(images, reference01), "samples_per_second": rate, **extra}


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


# --- the runs to compare ------------------------------------------------------------------------


@dataclass
class Run:
    """A trained model ready to compare: its label, the model, how to sample it, and its training time."""

    label: str
    model: keras.Model  # the DCGAN's generator, or the VAE
    decode: Decoder     # latents -> images in [0, 1] (the generator's images; the VAE's Bernoulli means)
    train_seconds: float
    nll: metrics.Likelihood | None = None  # a shipped VAE's test NLL, as `make weights` measured it


def manifest() -> dict:
    """The shipped runs' settings, training times and scores (``pretrained.json``)."""
    if not MANIFEST.exists():
        raise FileNotFoundError(f"{MANIFEST} is missing: run `make weights` (about an hour on 2 cores).")
    return json.loads(MANIFEST.read_text())


def shipped_weights(model: str, seed: int, part: str) -> Path:
    """Where the shipped weights of ``part`` of ``model``'s run ``seed`` live (``make weights`` writes them)."""
    return WEIGHTS_DIR / f"{model}-seed{seed}.{part}.weights.h5"


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex (``pretrained.json`` records one per shipped weights file)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def checked_weights(model: str, seed: int, part: str) -> Path:
    """``shipped_weights``, after checking that the file is the one ``make weights`` wrote: a truncated or
    altered file would otherwise load as garbage weights, or fail deep inside h5py."""
    path = shipped_weights(model, seed, part)
    restore = ("restore it with `git checkout course_utils/weights` (or reinstall the course), "
               "or retrain all shipped weights with `make weights` (about an hour on 2 cores)")
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: {restore}.")
    expected = manifest().get("sha256", {}).get(path.name)
    if expected is None:
        raise ValueError(f"{MANIFEST.name} records no checksum for {path.name}: run `make weights`.")
    if sha256(path) != expected:
        raise ValueError(f"{path} is not the file the course shipped (its SHA-256 differs from the one in "
                         f"{MANIFEST.name}; truncated by an interrupted copy, or changed): {restore}.")
    return path


def own_run(name: str, model: keras.Model, epochs: int, batch_size: int) -> Path | None:
    """The folder of a learner's finished full-mode run called ``name`` with ``model``'s settings, if any."""
    folder = training.run_folder(name, model, MNIST_TRAIN_SHAPE, epochs, batch_size)
    return folder if all((folder / f"{part}.weights.h5").exists() for part in model.parts) else None


def _generator_run(label: str, weights: Path, seconds: float) -> Run:
    generator = gan.build_generator()
    generator.load_weights(weights)
    return Run(label, generator, lambda z: gan.images01(generator, z), seconds)


def _vae_run(label: str, encoder_weights: Path, decoder_weights: Path, seconds: float,
             nll: metrics.Likelihood | None = None) -> Run:
    """A VAE for evaluation only: the averaged weights go into its plain encoder and decoder."""
    model = vae.VAE(vae.build_encoder(), vae.build_decoder())
    model.encoder.load_weights(encoder_weights)
    model.decoder.load_weights(decoder_weights)
    return Run(label, model, model.decode_means, seconds, nll)


def shipped_nll(entry: dict) -> metrics.Likelihood:
    """The test NLL that `make weights` recorded for a shipped VAE run."""
    return metrics.Likelihood(entry["nll"], entry["nll_stderr"], entry["nll_k"], entry["nll_images"])


def load_dcgans() -> list[Run]:
    """The DCGAN generators to compare: your own notebook-04 run if it exists, else the shipped seeds."""
    own = own_run("dcgan", gan.make_gan(), gan.EPOCHS, gan.BATCH_SIZE)
    if own is not None:
        print(f"DCGAN: your own run from notebook 04 ({own.name})")
        seconds = sum(training.read_history(own)["seconds"])
        return [_generator_run("your run", own / "generator_ema.weights.h5", seconds)]
    print(f"DCGAN: the course's pretrained weights, seeds {list(SEEDS)}")
    runs = manifest()["runs"]
    return [_generator_run(f"seed {s}", checked_weights("dcgan", s, "generator"),
                           runs[f"dcgan-seed{s}"]["train_seconds"]) for s in SEEDS]


def load_vaes() -> list[Run]:
    """The VAEs to compare: your own notebook-05 run if it exists, else the shipped seeds."""
    own = own_run("vae", vae.make_vae(), vae.EPOCHS, vae.BATCH_SIZE)
    if own is not None:
        print(f"VAE: your own run from notebook 05 ({own.name})")
        seconds = sum(training.read_history(own)["seconds"])
        return [_vae_run("your run", own / "encoder_ema.weights.h5", own / "decoder_ema.weights.h5", seconds)]
    print(f"VAE: the course's pretrained weights, seeds {list(SEEDS)}")
    return shipped_vaes()


def map_vae_name(beta: float) -> str:
    """The shipped run name of the explainer's 2-D VAE for ``beta`` (``pretrained.json``; weights ``<name>-seed0``)."""
    return f"map-vae-beta{beta:g}"


def shipped_map_vaes() -> dict[float, vae.VAE]:
    """β -> the VAE explainer's shipped 2-D VAE (``vae.make_map_vae``, ``make weights``), each β of ``MAP_BETAS``."""
    models = {}
    for beta in vae.MAP_BETAS:
        model = vae.make_map_vae(beta)
        for network, part in ((model.encoder, "encoder"), (model.decoder, "decoder")):
            network.load_weights(checked_weights(map_vae_name(beta), 0, part))
        models[beta] = model
    return models


def shipped_vaes() -> list[Run]:
    """The course's shipped VAEs (``make weights``), one per seed in ``SEEDS``."""
    runs = manifest()["runs"]
    return [_vae_run(f"seed {s}", checked_weights("vae", s, "encoder"), checked_weights("vae", s, "decoder"),
                     runs[f"vae-seed{s}"]["train_seconds"], shipped_nll(runs[f"vae-seed{s}"])) for s in SEEDS]


# --- reconstructions ----------------------------------------------------------------------------


def reconstruct(run: Run, targets01: np.ndarray, steps: int = 300, seed: int = 0) -> np.ndarray:
    """``run``'s reconstructions, in [0, 1], of the digits ``targets01`` (N, 28, 28, 1) in [0, 1].

    A VAE encodes each digit and decodes its encoder mean (the Bernoulli means: the probability of each
    pixel).  A GAN has no encoder: its generator is inverted (``gan.invert``, ``steps`` Adam steps on the
    pixel error from random starts drawn with ``seed``).  Both get ``targets01`` itself as input.
    """
    targets01 = metrics.check_images01(targets01, "targets01")
    if isinstance(run.model, vae.VAE):
        return run.decode(run.model.encode(targets01)[0])
    return gan.invert(run.model, targets01, steps=steps, seed=seed)[1]


def reconstruction_errors(run: Run, targets01: np.ndarray, steps: int = 300, seed: int = 0
                          ) -> tuple[np.ndarray, np.ndarray]:
    """(reconstructions, the mean squared pixel error of each on the [0, 1] scale): ``reconstruct``, scored
    against the very array the model was given, so that every model is measured on the same input and target."""
    targets01 = metrics.check_images01(targets01, "targets01")
    images = reconstruct(run, targets01, steps=steps, seed=seed)
    return images, np.mean((images - targets01) ** 2, axis=(1, 2, 3))
