"""Helpers for the GANs-vs-VAEs course.

The notebooks in ``notebooks/`` teach; the reusable, tested logic they import
lives here, one idea per module:

- ``config``          fast mode and where the course keeps its files
- ``contents``, ``colab``  the notebook map, the repository URL (badges) and the Colab set-up
- ``data``            MNIST, cached and verified, plus scalings
- ``losses``          GAN and VAE losses and log-densities
- ``gan``, ``dcgan``  the GAN as a ``keras.Model`` with its own ``train_step``; the DCGAN networks
- ``vae``             the convolutional VAE as a ``keras.Model``
- ``training``        resumable runs, time budgets; ``pretrained`` the shipped weights
- ``metrics``, ``classifier``  MNIST-FID, KID, precision/recall, coverage, likelihood
- ``latent``, ``explorer``  latent grids and interpolation; the ipywidgets latent explorer
- ``comparison``, ``inversion``  notebook 06's side-by-side table; GAN inversion by latent optimisation
- ``gan_theory``, ``toy2d``, ``linear_gaussian``, ``estimators``  the maths of notebooks 01-02
- ``errata``, ``reproductions``, ``listings``  the article's defects, reproduced and fixed
- ``plots``, ``envinfo``, ``checks``, ``exercises``  figures, environment report, exercise checks
"""

import os as _os

__version__ = "0.2.0"


def _start_tensorflow_quietly() -> None:
    """Import TensorFlow once with its C++ start-up chatter (CUDA probing on machines
    without a GPU, CPU-flag notices) sent to /dev/null: it is noise for learners and it
    would land in whichever notebook cell first touches TensorFlow."""
    _os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    saved, devnull = _os.dup(2), _os.open(_os.devnull, _os.O_WRONLY)
    _os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # probes CUDA; leaves logical devices configurable
    finally:
        _os.dup2(saved, 2)
        _os.close(saved)
        _os.close(devnull)


_start_tensorflow_quietly()
