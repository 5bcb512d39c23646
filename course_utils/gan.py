"""GANs: the trainer, the course's DCGAN for MNIST, and GAN inversion.

**The trainer** (``GAN``): a ``keras.Model`` with its own ``train_step``, so ``model.fit`` gives the
progress bar, history and callbacks for free.  One ``train_step`` = one discriminator update on a
real batch and a fresh fake batch, then one generator update.  The discriminator returns logits;
the losses live in ``course_utils.losses``.  It works with any generator (latent -> sample) and
discriminator (sample -> one logit): MLPs on 2-D toy data (notebook 01), convolutional nets on MNIST.
Two callbacks watch it train: ``Snapshots`` (samples of fixed latents every epoch) and
``GeneratorGradientNorms`` (the norm of the generator's gradient at every step, notebook 04 §6).

**The DCGAN** (``build_generator``, ``build_discriminator``, ``make_gan``; each choice is explained in
notebook 04):

- generator: dense to 7x7x(2*width), a stride-2 transposed convolution to 14x14, a 3x3 convolution
  at 14x14, and a stride-2 transposed convolution to 28x28.  Kernel 4 with stride 2 divides evenly,
  which removes the uneven overlap behind the checkerboard artefacts of 5x5/2; it does not remove the
  pattern itself (see ``_upsample``: untrained, kernels 3 and 4 alike put a large share of the non-constant
  power at the period-2 frequencies, over 10% as tests/test_gan.py checks, ``upsampling="resize"`` under
  1%).  BatchNorm after every hidden layer, none on the
  tanh output (DCGAN, Radford et al. 2016).
- discriminator: two stride-2 convolutions (28 -> 14 -> 7) and a 3x3 convolution at 7x7, with
  LeakyReLU(0.2), no BatchNorm (it would mix statistics of real and fake batches), one logit out.
- the generator (width 64) has the harder job and gets about eight times the discriminator's
  parameters (width 32).
- ``make_gan`` adds the R1 penalty to the discriminator's loss (``losses.r1_penalty``) and averages
  the generator's weights; ``BATCH_SIZE`` and ``EPOCHS`` are the course run's (notebook 04, ``make
  weights``, ``make bench``).

**Three objectives** (``OBJECTIVES``, ``make_gan(objective=...)``; notebook 08 measures them against each other):
``"cross-entropy"``, the course's: the non-saturating loss with R1; ``"wgan-gp"``: a critic trained on the
Wasserstein loss with the gradient penalty at points between real and fake images, several critic updates per
generator update (Gulrajani et al. 2017); ``"hinge"``: the hinge loss with spectral normalization in every layer
of the discriminator (Miyato et al. 2018).  All three train the same generator with the same weight averaging.

**Inversion** (``invert``): a GAN has no encoder, so to reconstruct an image we *optimise* the latent:
minimise the pixel error ||G(z) - x||² over z with Adam, from a few random starts, and keep the best.
What remains is the part of x the generator cannot produce.
"""

from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from course_utils import data, losses, training

BATCH_SIZE = 64  # the course run: notebook 04, `make weights` and `make bench` read these
EPOCHS = 5

GENERATOR_LOSSES = {
    "nonsaturating": losses.generator_loss_nonsaturating,
    "saturating": losses.generator_loss_saturating,
}

# objective -> (the discriminator's loss, the generator's; None: the cross-entropy's chosen ``generator_loss``)
OBJECTIVES = {
    "cross-entropy": (losses.discriminator_loss, None),
    "wgan-gp": (losses.critic_loss_wasserstein, losses.generator_loss_wasserstein),
    "hinge": (losses.discriminator_loss_hinge, losses.generator_loss_wasserstein),
}

# What ``make_gan`` trains each objective with: the course's tuned settings for the cross-entropy, the papers' for the
# others -- WGAN-GP: Gulrajani et al. 2017, Algorithm 1 (Adam 1e-4, beta_1 = 0, beta_2 = 0.9, five critic updates per
# generator update, penalty weight 10); hinge: Miyato et al. 2018, Table 1's setting C (Adam 2e-4, beta_1 = 0.5,
# beta_2 = 0.999, one update each).  R1 goes with the cross-entropy only.
OBJECTIVE_SETTINGS = {
    "cross-entropy": {"lr": 1e-3, "beta_1": 0.5, "beta_2": 0.999, "critic_steps": 1, "r1_weight": 1.0},
    "wgan-gp": {"lr": 1e-4, "beta_1": 0.0, "beta_2": 0.9, "critic_steps": 5, "r1_weight": 0.0},
    "hinge": {"lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "critic_steps": 1, "r1_weight": 0.0},
}


class GAN(keras.Model):
    """Generator + discriminator trained adversarially.

    Metrics per epoch: ``d_loss``, ``g_loss``, and the mean discriminator outputs
    ``d_real`` = D(x) and ``d_fake`` = D(G(z)) -- the first things to look at when a
    GAN misbehaves.  ``d_loss`` is the discriminator's loss alone, without its penalty (R1 or the gradient penalty).

    ``objective`` (a key of ``OBJECTIVES``) chooses the two losses.  With ``"wgan-gp"`` and ``"hinge"`` the
    discriminator is a critic returning unbounded scores: ``d_real`` and ``d_fake`` are then the mean scores
    themselves (not sigmoids of them), and ``"wgan-gp"`` also logs ``wasserstein``, the critic's estimate
    E[f(x)] - E[f(G(z))] of the Wasserstein-1 distance (-``d_loss``), and ``gradient_penalty``, its penalty
    before the weight ``gp_weight`` (the mean over the critic's updates; the other values are those of its last).
    ``critic_steps`` > 1 splits every batch that ``fit`` hands over into that many real batches, one per
    discriminator update, before one generator update (so ``fit``'s ``batch_size`` is ``critic_steps`` times the
    batch of each update).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 generator_loss: str = "nonsaturating", data_range: tuple[float, float] | None = None,
                 ema_decay: float | None = None, r1_weight: float = 0.0, seed: int = 0, update=None,
                 objective: str = "cross-entropy", gp_weight: float = 10.0, critic_steps: int = 1, **kwargs):
        super().__init__(**kwargs)
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}, got {generator_loss!r}")
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {sorted(OBJECTIVES)}, got {objective!r}")
        if objective != "cross-entropy" and (generator_loss != "nonsaturating" or update is not None):
            raise ValueError(f"generator_loss and update belong to the cross-entropy objective; {objective!r} has "
                             "its own generator loss: leave them at their defaults")
        if objective == "wgan-gp" and r1_weight:
            raise ValueError("WGAN-GP has its own gradient penalty (gp_weight); set r1_weight=0")
        if int(critic_steps) != critic_steps or critic_steps < 1:
            raise ValueError(f"critic_steps is a whole number of discriminator updates per generator update (>= 1), "
                             f"got {critic_steps!r}")
        self.objective, self.gp_weight, self.critic_steps = objective, float(gp_weight), int(critic_steps)
        self.discriminator_loss = OBJECTIVES[objective][0]
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = latent_dim
        self.data_range = data_range
        # An exponential moving average of the generator's weights (``training.averaged_copy``):
        # it smooths out the oscillation of adversarial training and usually gives better samples.
        self.ema_decay = ema_decay
        self.generator_ema = training.averaged_copy(generator) if ema_decay is not None else None
        self.generator_loss = OBJECTIVES[objective][1] or GENERATOR_LOSSES[generator_loss]
        # The R1 penalty (``losses.r1_penalty``) with this weight is added to the discriminator's loss.
        self.r1_weight = r1_weight
        self.seed = seed
        # A learner's own ``update(gan, real)`` in place of ``adversarial_update`` (notebook 04's build-it-yourself
        # exercise, checked by ``build_your_own.check_gan_update``); None: the course's.
        self.update = update
        self.noise = keras.random.SeedGenerator(seed)
        names = ("d_loss", "g_loss", "d_real", "d_fake") + (("wasserstein", "gradient_penalty")
                                                             if objective == "wgan-gp" else ())
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        # The norm of the gradient of the last generator update (read per step by ``GeneratorGradientNorms``).
        self.g_grad_norm = keras.Variable(0.0, trainable=False, aggregation="mean", name="g_grad_norm")
        self.built = True  # both networks arrive built; this lets checkpoints restore before fit

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer, **kwargs):
        super().compile(optimizer=g_optimizer, **kwargs)  # Keras's own slot: no unused default optimizer
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        # Built now, so a checkpoint restored before training also restores their moments.
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def fit(self, x=None, *args, **kwargs):
        """``keras.Model.fit``, after checking that array data has the discriminator's input shape
        and lies in ``data_range`` (e.g. [-1, 1] for a tanh generator) -- a wrong scaling trains
        without any error and silently produces garbage."""
        if isinstance(x, np.ndarray):
            data.check_model_input(x, tuple(self.discriminator.input_shape[1:]), self.data_range)
        if kwargs.get("batch_size") and kwargs["batch_size"] % self.critic_steps:
            raise ValueError(f"each batch is split into critic_steps = {self.critic_steps} real batches: pass a "
                             f"batch_size divisible by it, e.g. {self.critic_steps} * {BATCH_SIZE}")
        return super().fit(x, *args, **kwargs)

    def call(self, z, training=False):
        return self.generator(z, training=training)

    @property
    def parts(self) -> dict[str, keras.Model]:
        """The networks that make up a trained GAN, by name (what ``training.fit_or_load`` saves)."""
        parts = {"generator": self.generator, "generator_ema": self.generator_ema, "discriminator": self.discriminator}
        return {name: network for name, network in parts.items() if network is not None}

    @property
    def settings(self) -> dict:
        """The choices, besides the networks, that decide what training makes of this GAN
        (``training.fit_or_load`` records them with a run).  Needs ``compile`` first."""
        settings = {"latent_dim": self.latent_dim, "generator_loss": self.generator_loss.__name__,
                    "data_range": self.data_range, "ema_decay": self.ema_decay, "r1_weight": self.r1_weight,
                    "seed": self.seed, "d_optimizer": training.optimizer_settings(self.d_optimizer),
                    "g_optimizer": training.optimizer_settings(self.g_optimizer)}
        # recorded only when used, so that the course's runs keep their folders; a learner's code trains its own run
        if self.objective != "cross-entropy":
            settings |= {"objective": self.objective, "critic_steps": self.critic_steps}
            settings |= {"gp_weight": self.gp_weight} if self.objective == "wgan-gp" else {}
        return settings | ({"update": training.code_fingerprint(self.update)} if self.update else {})

    @property
    def sampler(self) -> keras.Model:
        """The generator to sample from: the averaged one when ``ema_decay`` is set."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def sample01(self, z) -> np.ndarray:
        """Images in [0, 1] from latents ``z``, drawn by ``sampler`` (see ``images01``)."""
        return images01(self.sampler, z)

    def sample_latent(self, n):
        return keras.random.normal((n, self.latent_dim), seed=self.noise)

    def real_logits_and_r1(self, real):
        """The discriminator's logits on a real batch and, if ``r1_weight`` is set, the R1 penalty there."""
        if not self.r1_weight:
            return self.discriminator(real, training=True), 0.0
        with tf.GradientTape() as tape:  # nested in train_step's tape, which differentiates the penalty again
            tape.watch(real)
            real_logits = self.discriminator(real, training=True)
            total = ops.sum(real_logits)
        return real_logits, losses.r1_penalty(tape.gradient(total, real))

    def gradient_penalty(self, real, fake):
        """WGAN-GP's penalty (``losses.gradient_penalty``) at ``losses.interpolates`` of the two batches."""
        between = losses.interpolates(real, fake, seed=self.noise)
        with tf.GradientTape() as tape:  # nested in the update's tape, like R1's
            tape.watch(between)
            total = ops.sum(self.discriminator(between, training=True))
        return losses.gradient_penalty(tape.gradient(total, between))

    def _discriminator_update(self, real):
        """One update of the discriminator on the batch ``real`` and as many fresh fakes (plus its penalty: R1 on
        ``real``, or WGAN-GP's); returns (d_loss, real_logits, fake_logits).  Under a tf.distribute strategy each
        replica sees part of the batch and the gradients are summed across replicas: the per-replica mean loss is
        scaled so that the sum is the mean."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            fake = self.generator(self.sample_latent(ops.shape(real)[0]), training=True)
            real_logits, r1 = self.real_logits_and_r1(real)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = self.discriminator_loss(real_logits, fake_logits)
            penalty = self.r1_weight * r1
            if self.objective == "wgan-gp":
                gp = self.gradient_penalty(real, fake)
                penalty = self.gp_weight * gp
                self.trackers["gradient_penalty"].update_state(gp)
            scaled = (d_loss + penalty) / replicas
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, weights), weights))
        return d_loss, real_logits, fake_logits

    def _generator_update(self, batch):
        """One update of the generator on ``batch`` fresh latents (scaled as in ``_discriminator_update``);
        returns g_loss and records the gradient's norm in ``g_grad_norm``."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            g_logits = self.discriminator(self.generator(self.sample_latent(batch), training=True), training=True)
            g_loss = self.generator_loss(g_logits)
            scaled = g_loss / replicas
        weights = self.generator.trainable_weights
        gradients = tape.gradient(scaled, weights)
        self.g_grad_norm.assign(tf.linalg.global_norm(gradients))
        self.g_optimizer.apply_gradients(zip(gradients, weights))
        return g_loss

    def adversarial_update(self, real):
        """The core of a training step: a discriminator update on the batch ``real`` and as many fresh fakes,
        then a generator update on fresh latents; returns (d_loss, g_loss, real_logits, fake_logits).  With
        ``critic_steps`` = n > 1, ``real`` is cut into n equal batches, one per discriminator update (the last
        update's values are returned)."""
        size = ops.shape(real)[0] // self.critic_steps
        for step in range(self.critic_steps):
            d_loss, real_logits, fake_logits = self._discriminator_update(real[step * size:(step + 1) * size])
        return d_loss, self._generator_update(size), real_logits, fake_logits

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)  # images only; labels are ignored
        update = self.update or GAN.adversarial_update
        d_loss, g_loss, real_logits, fake_logits = update(self, real)
        if self.generator_ema is not None:
            training.update(self.generator_ema, self.generator, self.g_optimizer.iterations, self.ema_decay)

        shown = ops.sigmoid if self.objective == "cross-entropy" else (lambda scores: scores)
        extra = (("wasserstein", -d_loss),) if self.objective == "wgan-gp" else ()
        for name, value in (("d_loss", d_loss), ("g_loss", g_loss),
                            ("d_real", ops.mean(shown(real_logits))), ("d_fake", ops.mean(shown(fake_logits))), *extra):
            self.trackers[name].update_state(value)
        return training.step_logs({name: tracker.result() for name, tracker in self.trackers.items()})


class Snapshots(keras.callbacks.Callback):
    """Records the generator's output on a fixed latent batch at the end of every epoch.

    Fixed inputs make successive snapshots comparable: what changes is the generator.
    With ``path`` the snapshots are also saved after every epoch (and reloaded when an
    interrupted run resumes), so the progress animation survives a kernel restart.
    ``averaged=False`` records the raw generator instead of the one sampled from (``GAN.sampler``).
    """

    def __init__(self, latent, path=None, averaged: bool = True):
        super().__init__()
        self.latent = latent
        self.path = path
        self.averaged = averaged
        self.samples = []

    def on_train_begin(self, logs=None):
        if self.path is not None and os.path.exists(self.path):
            self.samples = list(np.load(self.path))

    def on_epoch_end(self, epoch, logs=None):
        network = self.model.sampler if self.averaged else self.model.generator
        self.samples.append(keras.ops.convert_to_numpy(network(self.latent, training=False)))
        if self.path is not None:
            np.save(self.path, np.stack(self.samples))


class GeneratorGradientNorms(keras.callbacks.Callback):
    """Records, after every training step of a ``GAN``, the norm of the gradient its generator was updated with.

    ``values`` holds one float per step: the global L2 norm (over all the generator's weights together) of
    the gradient of ``g_loss`` on that step's batch, the one the update used (``GAN.g_grad_norm``; under a
    ``tf.distribute`` strategy, the mean over the replicas of their share of it).  A norm near 0 while the
    discriminator wins is the saturating loss's vanishing gradient (notebook 01 §4, notebook 04 §6).
    """

    def on_train_begin(self, logs=None):
        self.values = []

    def on_train_batch_end(self, batch, logs=None):
        self.values.append(float(keras.ops.convert_to_numpy(self.model.g_grad_norm)))


def generator_gradient_norm(model: GAN, z, generator_loss: str):
    """The global norm of the gradient that ``generator_loss`` (a key of ``GENERATOR_LOSSES``) would give the
    generator of ``model`` on the latents ``z``, against its discriminator as it is now; nothing is updated."""
    with tf.GradientTape() as tape:
        fake_logits = model.discriminator(model.generator(z, training=True), training=True)
        loss = GENERATOR_LOSSES[generator_loss](fake_logits)
    return tf.linalg.global_norm(tape.gradient(loss, model.generator.trainable_weights))


def critic_gradient_norms(model: GAN, real, fake, seed: int = 0) -> np.ndarray:
    """||grad_x f(x_hat)|| at ``losses.interpolates`` of ``real`` and ``fake`` (one per pair), f the discriminator's
    score (the logit for the cross-entropy objective): how steep it is between the data and the samples.  WGAN-GP
    pushes these norms towards 1; nothing is updated (``training=False``, so spectral normalization's power
    iteration does not run)."""
    between = losses.interpolates(real, fake, seed=seed)
    with tf.GradientTape() as tape:
        tape.watch(between)
        total = ops.sum(model.discriminator(between, training=False))
    gradients = ops.reshape(tape.gradient(total, between), (ops.shape(between)[0], -1))
    return ops.convert_to_numpy(ops.sqrt(ops.sum(ops.square(gradients), axis=1)))


def discriminator_takeover(model: GAN, x, steps: int, batch_size: int = BATCH_SIZE, seed: int = 0) -> dict:
    """Train only the discriminator of ``model`` for ``steps`` updates, its generator frozen, and record what the
    generator would feel: "the discriminator wins", made on purpose (notebook 07).

    ``x``: real images in the GAN's data range.  Returns a dict of arrays, one value per update: ``d_loss``,
    ``d_real`` and ``d_fake`` (mean D on the real batch and on fixed latents' fakes), and, for each generator
    loss in ``GENERATOR_LOSSES``, ``<loss>_norm``: the norm of the gradient it would give the generator on those
    fixed latents (``generator_gradient_norm``).
    """
    if steps < 1:
        raise ValueError(f"discriminator_takeover needs steps >= 1, got {steps}")
    if model.objective != "cross-entropy":
        raise ValueError(f"discriminator_takeover compares the cross-entropy's generator losses; this GAN's objective "
                         f"is {model.objective!r}")
    data.check_model_input(x, tuple(model.discriminator.input_shape[1:]), model.data_range)
    z = np.random.default_rng(seed).normal(size=(batch_size, model.latent_dim)).astype("float32")

    @tf.function(jit_compile=bool(model.jit_compile))
    def update(real):
        d_loss, real_logits, _ = model._discriminator_update(real)
        # training=True, as in train_step: the generator's BatchNorm uses the batch's statistics
        d_fake = ops.mean(ops.sigmoid(model.discriminator(model.generator(z, training=True), training=True)))
        norms = {f"{name}_norm": generator_gradient_norm(model, z, name) for name in GENERATOR_LOSSES}
        return {"d_loss": d_loss, "d_real": ops.mean(ops.sigmoid(real_logits)), "d_fake": d_fake, **norms}

    records = [update(real) for real in training.repeating_batches(x, batch_size, seed=seed).take(steps)]
    return {key: np.array([float(record[key]) for record in records]) for key in records[0]}


# --- the DCGAN for MNIST ------------------------------------------------------------------------

IMAGE_SHAPE = (28, 28, 1)


def _check(x, expected, where):
    """Shape assert while building, in the spirit of the TensorFlow tutorial."""
    got = tuple(x.shape[1:])
    assert got == expected, f"{where}: got {got}, expected {expected}"
    return x


UPSAMPLINGS = ("transposed", "resize")


def _upsample(x, filters: int, upsampling: str, kernel_size: int, **options):
    """Double the height and width: a stride-2 transposed convolution, or a nearest-neighbour resize then a
    convolution (Odena et al. 2016, "Deconvolution and Checkerboard Artifacts").  A transposed convolution
    computes each pixel of a 2x2 output block with its own subset of the kernel's taps (a quarter each for an
    even kernel, subsets of unequal size for an odd one), so different subsets print a period-2 pattern even
    when the overlap is even.  A nearest-neighbour resize repeats each pixel in a 2x2 block, which leaves no
    power at all at period 2 (the Nyquist frequencies), and a convolution cannot create power at a frequency
    where there is none: only the nonlinearities after it and the image borders can."""
    if upsampling == "transposed":
        return layers.Conv2DTranspose(filters, kernel_size, strides=2, padding="same", **options)(x)
    return layers.Conv2D(filters, kernel_size, padding="same", **options)(layers.UpSampling2D(2)(x))


def build_generator(latent_dim: int = 64, width: int = 64, upsampling: str = "transposed",
                    kernel_size: int = 4) -> keras.Model:
    """z (latent_dim,) -> image (28, 28, 1) in [-1, 1].

    ``upsampling`` and ``kernel_size`` choose the two upsampling layers (notebook 07's checkerboard lab):
    the course's transposed convolutions with kernel 4, whose stride 2 divides it; ``kernel_size=3``,
    which it does not (every other pixel gets more kernel taps: a checkerboard); or ``"resize"``.
    """
    if upsampling not in UPSAMPLINGS:
        raise ValueError(f"upsampling must be one of {UPSAMPLINGS}, got {upsampling!r}")
    z = keras.Input((latent_dim,))
    x = layers.Dense(7 * 7 * 2 * width, use_bias=False)(z)
    x = layers.LeakyReLU(0.2)(layers.BatchNormalization()(x))
    x = _check(layers.Reshape((7, 7, 2 * width))(x), (7, 7, 2 * width), "reshape")
    x = _upsample(x, width, upsampling, kernel_size, use_bias=False)
    x = _check(layers.LeakyReLU(0.2)(layers.BatchNormalization()(x)), (14, 14, width), "upsample 1")
    x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
    x = _check(layers.LeakyReLU(0.2)(layers.BatchNormalization()(x)), (14, 14, width), "refine at 14x14")
    x = _upsample(x, 1, upsampling, kernel_size, activation="tanh")
    return keras.Model(z, _check(x, IMAGE_SHAPE, "output"), name="generator")


def build_discriminator(width: int = 32, spectral_norm: bool = False) -> keras.Model:
    """image (28, 28, 1) in [-1, 1] -> one logit (D(x) = sigmoid(logit)), or one critic score.

    ``spectral_norm`` wraps every layer with weights in ``keras.layers.SpectralNormalization`` (one power
    iteration per call, as Miyato et al. 2018).  Each layer's largest singular value is then about 1, and as
    LeakyReLU(0.2) is 1-Lipschitz, so is the whole network -- with respect to the reshaped kernel's norm, which
    bounds a convolution's own only up to a factor.  Keras's layer divides the stored kernel by its estimated
    singular value at every training call, so the gradient step acts on the normalized kernel; the paper instead
    differentiates through the division.
    """
    wrap = (lambda layer: layers.SpectralNormalization(layer)) if spectral_norm else (lambda layer: layer)
    image = keras.Input(IMAGE_SHAPE)
    x = layers.LeakyReLU(0.2)(wrap(layers.Conv2D(width, 4, strides=2, padding="same"))(image))
    x = _check(x, (14, 14, width), "downsample 1")
    x = layers.LeakyReLU(0.2)(wrap(layers.Conv2D(2 * width, 4, strides=2, padding="same"))(x))
    x = _check(x, (7, 7, 2 * width), "downsample 2")
    x = layers.LeakyReLU(0.2)(wrap(layers.Conv2D(2 * width, 3, padding="same"))(x))
    x = _check(x, (7, 7, 2 * width), "at 7x7")
    logit = wrap(layers.Dense(1))(layers.Flatten()(x))
    return keras.Model(image, logit, name="discriminator")


def make_gan(latent_dim: int = 64, g_width: int = 64, d_width: int = 32, lr: float | None = None,
             d_lr: float | None = None, generator_loss: str = "nonsaturating", ema_decay: float | None = 0.999,
             r1_weight: float | None = None, seed: int = 0, upsampling: str = "transposed", kernel_size: int = 4,
             update=None, objective: str = "cross-entropy"):
    """The course DCGAN, compiled with XLA, trained on ``objective`` (a key of ``OBJECTIVES``) with the Adam
    settings, critic updates and penalty of ``OBJECTIVE_SETTINGS`` (the course's: Adam(1e-3, beta_1=0.5) for both
    networks and R1 with weight 1); ``lr``, ``d_lr`` (default ``lr``) and ``r1_weight`` override them.
    ``"hinge"`` gives the discriminator spectral normalization.  ``upsampling`` and ``kernel_size``: see
    ``build_generator``; ``update``: a learner's own update step (see ``GAN``)."""
    if objective not in OBJECTIVE_SETTINGS:
        raise ValueError(f"objective must be one of {sorted(OBJECTIVE_SETTINGS)}, got {objective!r}")
    chosen = OBJECTIVE_SETTINGS[objective]
    lr = lr or chosen["lr"]
    keras.utils.set_random_seed(seed)
    model = GAN(build_generator(latent_dim, g_width, upsampling, kernel_size),
                build_discriminator(d_width, spectral_norm=objective == "hinge"), latent_dim,
                generator_loss=generator_loss, data_range=(-1, 1), ema_decay=ema_decay,
                r1_weight=chosen["r1_weight"] if r1_weight is None else r1_weight, seed=seed, update=update,
                objective=objective, critic_steps=chosen["critic_steps"])
    betas = {"beta_1": chosen["beta_1"], "beta_2": chosen["beta_2"]}
    model.compile(d_optimizer=keras.optimizers.Adam(d_lr or lr, **betas),
                  g_optimizer=keras.optimizers.Adam(lr, **betas), jit_compile=training.jit_compile())
    return model


def describe(model: keras.Model) -> str:
    """One line per layer with its output shape, then the parameter count."""
    lines = [f"  {type(layer).__name__:<20} {str(tuple(layer.output.shape[1:])):>14}" for layer in model.layers]
    return "\n".join([f"{model.name}:", *lines, f"  parameters: {model.count_params():,}"])


def images01(generator: keras.Model, z) -> np.ndarray:
    """The images of latents ``z`` under a generator with a tanh output, mapped from [-1, 1] to [0, 1]."""
    return (ops.convert_to_numpy(generator(np.asarray(z, np.float32), training=False)) + 1.0) / 2.0


# --- GAN inversion ----------------------------------------------------------------------------


def invert(generator: keras.Model, targets01: np.ndarray, steps: int = 300, lr: float = 0.05,
           restarts: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latents whose images best match ``targets01`` (n, 28, 28, 1) in [0, 1].

    ``generator`` maps z to images in [-1, 1].  Returns (z (n, d), images in [0, 1],
    mean squared error per image on the [0, 1] scale).
    """
    targets01 = np.asarray(targets01, np.float32)
    data.check_model_input(targets01, tuple(generator.output_shape[1:]), (0.0, 1.0))
    n, latent_dim = len(targets01), generator.input_shape[-1]
    rng = np.random.default_rng(seed)
    z = tf.Variable(rng.normal(size=(restarts * n, latent_dim)).astype(np.float32))
    goal = tf.constant(np.tile(2.0 * targets01 - 1.0, (restarts, 1, 1, 1)))  # the generator's scale
    optimizer = keras.optimizers.Adam(lr)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            errors = tf.reduce_mean(tf.square(generator(z, training=False) - goal), axis=[1, 2, 3])
            loss = tf.reduce_sum(errors)
        optimizer.apply_gradients([(tape.gradient(loss, z), z)])
        return errors

    for _ in range(steps):
        errors = step()
    errors = errors.numpy().reshape(restarts, n)
    best = errors.argmin(0)
    z_best = z.numpy().reshape(restarts, n, latent_dim)[best, np.arange(n)]
    images = images01(generator, z_best)
    return z_best, images, np.mean((images - targets01) ** 2, axis=(1, 2, 3))
