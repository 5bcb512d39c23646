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

from course_utils import averaging, data, losses, training

GENERATOR_LOSSES = {
    "nonsaturating": losses.generator_loss_nonsaturating,
    "saturating": losses.generator_loss_saturating,
}


class GAN(keras.Model):
    """Generator + discriminator trained adversarially.

    Metrics per epoch: ``d_loss``, ``g_loss``, and the mean discriminator outputs
    ``d_real`` = D(x) and ``d_fake`` = D(G(z)) -- the first things to look at when a
    GAN misbehaves.  ``d_loss`` is the cross-entropy alone, without the R1 penalty.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 generator_loss: str = "nonsaturating", data_range: tuple[float, float] | None = None,
                 ema_decay: float | None = None, r1_weight: float = 0.0, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}, got {generator_loss!r}")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = latent_dim
        self.data_range = data_range
        # An exponential moving average of the generator's weights (``course_utils.averaging``):
        # it smooths out the oscillation of adversarial training and usually gives better samples.
        self.ema_decay = ema_decay
        self.generator_ema = averaging.averaged_copy(generator) if ema_decay is not None else None
        self.generator_loss = GENERATOR_LOSSES[generator_loss]
        # The R1 penalty (``losses.r1_penalty``) with this weight is added to the discriminator's loss.
        self.r1_weight = r1_weight
        self.seed = seed
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
    def parts(self) -> dict[str, keras.Model]:
        """The networks that make up a trained GAN, by name (what ``training.fit_or_load`` saves)."""
        parts = {"generator": self.generator, "generator_ema": self.generator_ema, "discriminator": self.discriminator}
        return {name: network for name, network in parts.items() if network is not None}

    @property
    def settings(self) -> dict:
        """The choices, besides the networks, that decide what training makes of this GAN
        (``training.fit_or_load`` records them with a run).  Needs ``compile`` first."""
        return {"latent_dim": self.latent_dim, "generator_loss": self.generator_loss.__name__,
                "data_range": self.data_range, "ema_decay": self.ema_decay, "r1_weight": self.r1_weight,
                "seed": self.seed, "d_optimizer": training.optimizer_settings(self.d_optimizer),
                "g_optimizer": training.optimizer_settings(self.g_optimizer)}

    @property
    def sampler(self) -> keras.Model:
        """The generator to sample from: the averaged one when ``ema_decay`` is set."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def sample_latent(self, n):
        return keras.random.normal((n, self.latent_dim), seed=self.noise)

    def _real_logits_and_r1(self, real):
        """The discriminator's logits on a real batch and, if ``r1_weight`` is set, the R1 penalty there."""
        if not self.r1_weight:
            return self.discriminator(real, training=True), 0.0
        with tf.GradientTape() as tape:  # nested in train_step's tape, which differentiates the penalty again
            tape.watch(real)
            real_logits = self.discriminator(real, training=True)
            total = ops.sum(real_logits)
        return real_logits, losses.r1_penalty(tape.gradient(total, real))

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)  # images only; labels are ignored
        batch = ops.shape(real)[0]
        # Under a tf.distribute strategy each replica sees part of the batch and the gradients
        # are summed across replicas: scale the per-replica mean loss so the sum is the mean.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            fake = self.generator(self.sample_latent(batch), training=True)
            real_logits, r1 = self._real_logits_and_r1(real)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
            scaled = (d_loss + self.r1_weight * r1) / replicas
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, weights), weights))

        with tf.GradientTape() as tape:
            g_logits = self.discriminator(self.generator(self.sample_latent(batch), training=True), training=True)
            g_loss = self.generator_loss(g_logits)
            scaled = g_loss / replicas
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled, weights), weights))
        if self.generator_ema is not None:
            averaging.update(self.generator_ema, self.generator, self.g_optimizer.iterations, self.ema_decay)

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
