import numpy as np
import pytest

from course_utils import checks, config, plots


def test_pick_follows_fast_mode(monkeypatch):
    monkeypatch.setattr(config, "FAST", True)
    assert config.pick(full=20, fast=1) == 1
    monkeypatch.setattr(config, "FAST", False)
    assert config.pick(full=20, fast=1) == 20
    assert config.describe(epochs=20).splitlines() == ["mode: full", "  epochs = 20"]


def test_tile_places_images_in_rows():
    images = np.arange(5 * 2 * 2, dtype=np.uint8).reshape(5, 2, 2, 1)
    mosaic = plots.tile(images, ncols=3, pad=1)
    assert mosaic.shape == (2 * 3 - 1, 3 * 3 - 1)
    np.testing.assert_array_equal(mosaic[3:5, 3:5], images[4, ..., 0])
    with pytest.raises(ValueError, match="grey images"):
        plots.tile(np.zeros((2, 4, 4, 3)))


def test_check_close_verdicts(capsys):
    assert checks.check_close("ok", [1.0, 2.0], [1.0, 2.0 + 1e-9])
    assert not checks.check_close("off", [1.0, 2.5], [1.0, 2.0])
    assert "index (1,)" in capsys.readouterr().out
    assert not checks.check_close("shape", [1.0], [1.0, 2.0])
    assert not checks.check_close("stub", None, [1.0])
    assert "not attempted" in capsys.readouterr().out
