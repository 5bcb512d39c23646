"""Image grids and PNG mosaics."""

import io

import numpy as np
import pytest
from PIL import Image

from course_utils import plots


def test_tile_places_images_in_rows():
    images = np.arange(5 * 2 * 2, dtype=np.uint8).reshape(5, 2, 2, 1)
    mosaic = plots.tile(images, ncols=3, pad=1)
    assert mosaic.shape == (2 * 3 - 1, 3 * 3 - 1)
    np.testing.assert_array_equal(mosaic[3:5, 3:5], images[4, ..., 0])
    with pytest.raises(ValueError, match="grey images"):
        plots.tile(np.zeros((2, 4, 4, 3)))


def test_png_draws_dark_ink_on_white_at_the_requested_scale():
    images = np.zeros((2, 28, 28, 1), np.float32)
    images[1] = 1.0  # all ink
    picture = np.asarray(Image.open(io.BytesIO(plots.png(images, ncols=2, scale=3))))
    assert picture.shape == (28 * 3, (2 * 29 - 1) * 3)
    assert picture[:, :28 * 3].min() == 255 and picture[:, -28 * 3:].max() == 0


def test_saved_figures_are_sharp_enough_for_slides(tmp_path, monkeypatch):
    """figures/ is a teacher's slide kit: PNGs at 200 dpi or more, written only in full mode."""
    import matplotlib.pyplot as plt

    from course_utils import config

    monkeypatch.setattr(config, "FIGURES_DIR", tmp_path)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    monkeypatch.setattr(config, "FAST", True)
    plots.save(fig, "fast")
    assert not (tmp_path / "fast.png").exists(), "a fast-mode run must not overwrite the committed figures"
    monkeypatch.setattr(config, "FAST", False)
    plots.save(fig, "slide")
    plt.close(fig)
    with Image.open(tmp_path / "slide.png") as image:
        assert min(image.info["dpi"]) >= 199.5, image.info
        assert image.width >= 3 * 200, f"{image.width} pixels wide: too small to fill a slide"
