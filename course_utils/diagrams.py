"""Diagrams drawn before the maths: what flows where in a GAN and a VAE, and what FID and precision/recall measure.

A learner reads a data-flow picture faster than a page of formulas, so notebook 01 opens with ``gan_dataflow``
(noise, generator, discriminator, the two losses and which network each gradient updates) and notebook 02 with
``vae_dataflow`` (encoder, the noise entering from the side, decoder, the two ELBO terms, and where gradients do
and do not flow: the reparameterization trick).  ``fid_picture`` and ``precision_recall_picture`` show, on 2-D
points, what the two sample metrics compare; their printed numbers are computed by ``course_utils.metrics``
itself, so the picture and the metric cannot disagree.

They are drawn with matplotlib from code here, not stored as image files, so they are versioned with the course
and restyled in one place (``STYLE``, ``FONT_SIZE``).  Each function returns a Figure; a notebook saves it with
``plots.save`` (PNG at 200 dpi, sized for a slide).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch

from course_utils import metrics

FONT_SIZE = 13
STYLE = {"network": "#cfe2f3", "data": "#eeeeee", "noise": "#fff2cc", "value": "white", "loss": "#f4cccc"}
GRADIENT = "#d9480f"          # the colour of every gradient arrow
REAL, GENERATED = "C0", "C1"  # the colours of real and generated points, as in the course's other plots


# --- boxes and arrows ------------------------------------------------------------


def _canvas(width: float, height: float):
    """A blank figure whose data units are inches, so boxes and text keep their size whatever the figure's."""
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    return fig, ax


def _box(ax, x: float, y: float, text: str, kind: str, width: float = 2.2, height: float = 0.9):
    """A rounded box centred at (x, y), coloured by its ``kind`` (a key of ``STYLE``); arrows attach to its edge."""
    patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.04,rounding_size=0.12",
                           facecolor=STYLE[kind], edgecolor="0.3", lw=1.2)
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT_SIZE)
    return patch


def _centre(patch):
    return patch.get_x() + patch.get_width() / 2, patch.get_y() + patch.get_height() / 2


def _arrow(ax, start, end, label: str = "", kind: str = "forward", bend: float = 0.0, label_offset=(0.0, 0.22)):
    """An arrow from box ``start`` to box ``end``: the forward pass (black), a gradient (dashed, ``GRADIENT``) or
    a sample that no gradient enters (grey, dotted).  ``bend`` curves it (matplotlib's arc3 radius)."""
    color, style = {"forward": ("0.1", "-"), "gradient": (GRADIENT, "--"), "sample": ("0.5", ":")}[kind]
    (x0, y0), (x1, y1) = _centre(start), _centre(end)
    ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), patchA=start, patchB=end, arrowstyle="-|>", mutation_scale=18,
                                 color=color, linestyle=style, lw=2 if kind == "gradient" else 1.6,
                                 connectionstyle=f"arc3,rad={bend}", shrinkA=3, shrinkB=3))
    if label:
        # the midpoint of the arc: the chord's midpoint pushed sideways by bend * (chord length)
        mx, my = (x0 + x1) / 2 + bend * (y1 - y0) / 2, (y0 + y1) / 2 - bend * (x1 - x0) / 2
        ax.text(mx + label_offset[0], my + label_offset[1], label, ha="center", va="center",
                fontsize=FONT_SIZE - 1, color=color)


def _arrow_legend(ax, gradient: str, loc: str = "lower left", sample: bool = False):
    """The key to the arrows: forward pass, backward pass (``gradient`` says of what) and, with ``sample``, the
    noise that no gradient enters."""
    handles = [Line2D([], [], color="0.1", lw=1.6, label="forward pass"),
               Line2D([], [], color=GRADIENT, lw=2, ls="--", label=f"backward pass: {gradient}")]
    if sample:
        handles.append(Line2D([], [], color="0.5", lw=1.6, ls=":", label="sampled: no gradient"))
    ax.legend(handles=handles, loc=loc, fontsize=FONT_SIZE - 2, frameon=False)


# --- the two models ------------------------------------------------------------------


def gan_dataflow():
    """Notebook 01's GAN: z ~ p_z -> G -> G(z); real x ~ p_data; both -> D -> logit, D = sigmoid(logit); D's loss
    (binary cross-entropy on real and fake, -V) updates D only, G's non-saturating loss -log D(G(z)) is
    backpropagated through D, held fixed, and updates G only."""
    fig, ax = _canvas(14.6, 6.4)
    noise = _box(ax, 1.4, 4.6, "noise\n$z \\sim p_z = \\mathcal{N}(0, I)$", "noise", width=2.5)
    generator = _box(ax, 4.1, 4.6, "generator $G$", "network")
    fake = _box(ax, 6.7, 4.6, "fake sample\n$G(z)$", "data")
    real = _box(ax, 6.7, 2.2, "real sample\n$x \\sim p_{data}$", "data")
    discriminator = _box(ax, 9.0, 3.4, "discriminator $D$", "network")
    output = _box(ax, 12.3, 3.4, "logit $\\ell$, and\n$D = \\mathrm{sigmoid}(\\ell) \\in (0, 1)$", "value", width=3.1,
                  height=1.0)
    g_loss = _box(ax, 12.3, 5.6, "G's loss (non-saturating)\n$-\\log D(G(z))$", "loss", width=3.4, height=1.0)
    d_loss = _box(ax, 12.3, 1.2, "D's loss (binary cross-entropy, $-V$)\n$-\\log D(x) - \\log(1 - D(G(z)))$",
                  "loss", width=4.2, height=1.0)
    for start, end in ((noise, generator), (generator, fake), (fake, discriminator), (real, discriminator),
                       (discriminator, output), (output, g_loss), (output, d_loss)):
        _arrow(ax, start, end)
    _arrow(ax, d_loss, discriminator, "updates D only", kind="gradient", bend=-0.3, label_offset=(-0.9, 0.0))
    # G's gradient is backpropagated through D (whose weights it leaves alone) and the fake sample into G
    _arrow(ax, g_loss, output, kind="gradient", bend=0.5)
    _arrow(ax, output, discriminator, kind="gradient", bend=0.5)
    _arrow(ax, discriminator, fake, "through D, held fixed:\nno update of D", kind="gradient", bend=0.5,
           label_offset=(0.9, 0.55))
    _arrow(ax, fake, generator, "updates G only", kind="gradient", bend=0.6, label_offset=(0.0, 0.35))
    ax.text(6.7, 0.45, "one D scores both; each network is updated by its own loss, with its own optimizer",
            ha="center", fontsize=FONT_SIZE - 2, color="0.3")
    _arrow_legend(ax, "the gradient of a loss, to the weights it updates", loc="upper left")
    return fig


def vae_dataflow():
    """Notebook 02's VAE: x -> encoder -> (mu, log sigma^2); eps ~ N(0, I) enters from the side; z = mu + sigma * eps
    -> decoder -> Bernoulli logits -> the reconstruction term; KL(q(z|x) || N(0, I)) from (mu, sigma).  The
    gradient arrows run back through mu and sigma to the encoder and never into eps: the reparameterization trick."""
    fig, ax = _canvas(14.0, 6.75)
    image = _box(ax, 1.2, 2.8, "image $x$", "data", width=1.6)
    encoder = _box(ax, 3.6, 2.8, "encoder\n$q_\\phi(z \\mid x)$", "network")
    moments = _box(ax, 6.4, 2.8, "$\\mu_\\phi(x)$\n$\\log\\sigma^2_\\phi(x)$", "value", width=2.0, height=1.1)
    sample = _box(ax, 9.3, 2.8, "$z = \\mu + \\sigma \\odot \\varepsilon$\n"
                  "$\\sigma = \\exp(\\frac{1}{2}\\log\\sigma^2)$", "value", width=2.6, height=1.1)
    noise = _box(ax, 9.3, 0.7, "$\\varepsilon \\sim \\mathcal{N}(0, I)$", "noise", width=2.4, height=0.7)
    decoder = _box(ax, 12.3, 2.8, "decoder\n$p_\\theta(x \\mid z)$", "network")
    logits = _box(ax, 12.3, 5.3, "Bernoulli logits\n(one per pixel)", "value", width=2.4)
    reconstruction = _box(ax, 8.9, 5.2, "reconstruction term\n$\\log p_\\theta(x \\mid z)$ = $-$BCE(x, logits),\n"
                          "summed over pixels", "loss", width=3.6, height=1.25)
    kl = _box(ax, 4.3, 5.3, "KL term, closed form\n$\\mathrm{KL}(q_\\phi(z \\mid x)\\,\\|\\,\\mathcal{N}(0, I))$",
              "loss", width=3.8, height=1.0)
    for start, end in ((image, encoder), (encoder, moments), (moments, sample), (sample, decoder),
                       (decoder, logits), (logits, reconstruction), (moments, kl)):
        _arrow(ax, start, end)
    _arrow(ax, noise, sample, kind="sample")
    ax.text(10.65, 1.45, "sampled: no gradient\nflows into $\\varepsilon$", fontsize=FONT_SIZE - 2, color="0.4",
            va="center")
    # x is also the reconstruction term's target: a line over the KL box, into the term from above
    top = 6.05
    ax.plot([1.2, 1.2, 7.8], [3.25, top, top], color="0.1", lw=1.6)
    ax.annotate("", xy=(7.8, 5.2 + 1.25 / 2), xytext=(7.8, top + 0.01),
                arrowprops=dict(arrowstyle="-|>", mutation_scale=18, color="0.1", lw=1.6, shrinkA=0, shrinkB=2))
    ax.text(1.35, top - 0.2, "x is the target", fontsize=FONT_SIZE - 2, va="center")
    _arrow(ax, reconstruction, logits, kind="gradient", bend=-0.5)
    _arrow(ax, logits, decoder, "$\\nabla_\\theta$", kind="gradient", bend=-0.4, label_offset=(0.35, 0.0))
    _arrow(ax, decoder, sample, kind="gradient", bend=0.45)
    _arrow(ax, sample, moments, "$\\partial z / \\partial\\mu = 1$,  $\\partial z / \\partial\\sigma = \\varepsilon$",
           kind="gradient", bend=0.45, label_offset=(0.0, 0.3))
    _arrow(ax, kl, moments, kind="gradient", bend=-0.3)
    _arrow(ax, moments, encoder, "$\\nabla_\\phi$", kind="gradient", bend=0.45, label_offset=(0.0, 0.25))
    ax.text(6.6, 6.45, "ELBO = reconstruction term $-$ KL term   (maximised over $\\phi$ and $\\theta$)", ha="center",
            fontsize=FONT_SIZE)
    _arrow_legend(ax, "the gradient of $-$ELBO", loc="lower left", sample=True)
    return fig


# --- the two metrics ------------------------------------------------------------------


def toy_features(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 2-D "real" points from N(0, I) and ``n`` "generated" ones from a generator that misses part of the
    data (four fifths from a narrower, shifted Gaussian) and puts a fifth of its samples where there are no data
    (a small blob far out): both precision and recall fall below 1, for different reasons."""
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(n, 2))
    generated = rng.normal(size=(n, 2)) * [0.45, 0.7] + [0.6, 0.3]
    off_data = n // 5
    generated[:off_data] = rng.normal(size=(off_data, 2)) * 0.35 + [3.2, -2.8]
    return real, generated


def _check_points(points, name: str) -> np.ndarray:
    points = np.asarray(points, np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"{name} must be 2-D points, an (n, 2) array, got shape {points.shape}: these pictures "
                         f"explain the metrics on the plane (e.g. diagrams.toy_features(n))")
    return points


def _gaussian_ellipse(ax, points, color: str) -> None:
    """The fitted Gaussian: its mean (a cross) and its 2-sigma covariance ellipse."""
    mean, cov = points.mean(0), np.cov(points, rowvar=False)
    variances, vectors = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))   # the direction of the larger variance
    ax.add_patch(Ellipse(mean, 4 * np.sqrt(variances[1]), 4 * np.sqrt(variances[0]), angle=angle, fill=False,
                         color=color, lw=2.5))
    ax.plot(*mean, marker="X", ms=16, color=color, markeredgecolor="black")


def fid_picture(real, generated):
    """What FID compares: a Gaussian fitted to each feature set (mean and covariance), and the Frechet distance
    between the two, computed by ``metrics.fid`` on these same 2-D points."""
    real, generated = _check_points(real, "real"), _check_points(generated, "generated")
    fid = metrics.fid(real, generated)
    mean_term = float(np.sum((real.mean(0) - generated.mean(0)) ** 2))
    covariance_term = metrics.frechet_distance(np.zeros(2), np.cov(real, rowvar=False), np.zeros(2),
                                               np.cov(generated, rowvar=False))
    fig, ax = plt.subplots(figsize=(8, 7.2))
    ax.scatter(*real.T, s=14, color=REAL, alpha=0.5, label="real features")
    ax.scatter(*generated.T, s=14, color=GENERATED, alpha=0.5, label="generated features")
    _gaussian_ellipse(ax, real, REAL)
    _gaussian_ellipse(ax, generated, GENERATED)
    ax.plot([], [], "kX", ms=12, label="fitted means $\\mu_r$, $\\mu_g$")
    ax.plot([], [], "k-", lw=2.5, label="2-$\\sigma$ ellipses of $\\Sigma_r$, $\\Sigma_g$")
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize=FONT_SIZE - 2)
    ax.set_title("FID $= \\Vert\\mu_r - \\mu_g\\Vert^2 + "
                 "\\mathrm{Tr}(\\Sigma_r + \\Sigma_g - 2(\\Sigma_r\\Sigma_g)^{1/2})$", fontsize=FONT_SIZE + 1)
    ax.set_xlabel(f"FID = {fid:.3f}  (means {mean_term:.3f}, covariances {covariance_term:.3f}), by metrics.fid\n"
                  f"on these 2-D points. The course's FID fits the Gaussians to the {metrics.FEATURE_DIM}\n"
                  f"features of its MNIST classifier's feature layer, not to 2-D points.", fontsize=FONT_SIZE - 1)
    return fig


def _balls(ax, points, squared_radii, color: str, label: str) -> None:
    for i, (centre, radius) in enumerate(zip(points, np.sqrt(squared_radii))):
        ax.add_patch(Circle(centre, radius, color=color, alpha=0.12, lw=0, label=label if i == 0 else None))
    ax.scatter(*points.T, s=6, color=color)


def _membership(ax, points, inside, color: str, name: str, support: str) -> None:
    ax.scatter(*points[inside].T, s=45, color=color, edgecolor="black", zorder=3,
               label=f"{name}, inside a {support} ball: counts")
    ax.scatter(*points[~inside].T, s=45, facecolor="white", edgecolor=color, lw=1.5, zorder=3,
               label=f"{name}, outside every {support} ball")


def precision_recall_picture(real, generated, k: int = 3):
    """What precision and recall count (Kynkaanniemi et al. 2019, as ``metrics.precision_recall``): around each
    real point a ball reaching its k-th nearest real neighbour, around each generated point one reaching its k-th
    nearest generated neighbour.  Precision is the share of generated points inside some real ball, recall the
    share of real points inside some generated ball; the points that count are filled."""
    real, generated = _check_points(real, "real"), _check_points(generated, "generated")
    if not 1 <= k < min(len(real), len(generated)):
        raise ValueError(f"k = {k}: need 1 <= k < the number of points in each set ({len(real)} real, "
                         f"{len(generated)} generated); use more points or a smaller k")
    precision, recall = metrics.precision_recall(real, generated, k=k)
    # the same balls and membership test that metrics.precision_recall uses, in its float32
    real32, generated32 = real.astype(np.float32), generated.astype(np.float32)
    real_radii, generated_radii = metrics.knn_radii(real32, k), metrics.knn_radii(generated32, k)
    generated_inside = metrics.inside_manifold(generated32, real32, real_radii)
    real_inside = metrics.inside_manifold(real32, generated32, generated_radii)
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 7.4), sharex=True, sharey=True)
    _balls(left, real, real_radii, REAL, "ball around a real point, reaching its k-th nearest real point")
    _membership(left, generated, generated_inside, GENERATED, "generated", "real")
    left.set_title(f"precision = {precision:.3f}: {generated_inside.sum()} of {len(generated)} generated\n"
                   f"points lie inside some real ball (quality)", fontsize=FONT_SIZE)
    _balls(right, generated, generated_radii, GENERATED,
           "ball around a generated point, reaching its k-th nearest generated point")
    _membership(right, real, real_inside, REAL, "real", "generated")
    right.set_title(f"recall = {recall:.3f}: {real_inside.sum()} of {len(real)} real\n"
                    f"points lie inside some generated ball (diversity)", fontsize=FONT_SIZE)
    for ax in (left, right):
        ax.set_aspect("equal")
        ax.autoscale_view()
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.32), fontsize=FONT_SIZE - 3)
    fig.suptitle(f"k-NN balls with k = {k}, the values by metrics.precision_recall on these 2-D points "
                 f"(the course computes them on its classifier's {metrics.FEATURE_DIM} features)",
                 fontsize=FONT_SIZE - 1)
    return fig
