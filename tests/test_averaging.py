import keras
import numpy as np
import pytest

from course_utils import averaging


def test_decay_warms_up_then_stays_fixed():
    assert float(averaging.decay_at(1.0, 0.999)) == pytest.approx(2 / 11)
    assert float(averaging.decay_at(90.0, 0.999)) == pytest.approx(0.91)
    assert float(averaging.decay_at(1e6, 0.999)) == pytest.approx(0.999)


def test_update_moves_every_weight_towards_the_live_network():
    live = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    average = averaging.averaged_copy(live)
    assert not average.trainable
    start = [w.copy() for w in average.get_weights()]
    live.set_weights([w + 1.0 for w in live.get_weights()])
    averaging.update(average, live, step=90, decay=0.999)  # decay 0.91 during the warm-up
    for a, s in zip(average.get_weights(), start):
        np.testing.assert_allclose(a, s + 0.09, rtol=1e-5, atol=1e-6)


def test_warm_up_forgets_the_random_start():
    """The claim of notebook 04: after 600 updates a fixed 0.999 still holds 55% of the initial weights."""
    steps = np.arange(1, 601, dtype="float32")
    kept_fixed = float(averaging.decay_at(1e6, 0.999)) ** 600  # long after the warm-up: the fixed decay
    kept_warm = np.prod([float(averaging.decay_at(t, 0.999)) for t in steps])
    assert kept_fixed == pytest.approx(0.55, abs=0.005)
    assert kept_warm < 1e-3
