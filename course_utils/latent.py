"""Walking a Gaussian latent space: quantile grids, spherical interpolation, and the latent explorer.

Used by the VAE and GAN notebooks for the 2-D manifold plot, interpolations between digits
and the latent explorer of notebook 06.

The explorer's widgets use only the API common to ipywidgets 7.7 (what Colab ships) and 8:
``FloatSlider``, ``Dropdown``, ``Image``, ``Label``, ``HBox``/``VBox``, ``observe`` and
``add_class``; ipywidgets is imported when a widget is made, not with this module.  A
*decoder* there is any function from latents (n, d) to images (n, 28, 28, 1) in [0, 1]: the
GAN's ``images01`` or the VAE's ``decode_means``.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from course_utils import plots

if TYPE_CHECKING:
    import ipywidgets as widgets

Decoder = Callable[[np.ndarray], np.ndarray]


def gaussian_grid(n: int) -> np.ndarray:
    """n values at the quantiles (i + 0.5) / n of N(0, 1): equal probability mass between them,
    so a grid of decoded points covers the prior evenly instead of wasting space in its tails."""
    return np.array([NormalDist().inv_cdf((i + 0.5) / n) for i in range(n)])


def slerp(z0: np.ndarray, z1: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation from z0 (t=0) to z1 (t=1): (sin((1-t)w) z0 + sin(tw) z1) / sin w,
    with w the angle between z0 and z1.

    In high dimension, samples of N(0, I) concentrate near the sphere of radius ~sqrt(d), and the
    straight line between two of them passes through the low-norm middle, which the models rarely
    saw in training.  When ``|z0| = |z1|`` slerp keeps that norm all the way (it follows the arc of
    the great circle); when the norms differ -- two encoder means, say -- the norm varies along the
    path and stays higher than the straight line's, but it is not constant.
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * z0 + t * z1
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int, spherical: bool = True) -> np.ndarray:
    """``steps`` latents from z0 to z1 inclusive, as a (steps, d) float32 array."""
    ts = np.linspace(0.0, 1.0, steps)
    path = [slerp(z0, z1, t) if spherical else (1 - t) * z0 + t * z1 for t in ts]
    return np.array(path, dtype=np.float32)


def codes_by_digit(latents: np.ndarray, decoded01: np.ndarray) -> dict[int, np.ndarray]:
    """digit -> the latent whose decoded image the course's classifier is surest shows that digit.

    ``decoded01`` are the images of ``latents`` in [0, 1].  For a GAN, pass random latents and
    their samples; for a VAE, encoder means of test digits and their reconstructions.
    Digits the classifier finds in none of the images are left out.
    """
    from course_utils import metrics

    _, probabilities = metrics.features_and_probabilities(decoded01)
    labels = probabilities.argmax(1)
    return {int(d): np.asarray(latents[np.flatnonzero(labels == d)[probabilities[labels == d, d].argmax()]])
            for d in np.unique(labels)}


# --- the latent explorer (widgets) -----------------------------------------------------------


def _image(images01, ncols: int):
    import ipywidgets as widgets

    return widgets.Image(value=plots.png(images01, ncols), format="png")


def latent_sliders(decoders: dict[str, Decoder], start: dict[str, np.ndarray], directions: int = 6) -> widgets.Widget:
    """For each model, sliders over the first ``directions`` latent coordinates of a starting latent.

    In a Gaussian latent space every coordinate is a direction of equal prior weight, so
    sliding one from -3 to 3 shows what that direction encodes (for a VAE, often stroke
    width or slant; for a GAN, usually a mix).
    """
    import ipywidgets as widgets

    columns = []
    for name, decode in decoders.items():
        z = np.array(start[name], np.float32)
        image = _image(decode(z[None]), 1)
        sliders = [widgets.FloatSlider(value=float(np.clip(z[i], -3, 3)), min=-3.0, max=3.0, step=0.1,
                                       description=f"z[{i}]", continuous_update=False) for i in range(directions)]

        def update(change, z=z, image=image, sliders=sliders, decode=decode):
            for i, slider in enumerate(sliders):
                z[i] = slider.value
            image.value = plots.png(decode(z[None]), 1)

        for slider in sliders:
            slider.observe(update, names="value")
        columns.append(widgets.VBox([widgets.Label(name), image, *sliders]))
    box = widgets.HBox(columns)
    box.add_class("course-latent-sliders")
    return box


def interpolation(decoders: dict[str, Decoder], codes: dict[str, dict[int, np.ndarray]],
                  first: int = 1, second: int = 7) -> widgets.Widget:
    """Pick two digits; slide ``t`` from 0 to 1 to walk the arc (slerp) between their latents in every model.

    ``codes[model][digit]`` is a latent that the model decodes as that digit.
    """
    import ipywidgets as widgets

    digits = sorted(set.intersection(*(set(c) for c in codes.values())))
    start = widgets.Dropdown(options=digits, value=first, description="from digit")
    end = widgets.Dropdown(options=digits, value=second, description="to digit")
    t = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="t", continuous_update=False)

    def decoded(name):
        z = slerp(codes[name][start.value], codes[name][end.value], t.value).astype(np.float32)
        return decoders[name](z[None])

    images = {name: _image(decoded(name), 1) for name in decoders}

    def update(change):
        for name, image in images.items():
            image.value = plots.png(decoded(name), 1)

    for control in (start, end, t):
        control.observe(update, names="value")
    panels = widgets.HBox([widgets.VBox([widgets.Label(name), image]) for name, image in images.items()])
    box = widgets.VBox([widgets.HBox([start, end]), t, panels])
    box.add_class("course-interpolation")
    return box
