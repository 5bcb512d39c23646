"""Sample-quality and likelihood metrics, computed the same way everywhere in the course.

Sample metrics live in the feature space of the course's fixed MNIST classifier (128 features
of ``classifier()``).  Because its weights are committed (``weights/mnist_classifier.weights.h5``),
the metrics are comparable across machines and runs -- the role Inception-v3 plays for ImageNet
FID, sized for MNIST and a CPU.  ``make classifier`` (``tools/train_classifier.py``) retrains it
reproducibly from its seed.

- ``fid``: Frechet distance between Gaussians fitted to two feature sets.  Biased
  upwards for small samples (even two sets from the same distribution score > 0), so
  always compare at the same sample count and against the *floor*: real vs real.
- ``kid``: unbiased MMD^2 with the cubic polynomial kernel, averaged over random subsets, with the
  subsets' spread.
- ``precision_recall``: k-nearest-neighbour manifolds (Kynkaanniemi et al. 2019, k=3).
  Precision: share of generated samples inside the real manifold (quality).
  Recall: share of real samples inside the generated manifold (diversity).
- ``class_coverage``: the classifier's label histogram of the samples: KL to uniform,
  classes present, share classified with confidence; ``class_distance``: how far that histogram is
  from the reference set's (total variation), the coarse test for dropped or over-produced classes.

``iw_log_likelihood`` estimates a VAE's log p(x) by importance sampling.
``evaluate`` runs the sample metrics and returns one small, printable table.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import keras
import numpy as np

from course_utils import losses

CLASSIFIER_WEIGHTS = Path(__file__).parent / "weights" / "mnist_classifier.weights.h5"
FEATURE_LAYER = "features"
FEATURE_DIM = 128
CLASSIFIER_SEED = 0

# --- the classifier --------------------------------------------------------------------


def build_classifier() -> keras.Model:
    """Two conv blocks, a 128-unit feature layer, a 10-way softmax. Input: (N, 28, 28, 1) in [0, 1]."""
    def conv_block(x, filters):
        for _ in range(2):
            x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = keras.layers.BatchNormalization()(x)
            x = keras.layers.ReLU()(x)
        return keras.layers.MaxPooling2D()(x)

    inputs = keras.Input((28, 28, 1))
    x = keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=CLASSIFIER_SEED)(inputs)  # training
    x = conv_block(conv_block(x, 32), 64)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(FEATURE_DIM, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    features = keras.layers.ReLU(name=FEATURE_LAYER)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Dropout(0.3)(features))
    return keras.Model(inputs, outputs, name="mnist_classifier")


@lru_cache(maxsize=1)
def classifier() -> tuple[keras.Model, keras.Model]:
    """(classifier, feature extractor) with the committed weights."""
    if not CLASSIFIER_WEIGHTS.exists():
        raise FileNotFoundError(f"{CLASSIFIER_WEIGHTS} is missing; run `make classifier` to train it")
    model = build_classifier()
    model.load_weights(CLASSIFIER_WEIGHTS)
    return model, keras.Model(model.input, [model.get_layer(FEATURE_LAYER).output, model.output])


def features_and_probabilities(images01: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate-layer features (N, 128) and class probabilities (N, 10) of images in [0, 1]."""
    _, extractor = classifier()
    feats, probs = [], []
    for start in range(0, len(images01), batch_size):
        f, p = extractor(images01[start:start + batch_size], training=False)
        feats.append(np.asarray(f))
        probs.append(np.asarray(p))
    return np.concatenate(feats).astype(np.float64), np.concatenate(probs).astype(np.float64)


# --- input checks ---------------------------------------------------------------


def check_images01(images, name: str = "images") -> np.ndarray:
    """Return images as float32 (N, 28, 28, 1) in [0, 1], or raise a ValueError that says how to fix them."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != (28, 28, 1):
        raise ValueError(f"{name}: expected MNIST-shaped images (N, 28, 28) or (N, 28, 28, 1), got {images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    low, high = float(images.min()), float(images.max())
    if low < -1e-3:
        raise ValueError(f"{name}: values in [{low:.2f}, {high:.2f}] look like tanh outputs in [-1, 1]; "
                         f"the metrics expect [0, 1]: pass (x + 1) / 2")
    if high > 1 + 1e-3:
        raise ValueError(f"{name}: values up to {high:.1f} look like 0..255 pixels; the metrics expect [0, 1]: "
                         f"pass x / 255")
    return images.astype(np.float32)


def _check_features(a, b, minimum: int):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be (n, d) arrays with the same d, got {a.shape} and {b.shape}")
    if min(len(a), len(b)) < minimum:
        raise ValueError(f"need at least {minimum} samples per set here (feature dimension {a.shape[1]}), "
                         f"got {len(a)} and {len(b)}: use more samples")
    return a, b


# --- FID ------------------------------------------------------------------------


def _sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix via its eigendecomposition."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """|mu1 - mu2|^2 + tr(C1 + C2 - 2 (C1^1/2 C2 C1^1/2)^1/2).

    Uses the symmetric form, whose square root is taken of a PSD matrix by eigh: no
    complex parts and no ill-conditioned general ``sqrtm`` of the product C1 C2.
    """
    root1 = _sqrtm_psd(cov1)
    middle = root1 @ cov2 @ root1
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * trace_sqrt)


def fid(features_a, features_b) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (n > d each)."""
    a, b = _check_features(features_a, features_b, minimum=np.shape(features_a)[-1] + 1)
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


# --- KID ------------------------------------------------------------------------


def _mmd2_unbiased(x, y) -> float:
    d = x.shape[1]
    kxx, kyy, kxy = ((x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3)
    m, n = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2 * kxy.mean())


def kid(features_a, features_b, subsets: int = 50, subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance: unbiased MMD^2, kernel k(x, y) = (x.y / d + 1)^3.

    Averaged over ``subsets`` random subsets of ``subset_size``; returns (mean, spread), the spread being
    the standard deviation over the subsets: the uncertainty of one KID on ``subset_size`` samples.  It
    is not a standard error of the mean: the subsets are drawn from one pool and overlap, so dividing by
    sqrt(subsets) would claim far more precision than the pool holds.  Unlike FID, KID is unbiased, so it
    can be compared across sample sizes.
    """
    a, b = _check_features(features_a, features_b, minimum=2)
    size = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    values = [_mmd2_unbiased(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)])
              for _ in range(subsets)]
    spread = float(np.std(values, ddof=1)) if subsets > 1 else float("nan")
    return float(np.mean(values)), spread


# --- precision and recall ----------------------------------------------------------


def _squared_distances(a, b):
    return np.maximum((a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None, :], 0)


def knn_radii(x, k: int, chunk: int = 2000) -> np.ndarray:
    """Squared distance from each point to its k-th nearest other point."""
    radii = np.empty(len(x))
    for start in range(0, len(x), chunk):
        d = _squared_distances(x[start:start + chunk], x)
        radii[start:start + chunk] = np.partition(d, k, axis=1)[:, k]  # index 0 is the point itself
    return radii


def inside_manifold(points, support, radii, chunk: int = 2000) -> np.ndarray:
    """For each point, whether it lies in some ball around a point of ``support`` (squared ``radii``, as from
    ``knn_radii``): the k-NN estimate of the support's manifold that precision and recall count against."""
    inside = np.empty(len(points), dtype=bool)
    for start in range(0, len(points), chunk):
        inside[start:start + chunk] = np.any(_squared_distances(points[start:start + chunk], support) <= radii[None, :],
                                             axis=1)
    return inside


def precision_recall(real_features, fake_features, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) with k-NN balls."""
    real, fake = _check_features(real_features, fake_features, minimum=k + 1)
    real, fake = real.astype(np.float32), fake.astype(np.float32)
    precision = inside_manifold(fake, real, knn_radii(real, k)).mean()
    return float(precision), recall(real, fake, k)


def recall(real_features, fake_features, k: int = 3) -> float:
    """The recall of ``precision_recall`` alone: the share of real points inside the fakes' k-NN balls.  It needs
    only the fakes' radii, so it is much cheaper than the precision when there are many more real points."""
    real, fake = _check_features(real_features, fake_features, minimum=k + 1)
    real, fake = real.astype(np.float32), fake.astype(np.float32)
    return float(inside_manifold(real, fake, knn_radii(fake, k)).mean())


# --- class coverage -------------------------------------------------------------------


def class_coverage(probabilities, confident: float = 0.9, present_share: float = 0.01) -> dict:
    """Label histogram of samples under the classifier, and how far it is from uniform.

    ``classes_present`` counts digits receiving at least ``present_share`` of the samples.
    """
    probabilities = np.asarray(probabilities)
    labels = probabilities.argmax(1)
    histogram = np.bincount(labels, minlength=10) / len(labels)
    nonzero = histogram > 0
    return {
        "histogram": histogram,
        "kl_to_uniform": float(np.sum(histogram[nonzero] * np.log(histogram[nonzero] * 10))),
        "classes_present": int(np.sum(histogram >= present_share)),
        "confident_share": float(np.mean(probabilities.max(1) >= confident)),
    }


def class_distance(histogram, reference_histogram) -> float:
    """Total variation between two label histograms (shares summing to 1): half the sum of the absolute
    differences, i.e. the share of samples that would have to change class to match the reference.
    0 for identical shares; 1 for disjoint ones; a generator that draws only one of ten equally common
    digits scores 0.9."""
    a, b = np.asarray(histogram, np.float64), np.asarray(reference_histogram, np.float64)
    if a.shape != b.shape or not (np.isclose(a.sum(), 1) and np.isclose(b.sum(), 1)):
        raise ValueError(f"class_distance needs two histograms of shares summing to 1, got {a} and {b}")
    return float(0.5 * np.abs(a - b).sum())


def sharpness(images01) -> float:
    """Mean absolute difference between neighbouring pixels (horizontal and vertical), in [0, 1].

    Blur in one number: averaging over many plausible digits -- what a VAE's Bernoulli means
    do -- smears strokes and lowers it; real MNIST digits and sharp samples score higher.
    """
    x = check_images01(images01)[..., 0].astype(np.float64)
    return float((np.abs(np.diff(x, axis=1)).mean() + np.abs(np.diff(x, axis=2)).mean()) / 2)


def nearest_neighbours(samples01, train01) -> tuple[np.ndarray, np.ndarray]:
    """For each sample, the index of its nearest training image in pixel space and the distance.

    The memorisation check: a generator that copies its training data has samples at
    distance ~0 from some training image; real test digits are a fair yardstick for "close".
    """
    a = check_images01(samples01, "samples").reshape(len(samples01), -1)
    b = check_images01(train01, "training images").reshape(len(train01), -1)
    nearest = _squared_distances(a, b).argmin(1)
    return nearest, np.linalg.norm(a.astype(np.float64) - b[nearest], axis=1)  # exact, not the float32 expansion


# --- one entry point ---------------------------------------------------------------------


@dataclass
class Evaluation:
    """All sample metrics for one set of samples; prints as a small table."""

    n_samples: int
    fid: float
    kid: float
    kid_spread: float
    precision: float
    recall: float
    kl_to_uniform: float
    classes_present: int
    class_tv: float
    confident_share: float
    seconds: float
    histogram: np.ndarray = field(repr=False)

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("samples", f"{self.n_samples}"),
            ("MNIST-FID", f"{self.fid:.2f}"),
            ("KID x1000 (± sd, subsets of 1,000)", f"{1000 * self.kid:.2f} ± {1000 * self.kid_spread:.2f}"),
            ("precision (k=3)", f"{self.precision:.3f}"),
            ("recall (k=3)", f"{self.recall:.3f}"),
            ("classes present", f"{self.classes_present}/10"),
            ("class shares vs reference (TV)", f"{self.class_tv:.3f}"),
            ("KL(labels || uniform)", f"{self.kl_to_uniform:.4f}"),
            ("confidently classified", f"{self.confident_share:.1%}"),
            ("scoring time", f"{self.seconds:.1f} s"),
        ]

    def __str__(self) -> str:
        width = max(len(name) for name, _ in self.rows())
        return "\n".join(f"{name:<{width}}  {value}" for name, value in self.rows())


def evaluate(samples01, reference01, seed: int = 0) -> Evaluation:
    """Score ``samples01`` against ``reference01`` (both images in [0, 1]; e.g. the MNIST test set)."""
    start = time.perf_counter()
    samples01 = check_images01(samples01, "samples")
    reference01 = check_images01(reference01, "reference")
    fake_features, fake_probabilities = features_and_probabilities(samples01)
    real_features, real_probabilities = features_and_probabilities(reference01)
    kid_mean, kid_spread = kid(real_features, fake_features, seed=seed)
    precision, recall = precision_recall(real_features, fake_features)
    coverage = class_coverage(fake_probabilities)
    return Evaluation(
        n_samples=len(samples01), fid=fid(real_features, fake_features), kid=kid_mean, kid_spread=kid_spread,
        precision=precision, recall=recall, kl_to_uniform=coverage["kl_to_uniform"],
        classes_present=coverage["classes_present"],
        class_tv=class_distance(coverage["histogram"], class_coverage(real_probabilities)["histogram"]),
        confident_share=coverage["confident_share"],
        seconds=time.perf_counter() - start, histogram=coverage["histogram"])


# --- VAE likelihood ---------------------------------------------------------------------

LOG_2PI = math.log(2.0 * math.pi)


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    top = a.max(axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def iw_log_likelihood(encode, decode, x, k: int = 1000, log_likelihood=losses.bernoulli_log_likelihood,
                      decodes_per_call: int = 10000, seed: int = 0, progress: bool = False, bound=None,
                      log_prior=None) -> np.ndarray:
    """Importance-weighted estimate of log p(x) per example, in nats (Burda et al. 2016).

    log p(x) ~ logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K,  z_k ~ q(z|x).

    The estimate is itself a lower bound (in expectation) that tightens as K grows, so the NLL it
    gives over-estimates the true -log p(x).  ``encode(x) -> (mean, log_var)`` and ``decode(z) ->
    decoder output`` follow the course's VAE interface; ``log_likelihood(x, decoder_output)``
    defaults to Bernoulli logits on binary x.  The decoder does almost all the work, so it gets
    about ``decodes_per_call`` latents (whole images x K) per call, in float32; the prior and
    posterior densities and the log-sum-exp are computed in float64 (``log q`` exactly, from the
    noise that drew z).  ``progress`` prints a line at every tenth of the images.  ``bound(log_weights)``, a
    learner's own importance-weighted bound (notebook 05's exercise), maps log weights of shape (images, K) to one
    estimate per image in place of the log-sum-exp here.  ``log_prior(z)`` gives log p(z) per row of z, shape
    (latents, latent_dim), in float64 for a learned prior (``priors.MixturePrior.log_prob``); None is N(0, I).
    """
    x = np.asarray(x)
    rng = np.random.default_rng(seed)
    per_call = max(1, decodes_per_call // k)
    estimates, next_report = [], 0.1
    for start in range(0, len(x), per_call):
        xb = x[start:start + per_call]
        mean, log_var = (np.asarray(t, np.float64) for t in encode(xb))
        n, latent = mean.shape
        eps = rng.standard_normal((k, n, latent))
        z = mean + np.exp(0.5 * log_var) * eps                                    # (k, n, latent)
        repeated = np.broadcast_to(xb, (k, *xb.shape)).reshape(k * n, *xb.shape[1:])
        decoded = decode(z.reshape(k * n, latent).astype(np.float32))
        log_px_z = np.asarray(log_likelihood(repeated, decoded), np.float64).reshape(k, n)
        if log_prior is None:
            log_pz = -0.5 * np.sum(LOG_2PI + z**2, axis=2)
        else:
            log_pz = np.asarray(log_prior(z.reshape(k * n, latent)), np.float64).reshape(k, n)
        log_qz = -0.5 * np.sum(LOG_2PI + log_var + eps**2, axis=2)                # (z - mean)^2 / var = eps^2
        log_weights = log_px_z + log_pz - log_qz                                  # (k, n)
        if bound is None:
            estimates.append(_logsumexp(log_weights, axis=0) - math.log(k))
        else:
            estimates.append(np.asarray(bound(log_weights.T), np.float64).reshape(n))
        if progress and (start + n) / len(x) >= next_report - 1e-9:
            print(f"  log-likelihood: {start + n:,} of {len(x):,} images", flush=True)
            next_report += 0.1
    return np.concatenate(estimates)


@dataclass
class Likelihood:
    """A test NLL with its protocol: the mean -log p(x) in nats per image, its standard error over the
    images (the spread of the per-image estimates / sqrt(images); the estimator's own upward bias at
    finite K is not in it), K, and how many images."""

    nll: float
    stderr: float
    k: int
    images: int

    def __str__(self) -> str:
        return f"{self.nll:.2f} ± {self.stderr:.2f} nats (K = {self.k:,}, {self.images:,} test images)"


def test_nll(model, test_binary, k: int = 1000, seed: int = 0, progress: bool = False, bound=None) -> Likelihood:
    """The importance-weighted NLL of a VAE (``encode``/``decode``) on binarized test images, with its protocol
    (``bound``: see ``iw_log_likelihood``); a VAE with a learned prior (``eval_prior``) is scored under it."""
    if getattr(model, "gaussian_sigma", None) is not None:
        raise ValueError("test_nll scores a Bernoulli decoder on binarized images; this VAE has a Gaussian likelihood "
                         "(gaussian_sigma), whose density on grey pixels is not comparable in nats")
    prior = getattr(model, "eval_prior", None)
    per_image = -iw_log_likelihood(model.encode, model.decode, test_binary, k=k, seed=seed, progress=progress,
                                   bound=bound, log_prior=None if prior is None else prior.log_prob)
    stderr = float(np.std(per_image, ddof=1) / math.sqrt(len(per_image))) if len(per_image) > 1 else float("nan")
    return Likelihood(float(per_image.mean()), stderr, k, len(per_image))
