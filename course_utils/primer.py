"""The primer's pictures and the small computations behind them (notebook 00b).

Three ideas that the GAN and VAE notebooks use without re-deriving them, each with a picture:

* **KL divergence** between two 1-D Gaussians: the closed form (``gaussian_kl``), a Monte Carlo
  estimate with its standard error (``monte_carlo_kl``), and ``kl_picture``, which shades the
  integrand p log(p/q), whose area is the KL.
* **Jensen's inequality** for the concave log: ``jensen_picture`` draws the chord between two points
  of the curve log x; it lies below the curve, so E[log X] (on the chord) sits under log E[X] (on the curve).
* **Transposed convolution** as stamps: every input pixel adds a scaled copy of the kernel to the
  output, ``stride`` pixels apart (``transposed_convolution``, single channel, Keras's ``"valid"``
  padding); where the stamps overlap they add up, which is where checkerboard artefacts come from
  (``transposed_convolution_picture``).

The functions check their arguments and say what to pass instead.  NumPy and matplotlib only; the Gaussian
log-density is ``theory_gan``'s.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course_utils.theory_gan import gaussian_log_pdf


def _positive(**values) -> None:
    for name, value in values.items():
        if not np.all(np.asarray(value, dtype=float) > 0):
            raise ValueError(f"{name} must be positive (a standard deviation, not a variance or log-variance), "
                             f"got {value!r}")


def gaussian_kl(mu_p: float, s_p: float, mu_q: float, s_q: float) -> float:
    """KL(N(mu_p, s_p^2) || N(mu_q, s_q^2)) in nats, in closed form:
    log(s_q / s_p) + (s_p^2 + (mu_p - mu_q)^2) / (2 s_q^2) - 1/2.

    With q = N(0, 1) it is 1/2 (mu^2 + s^2 - 1 - log s^2), the VAE's KL term per latent dimension
    (``losses.gaussian_kl_per_dimension``).  ``s_p`` and ``s_q`` are standard deviations.
    """
    _positive(s_p=s_p, s_q=s_q)
    return float(np.log(s_q / s_p) + (s_p**2 + (mu_p - mu_q) ** 2) / (2 * s_q**2) - 0.5)


def monte_carlo_kl(mu_p: float, s_p: float, mu_q: float, s_q: float, n: int, seed: int = 0) -> tuple[float, float]:
    """A Monte Carlo estimate of KL(p || q) for 1-D Gaussians, and its standard error.

    KL(p || q) = E_{x ~ p}[log p(x) - log q(x)]: draw ``n`` samples of p with ``seed``, average the
    log-ratio, and report the standard error std / sqrt(n) of that average, so that a check can use a
    tolerance of a few standard errors instead of a guessed one.
    """
    _positive(s_p=s_p, s_q=s_q)
    if int(n) != n or n < 2:
        raise ValueError(f"n is the number of samples: an integer of at least 2, got {n!r}")
    x = np.random.default_rng(seed).normal(mu_p, s_p, int(n))
    log_ratio = gaussian_log_pdf(x, mu_p, s_p) - gaussian_log_pdf(x, mu_q, s_q)
    return float(log_ratio.mean()), float(log_ratio.std(ddof=1) / np.sqrt(n))


def kl_picture(mu_p: float, s_p: float, mu_q: float, s_q: float, points: int = 2001):
    """Two panels: the densities p and q, and the integrand p log(p/q), shaded; its area is KL(p || q).

    The integrand is negative where q > p, yet its area is never negative.  The right panel's title gives
    the area by a Riemann sum over the plotted grid beside the closed form.  Returns the figure.
    """
    _positive(s_p=s_p, s_q=s_q)
    x, dx = np.linspace(min(mu_p - 5 * s_p, mu_q - 5 * s_q), max(mu_p + 5 * s_p, mu_q + 5 * s_q), points,
                        retstep=True)
    log_p, log_q = gaussian_log_pdf(x, mu_p, s_p), gaussian_log_pdf(x, mu_q, s_q)
    integrand = np.exp(log_p) * (log_p - log_q)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
    left.plot(x, np.exp(log_p), label=f"p = N({mu_p:g}, {s_p:g}²)")
    left.plot(x, np.exp(log_q), label=f"q = N({mu_q:g}, {s_q:g}²)")
    left.set_xlabel("x")
    left.set_title("the two densities")
    left.legend(fontsize=8)
    right.plot(x, integrand, color="k", lw=1)
    right.fill_between(x, integrand, where=integrand >= 0, color="C2", alpha=0.5, label="p log(p/q) > 0")
    right.fill_between(x, integrand, where=integrand < 0, color="C3", alpha=0.5, label="p log(p/q) < 0 (q > p)")
    right.axhline(0, color="gray", lw=0.8)
    right.set_xlabel("x")
    right.set_title(f"shaded area = KL(p‖q) = {np.sum(integrand) * dx:.4f} "
                    f"(closed form {gaussian_kl(mu_p, s_p, mu_q, s_q):.4f})", fontsize=9)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def jensen_picture(a: float, b: float, weight: float = 0.5):
    """Jensen's inequality for log, on X = b with probability ``weight`` and X = a otherwise.

    The chord from (a, log a) to (b, log b) lies below the concave curve log x.  At E[X] the curve gives
    log E[X] and the chord gives E[log X]; the vertical gap between the two marked points is the Jensen gap
    log E[X] - E[log X] >= 0.  Returns the figure.
    """
    _positive(a=a, b=b)
    if not 0 < weight < 1:
        raise ValueError(f"weight is the probability of X = b: strictly between 0 and 1, got {weight!r}")
    mean, mean_log = (1 - weight) * a + weight * b, (1 - weight) * np.log(a) + weight * np.log(b)
    x = np.linspace(min(a, b) * 0.5, max(a, b) * 1.2, 400)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.plot(x, np.log(x), color="k", label="log x (concave)")
    ax.plot([a, b], [np.log(a), np.log(b)], "o--", color="C0", label="chord between (a, log a) and (b, log b)")
    ax.plot([mean], [np.log(mean)], "o", color="C3", label=f"log E[X] = {np.log(mean):.4f}")
    ax.plot([mean], [mean_log], "s", color="C0", label=f"E[log X] = {mean_log:.4f}")
    ax.axvline(mean, color="gray", ls=":", lw=0.8)
    ax.set_xlabel("x")
    ax.set_title(f"X = {a:g} or {b:g} (P(X = {b:g}) = {weight:g}): Jensen gap {np.log(mean) - mean_log:.4f}",
                 fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _image_and_kernel(x, kernel, stride):
    x, kernel = np.asarray(x, dtype=float), np.asarray(kernel, dtype=float)
    if x.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"x and kernel must be 2-D arrays (one channel, no batch axis), got shapes {x.shape} "
                         f"and {kernel.shape}")
    if int(stride) != stride or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}")
    return x, kernel, int(stride)


def transposed_convolution(x, kernel, stride: int) -> np.ndarray:
    """The transposed convolution of a single-channel image ``x`` with ``kernel``, Keras's ``"valid"`` padding.

    Every input pixel x[i, j] adds x[i, j] * kernel onto the output with its top-left corner at
    (stride * i, stride * j); overlapping stamps add up.  The output has (n - 1) * stride + k rows for
    n input rows and a kernel of k >= stride rows (likewise for columns); for a kernel smaller than the
    stride, Keras pads the output with zeros to n * stride rows, and so does this.  Keras's
    ``Conv2DTranspose`` computes the same, per channel, without flipping the kernel.
    """
    x, kernel, stride = _image_and_kernel(x, kernel, stride)
    (rows, cols), (kh, kw) = x.shape, kernel.shape
    out = np.zeros(((rows - 1) * stride + max(kh, stride), (cols - 1) * stride + max(kw, stride)))
    for i in range(rows):
        for j in range(cols):
            out[stride * i: stride * i + kh, stride * j: stride * j + kw] += x[i, j] * kernel
    return out


def _show_numbers(ax, values, title: str) -> None:
    ax.imshow(values, cmap="Greys", alpha=0.6)
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def transposed_convolution_picture(x, kernel, stride: int):
    """Four panels: the input, the kernel, the output with each input pixel's stamp outlined in its own
    colour, and how many stamps cover each output pixel (the transposed convolution of ones by ones).

    Uneven counts (1, 2 and 4 for a 3 x 3 kernel with stride 2), when the kernel size is not a multiple of the
    stride, are one source of a transposed convolution's checkerboard artefacts.  Returns the figure.
    """
    x, kernel, stride = _image_and_kernel(x, kernel, stride)
    out = transposed_convolution(x, kernel, stride)
    counts = transposed_convolution(np.ones_like(x), np.ones_like(kernel), stride)
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.4), gridspec_kw={"width_ratios": [x.shape[1], kernel.shape[1],
                                                                                   out.shape[1], out.shape[1]]})
    _show_numbers(axes[0], x, "input x")
    _show_numbers(axes[1], kernel, "kernel")
    _show_numbers(axes[2], out, f"output, stride {stride}: the stamps x[i, j] · kernel add up")
    for number, (i, j) in enumerate(np.ndindex(*x.shape)):
        shift = 0.04 + 0.06 * (number % 4)  # so that the outlines of overlapping stamps stay apart, inside the axes
        axes[2].add_patch(plt.Rectangle((stride * j - 0.5 + shift, stride * i - 0.5 + shift), kernel.shape[1] - 0.26,
                                        kernel.shape[0] - 0.26, fill=False, lw=1.5, color=f"C{number % 10}"))
    _show_numbers(axes[3], counts, "stamps covering each output pixel")
    fig.tight_layout()
    return fig
