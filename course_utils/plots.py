"""Small plotting helpers shared by the notebooks: image grids, PNG mosaics, GIFs and saving figures."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np

from course_utils import config


def tile(images: np.ndarray, ncols: int = 10, pad: int = 1) -> np.ndarray:
    """Arrange N grey images (N, H, W[, 1]) into one 2-D mosaic, ``ncols`` per row.

    Works for uint8 (0..255) and for floats in [0, 1]; empty cells are left at 0.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"expected grey images of shape (N, H, W) or (N, H, W, 1), got {images.shape}")
    n, h, w = images.shape
    nrows = -(-n // ncols)
    mosaic = np.zeros((nrows * (h + pad) - pad, ncols * (w + pad) - pad), dtype=images.dtype)
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        mosaic[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = image
    return mosaic


def png(images01: np.ndarray, ncols: int, scale: int = 4) -> bytes:
    """Images in [0, 1] as one PNG mosaic, dark ink on white, enlarged ``scale`` times (for widgets)."""
    from PIL import Image

    mosaic = np.clip(1.0 - tile(np.asarray(images01, np.float32), ncols), 0.0, 1.0)
    picture = Image.fromarray(np.round(mosaic * 255).astype(np.uint8))
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def show_grid(images, ncols: int = 10, title: str | None = None, labels=None, ax=None, scale: float = 0.6):
    """Show images as a grid; with ``labels``, each image gets its label as a small title."""
    images = np.asarray(images)
    vmax = 255 if images.dtype == np.uint8 else 1.0
    if labels is None:
        if ax is None:
            n_rows = -(-len(images) // ncols)
            _, ax = plt.subplots(figsize=(ncols * scale, n_rows * scale))
        ax.imshow(tile(images, ncols), cmap="gray_r", vmin=0, vmax=vmax)
        ax.axis("off")
        if title:
            ax.set_title(title)
        return ax.figure
    n_rows = -(-len(images) // ncols)
    fig, axes = plt.subplots(n_rows, ncols, figsize=(ncols * scale * 1.2, n_rows * scale * 1.5))
    for axis, image, label in zip(np.ravel(axes), images, labels):
        axis.imshow(np.squeeze(image), cmap="gray_r", vmin=0, vmax=vmax)
        axis.set_title(str(label), fontsize=8)
    for axis in np.ravel(axes):
        axis.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


FIGURE_DPI = 200  # figures/ is also a teacher's slide kit: sharp on a projector at full-slide size


def save(fig, name: str) -> None:
    """Save ``fig`` as ``figures/<name>.png`` at ``FIGURE_DPI`` (``make course`` refreshes these) -- full mode
    only, so a fast-mode run never overwrites the committed figures with small-data ones."""
    if not config.FAST:
        config.FIGURES_DIR.mkdir(exist_ok=True)
        fig.savefig(config.FIGURES_DIR / f"{name}.png", dpi=FIGURE_DPI, bbox_inches="tight")


def save_png(picture: bytes, name: str) -> None:
    """Write an already drawn PNG (e.g. an interactive view's ``filmstrip``) as ``figures/<name>.png``, full mode
    only, like ``save``."""
    if not config.FAST:
        config.FIGURES_DIR.mkdir(exist_ok=True)
        (config.FIGURES_DIR / f"{name}.png").write_bytes(picture)


def save_gif(frames, path, titles=None, ncols: int = 8, seconds_per_frame: float = 0.5) -> None:
    """Animate a list of image batches (e.g. per-epoch samples) as a GIF at ``path``."""
    from matplotlib import animation

    mosaics = [tile(np.asarray(f), ncols) for f in frames]
    fig, ax = plt.subplots(figsize=(ncols * 0.6, mosaics[0].shape[0] / mosaics[0].shape[1] * ncols * 0.6 + 0.3))
    ax.axis("off")
    low = -1.0 if np.min(frames[0]) < 0 else 0.0
    image = ax.imshow(mosaics[0], cmap="gray_r", vmin=low, vmax=1.0)
    title = ax.set_title(titles[0] if titles else "")

    def show(i):
        image.set_data(mosaics[i])
        title.set_text(titles[i] if titles else "")
        return image, title

    movie = animation.FuncAnimation(fig, show, frames=len(mosaics), blit=False)
    movie.save(path, writer=animation.PillowWriter(fps=1 / seconds_per_frame))
    plt.close(fig)
