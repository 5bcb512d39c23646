"""Helpers for the GANs-vs-VAEs course.

The notebooks in ``notebooks/`` teach; the reusable, tested logic they import lives
here, one module per topic, each readable top to bottom:

==================  ============================================================  =========
module              what it holds                                                 notebooks
==================  ============================================================  =========
``config``          fast mode, where files go, the environment report             all
``colab``           the course map, the release the Colab badges point at, the    all
                    Colab set-up
``data``            MNIST fetched, verified and cached; the scalings              all
``plots``           image grids, PNG mosaics, GIFs, saving figures                all
``primer``          the primer's pictures: KL between Gaussians and its Monte     00b
                    Carlo estimate, Jensen's chord, transposed convolution
                    as stamps of the kernel
``diagrams``        the pictures before the maths: GAN and VAE data flow; what    01 02 06
                    FID and precision/recall compare, on 2-D points
``losses``          GAN and VAE losses and log-densities                          01 02 04 05
``theory_gan``      the GAN objective on 1-D densities; the 8-Gaussian toy GAN    01
``theory_vae``      the exact linear-Gaussian model; gradient estimators          02
``errata``          the article's defects, their reproductions, the fixed         03
                    listings (a package: ``catalogue``, ``reproductions``,
                    ``article_gan_fixed``, ``article_vae_fixed``, ``listings``
                    (their tags, side by side with the article), ``render``)
``training``        resumable runs in folders named by their settings; weight     04 05
                    averaging; time budgets
``gan``             the GAN trainer, the DCGAN networks, ``make_gan``, inversion, 01 04 06
                    the discriminator takeover                                    07
``vae``             the convolutional VAE, ``make_vae``; KL warm-up, free bits,   05 06 07
                    a Gaussian likelihood; the explainer's small 2-D VAE
``metrics``         the MNIST classifier's features; FID, KID, precision/recall,  04 05 06 07
                    coverage, sharpness, likelihood
``priors``          a learned mixture-of-Gaussians prior for the VAE              08
``latent``          Gaussian grids, slerp, latent widgets                         05 06
``interactive``     the GAN lab and the VAE explainer: states drawn as pictures,  01 05
                    and their widgets
``diagnostics``     the numbers that detect a failing run: KL per latent          07
                    dimension, active units, checkerboard share; a GAN run
                    scored every epoch
``compare``         scoring several models into one table; the shipped runs       05 06 07
``objectives``      notebook 08's measurements: the benchmark's results file,     08
                    its tables and FID-against-time curves
``exercises``       the exercise checks (CS231n-style relative errors)            all
``build_your_own``  checks of the learner's own GAN update, sampling layer,       04 05
                    ELBO, importance-weighted bound and FID
==================  ============================================================  =========

Importing a module starts TensorFlow only if that module needs it (``config``,
``colab`` and ``data`` do not).  ``start()`` starts it with its C++ start-up noise
filtered out; every notebook's setup cell calls it.

Maintainer tools (``make badges``, ``make weights``, ``make classifier``, the article's
excerpts for the errata tests) live in ``tools/``, and the reference networks of the
benchmarks in ``benchmarks/``.
"""

import os
import re
import sys
import tempfile

__version__ = "0.2.0"


# What TensorFlow's C++ core prints while it starts on a CPU-only machine: noise for learners.
START_UP_NOISE = re.compile(
    r"cuda|cudnn|cufft|cublas|tensorrt|oneDNN custom operations|cpu_feature_guard|This TensorFlow binary is"
    r"|To enable the following instructions|absl::InitializeLog|computation placer|Unable to register",
    re.IGNORECASE)


def start() -> None:
    """Import TensorFlow once, hiding its C++ start-up noise but keeping real errors.

    On a machine without a GPU, TensorFlow's C++ core prints lines about CUDA drivers,
    cuDNN/cuFFT/cuBLAS factories and CPU instruction sets while it starts; they would land
    in whichever notebook cell first touches TensorFlow.  Here the start-up output is
    captured, the lines matching ``START_UP_NOISE`` are dropped, and any other line (a
    real error) is passed on to stderr.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no INFO or WARNING lines from C++ at all
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")  # probes CUDA now; leaves logical devices configurable
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            output = captured.read().decode(errors="replace")
    errors = start_up_errors(output)
    if errors:
        print("\n".join(errors), file=sys.stderr)


def start_up_errors(output: str) -> list[str]:
    """The lines of TensorFlow's start-up output that are not known noise (``START_UP_NOISE``)."""
    return [line for line in output.splitlines() if line.strip() and not START_UP_NOISE.search(line)]
