import numpy as np
import pytest

from course_utils import data, losses, metrics
from course_utils.theory_vae import LinearGaussian


def gaussian_features(n, mean, std, seed):
    return np.random.default_rng(seed).normal(mean, std, size=(n, len(std)))


def test_fid_of_a_set_with_itself_is_zero():
    a = gaussian_features(500, 0.0, np.ones(8), seed=0)
    assert abs(metrics.fid(a, a)) < 1e-8


def test_frechet_distance_matches_closed_form():
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    s1, s2 = rng.uniform(0.5, 2, 4), rng.uniform(0.5, 2, 4)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((s1 - s2) ** 2)  # diagonal covariances commute
    assert metrics.frechet_distance(mu1, np.diag(s1**2), mu2, np.diag(s2**2)) == pytest.approx(expected)
    # a non-diagonal case: rotate both covariances, the distance must not change
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    rotated = metrics.frechet_distance(q @ mu1, q @ np.diag(s1**2) @ q.T, q @ mu2, q @ np.diag(s2**2) @ q.T)
    assert rotated == pytest.approx(expected)


def test_fid_on_samples_approaches_the_closed_form():
    a = gaussian_features(40000, 0.0, np.ones(3), seed=2)
    b = gaussian_features(40000, 1.0, np.full(3, 2.0), seed=3)
    assert metrics.fid(a, b) == pytest.approx(3 * 1.0 + 3 * 1.0, rel=0.03)


def test_kid_is_unbiased_for_identical_distributions():
    values = [metrics.kid(gaussian_features(200, 0.0, np.ones(5), seed=s),
                          gaussian_features(200, 0.0, np.ones(5), seed=1000 + s), subsets=1, subset_size=200)[0]
              for s in range(200)]
    assert abs(np.mean(values)) < 3 * np.std(values) / np.sqrt(len(values))
    different = metrics.kid(gaussian_features(500, 0.0, np.ones(5), 0), gaussian_features(500, 0.5, np.ones(5), 1))
    assert different[0] > 3 * different[1] > 0


def test_kid_spread_is_the_uncertainty_of_one_subset_sized_estimate():
    """The spread over subsets of one pool matches the spread of KIDs on independent samples of that size
    (a standard error, spread / sqrt(subsets), would be about 7 times too small here)."""
    pool_a, pool_b = gaussian_features(2000, 0.0, np.ones(5), 7), gaussian_features(2000, 0.3, np.ones(5), 8)
    _, spread = metrics.kid(pool_a, pool_b, subsets=50, subset_size=200)
    independent = [metrics.kid(gaussian_features(200, 0.0, np.ones(5), 100 + s),
                               gaussian_features(200, 0.3, np.ones(5), 500 + s), subsets=1, subset_size=200)[0]
                   for s in range(60)]
    assert 0.6 < spread / np.std(independent, ddof=1) < 1.6


def test_precision_recall_identical_and_disjoint():
    a = gaussian_features(1000, 0.0, np.ones(4), seed=4)
    assert metrics.precision_recall(a, a) == (1.0, 1.0)
    far = a + 100.0
    assert metrics.precision_recall(a, far) == (0.0, 0.0)
    collapsed = a[:50] * 0.01  # all in one small region near the mean
    precision, recall = metrics.precision_recall(a, collapsed)
    assert precision > 0.9 and recall < 0.2


def test_class_coverage_of_one_class_and_of_uniform_labels():
    one_hot = np.eye(10)[np.zeros(100, dtype=int)]
    coverage = metrics.class_coverage(one_hot)
    assert coverage["classes_present"] == 1 and coverage["kl_to_uniform"] == pytest.approx(np.log(10))
    uniform = np.eye(10)[np.arange(1000) % 10]
    assert metrics.class_coverage(uniform)["kl_to_uniform"] == pytest.approx(0.0)


def test_committed_classifier_accuracy_and_real_test_set_coverage(mnist):
    x = data.to_unit(mnist.x_test)
    _, probabilities = metrics.features_and_probabilities(x)
    accuracy = np.mean(probabilities.argmax(1) == mnist.y_test)
    assert accuracy >= 0.993, f"committed classifier accuracy {accuracy:.4f} < 0.993"
    coverage = metrics.class_coverage(probabilities)
    assert coverage["classes_present"] == 10 and coverage["kl_to_uniform"] < 0.005


def test_iw_log_likelihood_matches_exact_linear_gaussian_and_grows_with_k():
    model = LinearGaussian.with_diagonal_posterior(seed=5)
    x = model.sample(30, seed=6)
    decode = lambda z: z.astype(np.float64) @ model.W.T + model.b
    loglik = lambda xs, mean: losses.gaussian_log_likelihood(xs, mean, np.log(model.noise_var))
    exact_encoder = model.diagonal_posterior

    exact = metrics.iw_log_likelihood(exact_encoder, decode, x, k=3, log_likelihood=loglik)
    np.testing.assert_allclose(exact, model.log_marginal(x), rtol=1e-6)
    poor_encoder = lambda xs: (0.5 * exact_encoder(xs)[0], exact_encoder(xs)[1])
    bounds = [metrics.iw_log_likelihood(poor_encoder, decode, x, k=k, log_likelihood=loglik).mean()
              for k in (1, 10, 100, 1000)]
    assert all(a < b for a, b in zip(bounds, bounds[1:])) and bounds[-1] <= model.log_marginal(x).mean() + 1e-3


@pytest.mark.parametrize("images, message", [
    (np.full((5, 28, 28, 1), -0.5, np.float32), r"\[-1, 1\]"),
    (np.full((5, 28, 28, 1), 200.0, np.float32), "0..255"),
    (np.zeros((5, 32, 32, 1), np.float32), "MNIST-shaped"),
])
def test_bad_images_get_clear_errors(images, message):
    with pytest.raises(ValueError, match=message):
        metrics.check_images01(images)


def test_too_few_samples_for_a_covariance():
    with pytest.raises(ValueError, match="at least 129 samples"):
        metrics.fid(np.zeros((50, 128)), np.zeros((500, 128)))



def test_sharpness_of_known_images():
    stripes = np.zeros((1, 28, 28, 1), np.float32)
    stripes[:, :, ::2] = 1.0  # vertical stripes: every horizontal step is 1, no vertical step
    assert metrics.sharpness(stripes) == pytest.approx(0.5)
    assert metrics.sharpness(np.full((2, 28, 28, 1), 0.3, np.float32)) == 0.0


def test_blurring_lowers_sharpness(mnist):
    x = data.to_unit(mnist.x_test[:100])
    blurred = np.mean([np.roll(x, (i, j), axis=(1, 2)) for i in (-1, 0, 1) for j in (-1, 0, 1)], axis=0)  # 3x3 box
    assert metrics.sharpness(blurred) < 0.8 * metrics.sharpness(x)


def test_nearest_neighbours_finds_copies(mnist):
    train = data.to_unit(mnist.x_train[:500])
    nearest, distance = metrics.nearest_neighbours(train[[7, 42, 99]], train)
    np.testing.assert_array_equal(nearest, [7, 42, 99])
    np.testing.assert_allclose(distance, 0, atol=1e-3)
    _, test_distance = metrics.nearest_neighbours(data.to_unit(mnist.x_test[:5]), train)
    assert np.all(test_distance > 1), "an unseen digit is far from every training image"
    with pytest.raises(ValueError, match="tanh"):
        metrics.nearest_neighbours(train[:2] * 2 - 1, train)


def test_test_nll_states_its_protocol_and_tightens_with_k(small_vae, binary_images):
    model, x = small_vae(), binary_images(40)
    one, many = metrics.test_nll(model, x, k=1, seed=0), metrics.test_nll(model, x, k=200, seed=0)
    assert (many.k, many.images) == (200, 40) and "K = 200, 40 test images" in str(many)
    elbo = model.evaluate(x, batch_size=40, verbose=0, return_dict=True)["elbo"]
    assert one.nll == pytest.approx(-elbo, abs=3 * one.stderr)  # K = 1: an unbiased estimate of -ELBO
    assert many.nll < one.nll  # the bound tightens, so the NLL estimate falls
    per_image = -metrics.iw_log_likelihood(model.encode, model.decode, x, k=200, seed=0)
    assert many.stderr == pytest.approx(np.std(per_image, ddof=1) / np.sqrt(40))


def test_class_distance_of_known_histograms():
    uniform = np.full(10, 0.1)
    only_ones = np.eye(10)[1]
    assert metrics.class_distance(uniform, uniform) == 0.0
    assert metrics.class_distance(only_ones, uniform) == pytest.approx(0.9)
    assert metrics.class_distance(np.eye(10)[2], only_ones) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="summing to 1"):
        metrics.class_distance(np.ones(10), uniform)  # counts, not shares


def test_evaluate_compares_class_shares_with_the_reference(mnist):
    test01 = data.to_unit(mnist.x_test[:2000])
    ones = data.to_unit(mnist.x_train[mnist.y_train == 1][:1000])
    collapsed = metrics.evaluate(ones, test01)
    assert collapsed.class_tv > 0.8 and collapsed.classes_present == 1
    assert metrics.evaluate(data.to_unit(mnist.x_train[:2000]), test01).class_tv < 0.05
