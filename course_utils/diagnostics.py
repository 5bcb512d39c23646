"""Numbers that detect a failing run, for notebook 07 and for a learner's own runs of notebooks 04 and 05.

- ``kl_per_dimension`` and ``active_units``: posterior collapse in a VAE, the latent dimensions
  that carry no information about the input;
- ``checkerboard_share``: the period-2 pattern a stride-2 transposed convolution can print on its output
  (``mean_power_spectrum`` shows where it sits);
- ``vae_report``: a VAE's test ELBO, KL, active units and KL per dimension, and whether its reconstructions
  keep the input's digit;
- ``SampleScores``: after every epoch of a GAN's training, the scores of its raw and averaged generators
  (MNIST-FID, recall, the class histogram's distance from the test set's, the checkerboard share), kept in
  the run's history; ``train_scored_gan`` trains a GAN with them (and sample grids) through the run cache.

The GAN's detectors live beside what they measure: ``metrics.class_coverage`` and
``metrics.class_distance`` (mode collapse, from the classifier's labels of the samples) and
``gan.GeneratorGradientNorms`` (the generator's gradient at every step, which vanishes when the
discriminator wins under the saturating loss).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from course_utils import gan, losses, metrics, training

ACTIVE_THRESHOLD = 0.01  # Burda, Grosse and Salakhutdinov (2016), "Importance Weighted Autoencoders", section 5.2


def _check_encodings(name: str, *arrays) -> list[np.ndarray]:
    arrays = [np.asarray(a, np.float64) for a in arrays]
    for array in arrays:
        if array.ndim != 2 or len(array) < 2:
            raise ValueError(f"{name} needs encoder outputs of shape (inputs, latent dimensions) with at least two "
                             f"inputs, e.g. mean, log_var = model.encode(x); got shape {array.shape}")
    if len({a.shape for a in arrays}) > 1:
        raise ValueError(f"{name}: mean and log_var differ in shape: {[a.shape for a in arrays]}")
    return arrays


def kl_per_dimension(mean, log_var) -> np.ndarray:
    """KL(q(z_j | x) || N(0, 1)) in nats for each latent dimension j, averaged over the inputs.

    ``mean`` and ``log_var`` are the encoder's outputs for a set of inputs, shape (inputs, dimensions).
    The values sum to the ELBO's KL term (``losses.gaussian_kl`` averaged over the same inputs).  A
    dimension whose KL is about 0 has q(z_j | x) = N(0, 1) for every x: the decoder learns nothing from it.
    The converse does not hold: the average KL of a dimension is the information z_j carries about x
    plus KL(q(z_j) || N(0, 1)), so a mean of 3 with variance 1 for every input costs 4.5 nats and says nothing about x.
    ``active_units`` asks the other question, whether the mean moves with the input.
    """
    mean, log_var = _check_encodings("kl_per_dimension", mean, log_var)
    return ops.convert_to_numpy(losses.gaussian_kl_per_dimension(mean, log_var)).mean(axis=0)


def active_units(mean, threshold: float = ACTIVE_THRESHOLD) -> tuple[int, np.ndarray]:
    """The number of active latent dimensions and, per dimension, the variance over inputs of E_q[z_j | x].

    Burda et al. (2016) call dimension j active when Cov_x(E_q[z_j | x]) > ``threshold`` (0.01): its
    posterior mean moves with the input, so z_j says something about x.  ``mean`` is the encoder's mean
    for a set of inputs (the whole test set in notebook 07), shape (inputs, dimensions).
    """
    (mean,) = _check_encodings("active_units", mean)
    variances = mean.var(axis=0)
    return int(np.sum(variances > threshold)), variances


def checkerboard_share(images) -> float:
    """The share of the images' spectral power, the constant part left out, that alternates with period 2.

    For each image the 2-D discrete Fourier transform is taken; the power on its Nyquist row and column
    (frequency 1/2 cycle per pixel down the rows, across the columns, or both) is what a stride-2
    transposed convolution prints as a checkerboard, through uneven kernel overlap or through unequal
    sub-kernels.  The result is that power divided
    by all the power except the mean's, over all images together: 1 for a pure checkerboard
    (-1)^(i+j) and for period-2 stripes, about 0 for smooth images.  ``images`` has shape
    (n, height, width) or (n, height, width, 1), both sides even.

    Apply it to grey outputs (a generator's images, a decoder's means), not to binary samples: white
    noise spreads its power evenly and scores (height + width - 1) / (height * width - 1), 0.07 for
    28x28.  A pattern confined to part of the image spreads some of its power next to the Nyquist
    lines and is under-counted.
    """
    images = np.asarray(images, np.float64)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1] % 2 or images.shape[2] % 2:
        raise ValueError(f"checkerboard_share needs images of shape (n, height, width[, 1]) with even height "
                         f"and width, got {images.shape}")
    if np.all(images == images[:, :1, :1]):
        raise ValueError("checkerboard_share: every image is constant, so there is no pattern to measure")
    power = _power(images)
    height, width = images.shape[1:]
    nyquist = power[:, height // 2, :].sum() + power[:, :, width // 2].sum() - power[:, height // 2, width // 2].sum()
    return float(nyquist / power.sum())


def _power(images: np.ndarray) -> np.ndarray:
    """Each image's 2-D power spectrum |DFT|^2, with the mean's (frequency (0, 0)) set to 0: the mean is no pattern."""
    power = np.abs(np.fft.fft2(images)) ** 2
    power[:, 0, 0] = 0.0
    return power


def mean_power_spectrum(images) -> np.ndarray:
    """The images' mean power spectrum with frequency 0 in the middle (``np.fft.fftshift``) and the mean's power
    left out, as a share of the total: what ``checkerboard_share`` sums on its Nyquist row and column (here the
    first row and column, frequency -1/2).  ``images``: (n, height, width[, 1]); show it with a log colour scale."""
    images = np.asarray(images, np.float64)
    images = images[..., 0] if images.ndim == 4 and images.shape[-1] == 1 else images
    mean = _power(images).mean(axis=0)
    return np.fft.fftshift(mean / mean.sum())


class SampleScores(keras.callbacks.Callback):
    """After every epoch of a ``gan.GAN``'s training, scores of its samples on fixed ``latents`` against
    ``reference01`` (e.g. the MNIST test set), added to the epoch's logs, so that ``training.fit_or_load``
    keeps them in the run's history: for the raw generator (``raw_*``) and, when the GAN averages its weights,
    for the average it samples from (``ema_*``):

    - ``fid``: MNIST-FID (``metrics.fid``);
    - ``recall``: the share of reference images inside the samples' k-NN balls (``metrics.recall``);
      it falls when the samples cover fewer of the data's styles;
    - ``class_distance``: the total variation between the classifier's label histograms of the samples and of
      the reference (``metrics.class_distance``): 0.9 when a generator draws one of ten equally common digits;
    - ``classes``: the digits that receive at least 1% of the samples (``metrics.class_coverage``);
    - ``checkerboard``: ``checkerboard_share`` of the samples.

    ``progress`` prints one short line per epoch (its FIDs), for a run trained with ``verbose=0``.
    """

    def __init__(self, latents, reference01, progress: bool = False):
        super().__init__()
        self.latents, self.progress = np.asarray(latents, np.float32), progress
        self.reference_features, probabilities = metrics.features_and_probabilities(reference01)
        self.reference_histogram = metrics.class_coverage(probabilities)["histogram"]

    def scores(self, images01) -> dict[str, float]:
        """The four scores of one set of images in [0, 1]."""
        features, probabilities = metrics.features_and_probabilities(images01)
        coverage = metrics.class_coverage(probabilities)
        return {"fid": metrics.fid(features, self.reference_features),
                "recall": metrics.recall(self.reference_features, features),
                "class_distance": metrics.class_distance(coverage["histogram"], self.reference_histogram),
                "classes": float(coverage["classes_present"]), "checkerboard": checkerboard_share(images01)}

    def on_epoch_end(self, epoch, logs=None):
        networks = {"raw": self.model.generator, "ema": self.model.generator_ema}
        for name, network in networks.items():
            if network is not None and logs is not None:
                logs.update({f"{name}_{key}": value
                             for key, value in self.scores(gan.images01(network, self.latents)).items()})
        if self.progress and logs is not None:
            fids = ", ".join(f"{name} FID {logs[name + '_fid']:.1f}" for name in networks if name + "_fid" in logs)
            print(f"  epoch {epoch + 1}/{self.params.get('epochs', '?')}: {fids}", flush=True)


def train_scored_gan(name: str, x, reference01, *, epochs: int, n_score: int, seed: int = 0,
                     batch_size: int = gan.BATCH_SIZE, **options) -> tuple[gan.GAN, dict, dict]:
    """``gan.make_gan(seed=seed, **options)`` trained on ``x`` for ``epochs`` through ``training.fit_or_load``
    (cached under ``name`` and resumable), scored by ``SampleScores`` on ``n_score`` fixed latents after every epoch.

    Returns (model, history, frames): ``frames["raw"]`` and ``frames["ema"]`` (the latter when the GAN averages
    its weights) hold, per epoch, the images of the first 16 of those latents in [0, 1], shape (epochs, 16, 28, 28, 1).
    """
    model = gan.make_gan(seed=seed, **options)
    latents = np.random.default_rng(seed + 1).normal(size=(n_score, model.latent_dim)).astype("float32")
    folder = training.run_folder(name, model, np.shape(x), epochs, batch_size)
    snapshots = {"raw": gan.Snapshots(latents[:16], path=folder / "raw.npy", averaged=False)}
    if model.generator_ema is not None:
        snapshots["ema"] = gan.Snapshots(latents[:16], path=folder / "ema.npy")
    history, folder = training.fit_or_load(model, name, x, epochs=epochs, batch_size=batch_size, verbose=0,
                                           callbacks=[SampleScores(latents, reference01, progress=True),
                                                      *snapshots.values()])
    frames = {kind: (np.load(folder / f"{kind}.npy") + 1) / 2 for kind in snapshots}
    return model, history, frames


def vae_report(model, test_binary, test_labels, seed: int = 0) -> dict:
    """The posterior-collapse diagnostics of a VAE on binarized test images (whole test set in notebook 07):
    ``elbo``, ``kl`` and ``reconstruction`` (nats per image, the plain ELBO's terms, with one z ~ q(z|x) per image
    drawn from a generator seeded with ``seed``, so the same model always gets the same numbers),
    ``active_units`` and ``kl_per_dimension`` (sorted, largest first), ``class_kept``: the share of test images whose
    reconstruction (the decoder's means at the encoder's mean) the course classifier reads as the same digit
    as the image itself; it falls towards 0.1 when the reconstructions ignore the input."""
    mean, log_var = model.encode(test_binary)
    z = mean + np.exp(0.5 * log_var) * np.random.default_rng(seed).standard_normal(mean.shape)
    logits = model.decode(z.astype("float32"))
    reconstruction = -float(np.mean(ops.convert_to_numpy(model.log_likelihood(test_binary, logits))))
    kl = float(np.mean(ops.convert_to_numpy(losses.gaussian_kl(mean, log_var))))
    _, reconstructed = metrics.features_and_probabilities(model.decode_means(mean))
    return {"elbo": -(reconstruction + kl), "kl": kl, "reconstruction": reconstruction,
            "active_units": active_units(mean)[0], "kl_per_dimension": np.sort(kl_per_dimension(mean, log_var))[::-1],
            "class_kept": float(np.mean(reconstructed.argmax(1) == np.asarray(test_labels)))}


def epoch_table(histories: dict[str, dict], key: str, fmt: str = "{:.2f}") -> str:
    """``histories[run][key]`` per epoch, one column per run, as a text table headed by ``key``."""
    names = list(histories)
    width = max(9, *(len(name) for name in names))
    lines = [f"{key}, per epoch:", "epoch " + "".join(f"{name:>{width + 2}}" for name in names)]
    for epoch in range(max(len(history[key]) for history in histories.values())):
        cells = [fmt.format(h[key][epoch]) if epoch < len(h[key]) else "" for h in histories.values()]
        lines.append(f"{epoch + 1:>5} " + "".join(f"{cell:>{width + 2}}" for cell in cells))
    return "\n".join(lines)
