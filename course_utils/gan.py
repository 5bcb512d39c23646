"""A GAN as a ``keras.Model`` with its own ``train_step``, so ``model.fit`` gives the
progress bar, history and callbacks for free.

One ``train_step`` = one discriminator update on a real batch and a fresh fake batch,
then one generator update.  The discriminator returns logits; the losses live in
``course_utils.losses``.  Works with any generator (latent -> sample) and
discriminator (sample -> one logit): MLPs on 2-D toy data, convolutional nets on MNIST.
"""

from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from course_utils import data, losses

GENERATOR_LOSSES = {
    "nonsaturating": losses.generator_loss_nonsaturating,
    "saturating": losses.generator_loss_saturating,
}


def ema_decay_at(step, decay: float):
    """The EMA decay used after generator update number ``step`` (1, 2, ...): ``min(decay, (1+step)/(10+step))``.

    A fixed decay of 0.999 would keep 0.999**600 = 55% of the *random initial* weights after
    600 steps (the first half-minute on a CPU), so early samples would be noise.  The warm-up
    averages over roughly the last tenth of training until that is longer than the fixed
    horizon 1/(1-decay) (about 9,000 steps for 0.999).
    """
    return ops.minimum(decay, (1.0 + step) / (10.0 + step))


class GAN(keras.Model):
    """Generator + discriminator trained adversarially.

    Metrics per epoch: ``d_loss``, ``g_loss``, and the mean discriminator outputs
    ``d_real`` = D(x) and ``d_fake`` = D(G(z)) -- the first things to look at when a
    GAN misbehaves.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 generator_loss: str = "nonsaturating", data_range: tuple[float, float] | None = None,
                 ema_decay: float | None = None, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}, got {generator_loss!r}")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = latent_dim
        self.data_range = data_range
        # An exponential moving average of the generator's weights (and BatchNorm statistics):
        # it smooths out the oscillation of adversarial training and usually gives better samples.
        # Warmed up (see ``ema_decay_at``), so early on it follows the generator, not its random start.
        self.ema_decay = ema_decay
        self.generator_ema = None
        if ema_decay is not None:
            self.generator_ema = keras.models.clone_model(generator)
            self.generator_ema.set_weights(generator.get_weights())
            self.generator_ema.trainable = False
        self.generator_loss = GENERATOR_LOSSES[generator_loss]
        self.noise = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "d_real", "d_fake")}
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
        return super().fit(x, *args, **kwargs)

    def call(self, z, training=False):
        return self.generator(z, training=training)

    @property
    def sampler(self) -> keras.Model:
        """The generator to sample from: the averaged one when ``ema_decay`` is set."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def sample_latent(self, n):
        return keras.random.normal((n, self.latent_dim), seed=self.noise)

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)  # images only; labels are ignored
        batch = ops.shape(real)[0]
        # Under a tf.distribute strategy each replica sees part of the batch and the gradients
        # are summed across replicas: scale the per-replica mean loss so the sum is the mean.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            fake = self.generator(self.sample_latent(batch), training=True)
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
            scaled = d_loss / replicas
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, weights), weights))

        with tf.GradientTape() as tape:
            g_logits = self.discriminator(self.generator(self.sample_latent(batch), training=True), training=True)
            g_loss = self.generator_loss(g_logits)
            scaled = g_loss / replicas
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled, weights), weights))
        if self.generator_ema is not None:
            decay = ema_decay_at(ops.cast(self.g_optimizer.iterations, "float32"), self.ema_decay)
            for average, current in zip(self.generator_ema.weights, self.generator.weights):
                average.assign(decay * average + (1.0 - decay) * current)

        for name, value in (("d_loss", d_loss), ("g_loss", g_loss),
                            ("d_real", ops.mean(ops.sigmoid(real_logits))),
                            ("d_fake", ops.mean(ops.sigmoid(fake_logits)))):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class Snapshots(keras.callbacks.Callback):
    """Records the generator's output on a fixed latent batch at the end of every epoch.

    Fixed inputs make successive snapshots comparable: what changes is the generator.
    With ``path`` the snapshots are also saved after every epoch (and reloaded when an
    interrupted run resumes), so the progress animation survives a kernel restart.
    """

    def __init__(self, latent, path=None):
        super().__init__()
        self.latent = latent
        self.path = path
        self.samples = []

    def on_train_begin(self, logs=None):
        if self.path is not None and os.path.exists(self.path):
            self.samples = list(np.load(self.path))

    def on_epoch_end(self, epoch, logs=None):
        self.samples.append(keras.ops.convert_to_numpy(self.model.sampler(self.latent, training=False)))
        if self.path is not None:
            np.save(self.path, np.stack(self.samples))
