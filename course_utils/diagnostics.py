"""Numbers that detect a failing run, for notebook 07 and for a learner's own runs of notebooks 04 and 05.

- ``kl_per_dimension`` and ``active_units``: posterior collapse in a VAE, the latent dimensions
  that carry no information about the input;
- ``checkerboard_share``: the period-2 pattern a stride-2 transposed convolution can print on its output.

The GAN's detectors live beside what they measure: ``metrics.class_coverage`` and
``metrics.class_distance`` (mode collapse, from the classifier's labels of the samples) and
``gan.GeneratorGradientNorms`` (the generator's gradient at every step, which vanishes when the
discriminator wins under the saturating loss).
"""

from __future__ import annotations

import numpy as np
from keras import ops

from course_utils import losses

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
    power = np.abs(np.fft.fft2(images)) ** 2
    power[:, 0, 0] = 0.0  # the mean intensity is no pattern
    total = power.sum()
    height, width = images.shape[1:]
    nyquist = power[:, height // 2, :].sum() + power[:, :, width // 2].sum() - power[:, height // 2, width // 2].sum()
    return float(nyquist / total)
