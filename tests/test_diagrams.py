"""The diagrams: the text they must show, and the metric pictures' numbers and marks checked against the metrics."""

import inspect
import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.text import Text

from course_utils import diagrams, metrics

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig) -> str:
    """Every string drawn in ``fig`` (boxes, labels, titles, legends), one per line."""
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def scattered(ax, label: str) -> np.ndarray:
    (collection,) = [c for c in ax.collections if c.get_label() == label]
    return np.asarray(collection.get_offsets())


def inside_any_ball(points, centres, k):
    """Independently of metrics: is each point within distance r_i of some centre i, r_i = the distance from
    centre i to its k-th nearest other centre?"""
    between_centres = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    radii = np.sort(between_centres, axis=1)[:, k]  # column 0 is the centre itself
    return (np.linalg.norm(points[:, None] - centres[None], axis=2) <= radii[None]).any(axis=1), radii


def test_gan_dataflow_shows_both_networks_and_losses():
    fig = diagrams.gan_dataflow()
    assert isinstance(fig, Figure)
    shown = texts(fig)
    for needed in ("generator $G$", "discriminator $D$", "z \\sim p_z = \\mathcal{N}(0, I)", "x \\sim p_{data}",
                   "G's loss (non-saturating)", "-\\log D(G(z))", "D's loss (binary cross-entropy, $-V$)",
                   "-\\log D(x) - \\log(1 - D(G(z)))", "updates D only", "updates G only", "\\in (0, 1)"):
        assert needed in shown, needed


def test_vae_dataflow_shows_the_noise_entering_outside_the_gradient_path():
    fig = diagrams.vae_dataflow()
    assert isinstance(fig, Figure)
    shown = texts(fig)
    for needed in ("q_\\phi(z \\mid x)", "p_\\theta(x \\mid z)", "\\mu_\\phi(x)", "\\log\\sigma^2_\\phi(x)",
                   "z = \\mu + \\sigma \\odot \\varepsilon", "\\varepsilon \\sim \\mathcal{N}(0, I)",
                   "no gradient\nflows into $\\varepsilon$", "Bernoulli logits", "reconstruction term",
                   "\\mathrm{KL}(q_\\phi(z \\mid x)\\,\\|\\,\\mathcal{N}(0, I))", "\\partial z / \\partial\\mu = 1",
                   "\\partial z / \\partial\\sigma = \\varepsilon", "ELBO = reconstruction term $-$ KL term"):
        assert needed in shown, needed


def test_fid_picture_prints_the_value_of_metrics_fid():
    real, generated = diagrams.toy_features(300, seed=1)
    fig = diagrams.fid_picture(real, generated)
    shown = texts(fig)
    assert "\\mathrm{Tr}(\\Sigma_r + \\Sigma_g - 2(\\Sigma_r\\Sigma_g)^{1/2})" in shown
    assert f"{metrics.FEATURE_DIM}\nfeatures of its MNIST classifier's feature layer, not to 2-D points" in shown
    printed = re.search(r"FID = ([\d.]+)  \(means ([\d.]+), covariances ([\d.]+)\)", shown)
    assert float(printed[1]) == round(metrics.fid(real, generated), 3)
    mean_term = np.sum((real.mean(0) - generated.mean(0)) ** 2)
    assert float(printed[2]) == round(mean_term, 3)
    assert float(printed[2]) + float(printed[3]) == pytest.approx(float(printed[1]), abs=2e-3)


def test_precision_recall_picture_marks_exactly_the_points_inside_the_balls():
    real, generated = diagrams.toy_features(40, seed=0)
    k = inspect.signature(metrics.precision_recall).parameters["k"].default
    assert inspect.signature(diagrams.precision_recall_picture).parameters["k"].default == k
    fig = diagrams.precision_recall_picture(real, generated)
    left, right = fig.axes
    precision, recall = metrics.precision_recall(real, generated, k=k)
    assert 0 < precision < 1 and 0 < recall < 1, "the toy points should show both kinds of miss"
    for ax, points, centres, value, name, support in ((left, generated, real, precision, "generated", "real"),
                                                      (right, real, generated, recall, "real", "generated")):
        inside, radii = inside_any_ball(points, centres, k)
        drawn_in = scattered(ax, f"{name}, inside a {support} ball: counts")
        drawn_out = scattered(ax, f"{name}, outside every {support} ball")
        np.testing.assert_allclose(drawn_in, points[inside])
        np.testing.assert_allclose(drawn_out, points[~inside])
        balls = [p for p in ax.patches if isinstance(p, Circle)]
        np.testing.assert_allclose([b.get_radius() for b in balls], radii, rtol=1e-4)  # metrics works in float32
        np.testing.assert_allclose([b.center for b in balls], centres)
        title = ax.get_title()
        assert f"= {value:.3f}: {inside.sum()} of {len(points)} {name}" in title
        assert inside.mean() == pytest.approx(value)


@pytest.mark.parametrize("picture", [diagrams.fid_picture, diagrams.precision_recall_picture])
def test_pictures_refuse_points_that_are_not_2d(picture):
    real, generated = diagrams.toy_features(40)
    with pytest.raises(ValueError, match=r"real must be 2-D points, an \(n, 2\) array, got shape \(40, 3\)"):
        picture(np.c_[real, real[:, :1]], generated)
    with pytest.raises(ValueError, match=r"generated must be 2-D points.*got shape \(40,\)"):
        picture(real, generated[:, 0])


@pytest.mark.parametrize("k", [0, 5, 40])
def test_precision_recall_picture_refuses_a_k_the_points_cannot_have(k):
    real, generated = diagrams.toy_features(40)
    with pytest.raises(ValueError, match=rf"k = {k}: need 1 <= k < the number of points in each set \(40 real, 5"):
        diagrams.precision_recall_picture(real, generated[:5], k=k)
