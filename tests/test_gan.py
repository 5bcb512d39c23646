import math
import subprocess
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import diagnostics, gan, training


def test_shapes_and_ranges():
    g, d = gan.build_generator(), gan.build_discriminator()
    z = np.random.default_rng(0).normal(size=(5, 64)).astype("float32")
    images = g(z).numpy()
    assert images.shape == (5, 28, 28, 1) and images.min() >= -1 and images.max() <= 1
    assert d(images).shape == (5, 1)
    np.testing.assert_allclose(gan.images01(g, z), (images + 1) / 2, rtol=1e-6)


def test_the_tutorials_reference_networks_have_mnist_shapes():
    import reference_models

    assert reference_models.build_reference_generator()(np.zeros((2, 100))).shape == (2, 28, 28, 1)
    assert reference_models.build_reference_discriminator()(np.zeros((2, 28, 28, 1))).shape == (2, 1)


@pytest.mark.parametrize("r1_weight", [0.0, 1.0])
def test_one_train_step_changes_both_networks(r1_weight, small_gan, tanh_images):
    model = small_gan(r1_weight=r1_weight)
    before = [[w.numpy().copy() for w in net.trainable_weights] for net in (model.generator, model.discriminator)]
    model.fit(tanh_images(32), batch_size=32, epochs=1, verbose=0)
    for net, old in zip((model.generator, model.discriminator), before):
        assert any(not np.allclose(w.numpy(), o) for w, o in zip(net.trainable_weights, old)), net.name


def test_ema_generator_after_one_step_is_the_warmed_up_average(small_gan, tanh_images):
    model = small_gan(ema_decay=0.999)
    start = [w.numpy().copy() for w in model.generator.weights]
    model.train_on_batch(tanh_images(16))
    decay = 2 / 11  # first generator update: min(0.999, (1 + 1) / (10 + 1))
    for average, current, old in zip(model.generator_ema.weights, model.generator.weights, start):
        np.testing.assert_allclose(average.numpy(), decay * old + (1 - decay) * current.numpy(), rtol=1e-5, atol=1e-6)


def test_r1_penalty_of_a_linear_discriminator_is_half_its_squared_weight_norm(tanh_images):
    keras.utils.set_random_seed(0)
    linear = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model = gan.GAN(gan.build_generator(16, width=8), linear, 16, r1_weight=1.0)
    _, penalty = model.real_logits_and_r1(keras.ops.convert_to_tensor(tanh_images(4)))
    kernel = linear.layers[-1].kernel.numpy()  # logit = w.x + b, so grad_x logit = w for every image
    assert float(penalty) == pytest.approx(0.5 * np.sum(kernel ** 2), rel=1e-5)


def test_r1_weight_changes_the_discriminator_update(small_gan, tanh_images):
    after = [small_gan(r1_weight=weight) for weight in (0.0, 10.0)]
    for model in after:
        model.train_on_batch(tanh_images(16))  # same seed: same networks, same batch, same latent draws
    pairs = zip(*(model.discriminator.get_weights() for model in after))
    assert any(not np.allclose(a, b) for a, b in pairs)


def test_losses_at_an_undecided_discriminator(small_gan, tanh_images):
    model = small_gan()
    last = model.discriminator.layers[-1]
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])  # D = sigmoid(0) = 1/2 everywhere
    logs = model.train_on_batch(tanh_images(16), return_dict=True)
    assert logs["d_loss"] == pytest.approx(math.log(4), rel=1e-5)
    assert logs["d_real"] == pytest.approx(0.5) and logs["d_fake"] == pytest.approx(0.5)
    # the generator step sees the discriminator after one update: close to, not exactly, log 2
    assert logs["g_loss"] == pytest.approx(math.log(2), abs=0.05)


@pytest.mark.parametrize("x, message", [
    (np.full((8, 28, 28, 1), 255.0, "float32"), "to_tanh"),
    (np.zeros((8, 28, 28), "float32"), "channel axis"),
])
def test_bad_training_data_gets_a_clear_error(x, message, small_gan):
    with pytest.raises(ValueError, match=message):
        small_gan().fit(x, batch_size=8, epochs=1, verbose=0)


def test_images_in_0_1_fed_to_a_tanh_gan_get_a_warning_naming_to_tanh(small_gan, tanh_images):
    with pytest.warns(UserWarning, match="never goes below 0.*data.to_tanh"):
        small_gan().fit((tanh_images(8) + 1) / 2, batch_size=8, epochs=1, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # data in [-1, 1]: no warning
        small_gan().fit(tanh_images(8), batch_size=8, epochs=1, verbose=0)


DISTRIBUTED = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np
from course_utils import gan
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert strategy.num_replicas_in_sync == 2
with strategy.scope():
    model = gan.GAN(gan.build_generator(16, width=8), gan.build_discriminator(width=8), 16, data_range=(-1, 1),
                    ema_decay=0.999)
    model.compile(keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5))
before = model.generator_ema.get_weights()
x = np.random.default_rng(0).uniform(-1, 1, (128, 28, 28, 1)).astype("float32")
logs = model.fit(x, batch_size=32, epochs=1, verbose=0).history
assert all(np.isfinite(v[0]) for v in logs.values()), logs
assert any(not np.allclose(a, b) for a, b in zip(before, model.generator_ema.get_weights()))  # EMA too
from course_utils import vae
with strategy.scope():  # the course factories too: they leave XLA off under a strategy (it would fail)
    course_models = {gan.make_gan(16, g_width=8, d_width=8): x, vae.make_vae(8, width=4): (x + 1) / 2}
for course_model, images in course_models.items():
    assert not course_model.jit_compile
    assert all(np.isfinite(v[0]) for v in course_model.fit(images, batch_size=32, epochs=1, verbose=0).history.values())
import sys
sys.path.insert(0, sys.argv[1])
import small_models
for kind in ("gan", "vae"):  # plain SGD: an update of the wrong size shows (Keras 3.2-3.4 applied half of it)
    with strategy.scope():
        model, x = small_models.sgd_model_and_data(kind)
    one, _ = small_models.sgd_model_and_data(kind)  # the same start, on one device
    before = [w.numpy() for w in one.trainable_weights]
    for m in (model, one):
        m.fit(x, batch_size=32, epochs=1, shuffle=False, verbose=0)
    two_step, one_step = (np.concatenate([(w.numpy() - b).ravel() for w, b in zip(m.trainable_weights, before)])
                          for m in (model, one))
    ratio = np.linalg.norm(two_step) / np.linalg.norm(one_step)
    cosine = two_step @ one_step / (np.linalg.norm(two_step) * np.linalg.norm(one_step))
    assert 0.9 < ratio < 1.1 and cosine > 0.95, f"{kind}: two replicas' update is {ratio:.2f}x one device's " \
                                                f"(cosine {cosine:.3f})"
print("replicas", strategy.num_replicas_in_sync, "ok")
"""


@pytest.mark.slow
def test_trainer_runs_unchanged_under_mirrored_strategy():
    result = subprocess.run([sys.executable, "-c", DISTRIBUTED, str(Path(__file__).parent)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and "replicas 2 ok" in result.stdout, result.stderr[-3000:]


def test_gan_inversion_recovers_images_the_generator_can_make():
    keras.utils.set_random_seed(0)
    generator = gan.build_generator(latent_dim=8, width=8)
    z = np.random.default_rng(1).normal(size=(3, 8)).astype(np.float32)
    targets = gan.images01(generator, z)
    baseline = np.mean((targets - targets.mean(0)) ** 2)
    _, images, error = gan.invert(generator, targets, steps=200, lr=0.05, restarts=2)
    assert images.shape == targets.shape and error.shape == (3,)
    assert error.mean() < 0.1 * baseline, (error, baseline)
    with pytest.raises(ValueError, match=r"expects \[0, 1\]"):
        gan.invert(generator, targets * 255, steps=1)  # pixels, not [0, 1]


def test_generator_gradient_norms_are_the_gradients_each_xla_step_applies():
    """A generator that ignores z (G(z) = c) and a frozen discriminator (SGD, rate 0): the gradient of
    each step is then the one computed directly, eagerly, from the weights before that step."""
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda z: 0.0 * z), keras.layers.Dense(6)])
    discriminator = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)])
    model = gan.GAN(generator, discriminator, 4)
    model.compile(keras.optimizers.SGD(0.0), keras.optimizers.Adam(0.1), jit_compile=True)
    norms = gan.GeneratorGradientNorms()

    class Direct(keras.callbacks.Callback):
        values = []

        def on_train_batch_begin(self, batch, logs=None):
            with tf.GradientTape() as tape:
                loss = model.generator_loss(discriminator(generator(np.ones((8, 4), "float32"))))
            grads = tape.gradient(loss, generator.trainable_weights)
            self.values.append(float(np.sqrt(sum(np.sum(g.numpy() ** 2) for g in grads))))

    x = np.random.default_rng(0).normal(size=(24, 6)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[norms, Direct()])
    assert len(norms.values) == 3 and model.jit_compile is True
    np.testing.assert_allclose(norms.values, Direct.values, rtol=1e-5)
    assert len(set(norms.values)) == 3, "one value per step, as the generator moves"


def test_discriminator_takeover_saturates_only_the_saturating_loss():
    """A generator that ignores z (G(z) = c) gives every fake the same logit l, so the two losses' gradients are
    the same vector scaled by D = sigmoid(l) (saturating) and by 1 - D (non-saturating): their norms' ratio
    is D / (1 - D), and it falls as the discriminator, trained alone, pushes D(G(z)) towards 0."""
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda z: 0.0 * z), keras.layers.Dense(6)])
    discriminator = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)])
    model = gan.GAN(generator, discriminator, 4)
    model.compile(keras.optimizers.Adam(0.2), keras.optimizers.Adam(0.1))
    before = [w.numpy().copy() for w in generator.weights]
    x = np.random.default_rng(0).normal(size=(64, 6)).astype("float32") + 2.0
    record = gan.discriminator_takeover(model, x, steps=30, batch_size=16)
    assert all(len(values) == 30 for values in record.values())
    d = record["d_fake"]
    np.testing.assert_allclose(record["saturating_norm"] / record["nonsaturating_norm"], d / (1 - d), rtol=1e-4)
    assert d[-1] < 0.1 < 0.3 < d[0] and record["d_loss"][-1] < record["d_loss"][0]
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(before, generator.weights)), "the generator is frozen"
    with pytest.raises(ValueError, match="steps >= 1"):
        gan.discriminator_takeover(model, x, steps=0)


# --- the generator's upsampling (notebook 07's checkerboard lab) ---------------------------------------


@pytest.mark.parametrize("upsampling, kernel_size", [("transposed", 4), ("transposed", 3), ("resize", 3)])
def test_every_upsampling_builds_the_same_image_shape(upsampling, kernel_size):
    generator = gan.build_generator(16, width=8, upsampling=upsampling, kernel_size=kernel_size)
    assert generator.output_shape == (None, 28, 28, 1)


def test_a_transposed_convolution_prints_a_period_2_pattern_that_resizing_does_not():
    """Untrained, the random kernels weigh even and odd output pixels differently (whatever the kernel size),
    while a resize gives every pixel the same taps: only training can remove the first pattern."""
    z = np.random.default_rng(0).normal(size=(64, 16)).astype("float32")
    shares = {}
    for upsampling, kernel_size in (("transposed", 4), ("transposed", 3), ("resize", 3)):
        keras.utils.set_random_seed(0)
        generator = gan.build_generator(16, width=16, upsampling=upsampling, kernel_size=kernel_size)
        shares[upsampling, kernel_size] = diagnostics.checkerboard_share(gan.images01(generator, z))
    assert shares["resize", 3] < 0.01, shares
    assert min(shares["transposed", 4], shares["transposed", 3]) > 0.1, shares


def test_the_generators_upsampling_gets_a_run_folder_of_its_own():
    folders = {training.run_folder("dcgan", gan.make_gan(16, g_width=8, d_width=8, upsampling=upsampling,
                                                          kernel_size=kernel_size), (64, 28, 28, 1), 1, 32)
               for upsampling, kernel_size in (("transposed", 4), ("transposed", 3), ("resize", 4))}
    assert len(folders) == 3


def test_an_unknown_upsampling_is_refused():
    with pytest.raises(ValueError, match="upsampling must be one of"):
        gan.build_generator(upsampling="bilinear")
