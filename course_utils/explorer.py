"""The latent explorer of notebook 06: ipywidgets that decode latents live, for several models side by side.

Only the API common to ipywidgets 7.7 (what Colab ships) and 8 is used: ``FloatSlider``,
``Dropdown``, ``Image``, ``Label``, ``HBox``/``VBox``, ``observe`` and ``add_class``.
A *decoder* here is any function from latents (n, d) to images (n, 28, 28, 1) in [0, 1]:
the GAN's generator rescaled from [-1, 1], or the VAE decoder's Bernoulli means.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from PIL import Image

from course_utils import latent, plots

Decoder = Callable[[np.ndarray], np.ndarray]


def png(images01: np.ndarray, ncols: int, scale: int = 4) -> bytes:
    """Images in [0, 1] as one PNG mosaic, dark ink on white, enlarged ``scale`` times."""
    mosaic = np.clip(1.0 - plots.tile(np.asarray(images01, np.float32), ncols), 0.0, 1.0)
    picture = Image.fromarray(np.round(mosaic * 255).astype(np.uint8))
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _image(images01, ncols: int) -> widgets.Image:
    return widgets.Image(value=png(images01, ncols), format="png")


def latent_sliders(decoders: dict[str, Decoder], start: dict[str, np.ndarray], directions: int = 6) -> widgets.Widget:
    """For each model, sliders over the first ``directions`` latent coordinates of a starting latent.

    In a Gaussian latent space every coordinate is a direction of equal prior weight, so
    sliding one from -3 to 3 shows what that direction encodes (for a VAE, often stroke
    width or slant; for a GAN, usually a mix).
    """
    columns = []
    for name, decode in decoders.items():
        z = np.array(start[name], np.float32)
        image = _image(decode(z[None]), 1)
        sliders = [widgets.FloatSlider(value=float(np.clip(z[i], -3, 3)), min=-3.0, max=3.0, step=0.1,
                                       description=f"z[{i}]", continuous_update=False) for i in range(directions)]

        def update(change, z=z, image=image, sliders=sliders, decode=decode):
            for i, slider in enumerate(sliders):
                z[i] = slider.value
            image.value = png(decode(z[None]), 1)

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
    digits = sorted(set.intersection(*(set(c) for c in codes.values())))
    start = widgets.Dropdown(options=digits, value=first, description="from digit")
    end = widgets.Dropdown(options=digits, value=second, description="to digit")
    t = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="t", continuous_update=False)

    def decoded(name):
        z = latent.slerp(codes[name][start.value], codes[name][end.value], t.value).astype(np.float32)
        return decoders[name](z[None])

    images = {name: _image(decoded(name), 1) for name in decoders}

    def update(change):
        for name, image in images.items():
            image.value = png(decoded(name), 1)

    for control in (start, end, t):
        control.observe(update, names="value")
    panels = widgets.HBox([widgets.VBox([widgets.Label(name), image]) for name, image in images.items()])
    box = widgets.VBox([widgets.HBox([start, end]), t, panels])
    box.add_class("course-interpolation")
    return box
