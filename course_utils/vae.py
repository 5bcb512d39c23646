"""A convolutional VAE for binarized MNIST as a ``keras.Model`` with ``train_step``/``test_step``.

- encoder: image -> (mean, log_var) of the diagonal Gaussian q(z|x);
- ``Sampling``: z = mean + exp(log_var / 2) * eps, eps ~ N(0, I) from Keras's seeded generator
  (the reparameterization trick: gradients flow to mean and log_var);
- decoder: z -> Bernoulli logits for 28x28x1 pixels.

The loss is the negative β-ELBO in nats per image, with the KL in closed form
(``course_utils.losses``).  Training data are grey images in [0, 1], binarized afresh
at every step (dynamic binarization); validation/test data are binarized once, outside.

The course's VAE interface, used by ``metrics.iw_log_likelihood``:
``encode(x) -> (mean, log_var)`` and ``decode(z) -> logits``; ``decode_means(z)`` gives the
Bernoulli means (pixel probabilities in [0, 1]) that the notebooks show and score.
``make_vae`` builds the course VAE; ``BATCH_SIZE`` and ``EPOCHS`` are the course run's (notebook 05,
``make weights``, ``make bench``).  ``make_map_vae`` builds the small dense VAE with a 2-D latent that the
VAE explainer draws (notebook 05; ``make weights`` ships one per β in ``MAP_BETAS``).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from course_utils import data, losses, priors, training

IMAGE_SHAPE = (28, 28, 1)
BATCH_SIZE = 64  # the course run: notebook 05, `make weights` and `make bench` read these
EPOCHS = 20
MAP_BETAS = (0.5, 1.0, 4.0, 16.0)  # the explainer's shipped 2-D VAEs, one per β (`make weights`)
MAP_EPOCHS, MAP_BATCH_SIZE = 20, 128


class Sampling(layers.Layer):
    """z = mean + exp(log_var / 2) * eps with eps ~ N(0, I), seeded."""

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator, dtype=mean.dtype)
        return mean + ops.exp(0.5 * log_var) * eps


def build_encoder(latent_dim: int = 32, width: int = 16, activation: str = "elu") -> keras.Model:
    """image -> (mean, log_var).  ELU rather than ReLU: smooth, with a gradient for negative inputs."""
    x_in = keras.Input(IMAGE_SHAPE)
    x = layers.Conv2D(width, 3, strides=2, padding="same", activation=activation)(x_in)       # 14x14
    x = layers.Conv2D(2 * width, 3, strides=2, padding="same", activation=activation)(x)      # 7x7
    x = layers.Dense(256, activation=activation)(layers.Flatten()(x))
    return keras.Model(x_in, [layers.Dense(latent_dim, name="mean")(x), layers.Dense(latent_dim, name="log_var")(x)],
                       name="encoder")


def build_decoder(latent_dim: int = 32, width: int = 16, activation: str = "elu") -> keras.Model:
    """z -> Bernoulli logits (28, 28, 1)."""
    z = keras.Input((latent_dim,))
    x = layers.Dense(256, activation=activation)(z)
    x = layers.Dense(7 * 7 * 2 * width, activation=activation)(x)
    x = layers.Reshape((7, 7, 2 * width))(x)
    x = layers.Conv2DTranspose(2 * width, 3, strides=2, padding="same", activation=activation)(x)  # 14x14
    x = layers.Conv2DTranspose(width, 3, strides=2, padding="same", activation=activation)(x)      # 28x28
    logits = layers.Conv2D(1, 3, padding="same")(x)
    return keras.Model(z, logits, name="decoder")


class VAE(keras.Model):
    """Encoder + sampling + decoder, trained on the negative β-ELBO (β=1: the true ELBO).

    Two remedies for posterior collapse (notebook 07) change only the training objective; the logged
    ``kl``, ``reconstruction`` and ``elbo`` stay the true ones:

    - ``kl_warmup_steps``: KL annealing (Bowman et al. 2016), here the linear warm-up of Sønderby et
      al. 2016: β grows from 0 to ``beta`` over that many updates, meant to let the decoder learn to
      use z before the KL pushes q towards the prior;
    - ``free_bits``: each latent dimension's KL, averaged over the (global) batch, counts as at least
      this many *nats* (Kingma et al. 2016, "Improving Variational Inference with Inverse
      Autoregressive Flow", with each dimension its own group), so pushing a dimension below it
      gains nothing.

    With either, the logged training ``loss`` is that objective, not the negative β-ELBO: during the
    warm-up it lies below it, and with free bits it is at least ``reconstruction + β * latent_dim *
    free_bits``, β the current (warmed-up) weight, and never below the negative β-ELBO at that β.
    ``test_step`` (``val_loss``, ``evaluate``) reports the plain negative β-ELBO.

    ``gaussian_sigma`` replaces the Bernoulli likelihood by a Gaussian one with that fixed standard
    deviation around the decoder's mean sigmoid(logits), on grey pixels in [0, 1]: what a squared-error
    loss is, with its variance stated (notebook 07; the article's MSE, erratum V11).  Its ELBO is then a
    density on continuous pixels, not comparable with the Bernoulli one in nats; use no dynamic
    binarization with it (``make_vae`` does so).

    A learner's own code can stand in for two of its pieces (notebook 05's build-it-yourself exercises, checked by
    ``build_your_own``): ``sampling``, a layer class used instead of ``Sampling``, and ``negative_elbo(x, logits,
    mean, log_var)``, the per-image loss that training minimises instead of the course's (β = 1 and no remedy
    only: it is the plain negative ELBO).  The logged terms stay the course's own.

    With ``ema_decay``, averaged copies ``encoder_ema``/``decoder_ema`` follow the trained
    networks (``training.averaged_copy``), and evaluation (``test_step``, ``encode``,
    ``decode``, calling the model) uses them: the trained model *is* the averaged one.

    Two better objectives (notebook 08):

    - ``iw_samples`` = k > 1 trains on the importance-weighted bound of Burda et al. 2016 (IWAE),
      log (1/k) sum_i p(x, z_i) / q(z_i|x) with z_1..z_k ~ q(z|x), which lies between the ELBO (k = 1) and
      log p(x) and tightens as k grows; each update decodes k latents per image.  It is a bound on log p(x)
      only with β = 1 and no remedy, so those combinations are refused.  The logged ``iw_bound`` is its batch
      mean; ``reconstruction`` and ``kl`` stay the ELBO's terms, averaged over the k draws.  k = 1 is the
      ordinary training above, unchanged.
    - ``prior``, a learned prior (``priors.MixturePrior``) trained with the VAE in place of N(0, I).  Its KL
      term has no closed form: it is estimated as log q(z|x) - log p(z) at the same z that the
      reconstruction uses (unbiased, one sample per image).  Free bits count each dimension's closed-form KL
      against N(0, 1), so they are refused with it.  ``sample_prior`` draws from whichever prior the VAE has.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, beta: float = 1.0,
                 dynamic_binarization: bool = True, ema_decay: float | None = None, seed: int = 0,
                 kl_warmup_steps: int = 0, free_bits: float = 0.0, gaussian_sigma: float | None = None,
                 sampling: type[layers.Layer] | None = None, negative_elbo=None, iw_samples: int = 1,
                 prior: priors.MixturePrior | None = None, **kwargs):
        super().__init__(**kwargs)
        if int(iw_samples) != iw_samples or iw_samples < 1:
            raise ValueError(f"iw_samples is the number of importance samples per image: a whole number >= 1 (1: the "
                             f"ordinary ELBO); got {iw_samples!r}")
        if iw_samples > 1 and (beta != 1 or kl_warmup_steps or free_bits or negative_elbo is not None
                               or sampling is not None):
            raise ValueError("the importance-weighted bound (iw_samples > 1) bounds log p(x) only with beta=1 and no "
                             "kl_warmup_steps, free_bits, or own sampling/negative_elbo code: drop those, or use "
                             "iw_samples=1")
        if prior is not None and (free_bits or negative_elbo is not None):
            raise ValueError("free bits and negative_elbo use the closed-form KL against N(0, I), which a learned "
                             "prior does not have: use prior=None with them, or drop them")
        latent_dim = int(decoder.input_shape[-1])
        if prior is not None and prior.latent_dim != latent_dim:
            raise ValueError(f"the prior has {prior.latent_dim} latent dimensions and the decoder takes {latent_dim}: "
                             f"build MixturePrior(latent_dim={latent_dim}, ...)")
        self.iw_samples, self.prior, self.latent_dim = int(iw_samples), prior, latent_dim
        self.prior_ema = training.averaged_copy(prior) if ema_decay is not None and prior is not None else None
        if negative_elbo is not None and (beta != 1 or kl_warmup_steps or free_bits or gaussian_sigma is not None):
            raise ValueError("negative_elbo replaces the plain negative ELBO with a Bernoulli likelihood: use it with "
                             "beta=1 and without kl_warmup_steps, free_bits or gaussian_sigma")
        if gaussian_sigma is not None and not gaussian_sigma > 0:
            raise ValueError(f"gaussian_sigma is the decoder's fixed standard deviation on pixels in [0, 1]: a number "
                             f"> 0 (e.g. 0.1), or None for the Bernoulli likelihood; got {gaussian_sigma!r}")
        self.gaussian_sigma = None if gaussian_sigma is None else float(gaussian_sigma)
        if kl_warmup_steps < 0 or free_bits < 0 or int(kl_warmup_steps) != kl_warmup_steps:
            raise ValueError(f"kl_warmup_steps ({kl_warmup_steps}, a whole number of updates) and free_bits "
                             f"({free_bits}, nats per latent dimension) must be >= 0; 0 turns each off")
        self.kl_warmup_steps, self.free_bits = int(kl_warmup_steps), float(free_bits)
        self.encoder, self.decoder = encoder, decoder
        self.ema_decay = ema_decay
        self.encoder_ema = training.averaged_copy(encoder) if ema_decay is not None else None
        self.decoder_ema = training.averaged_copy(decoder) if ema_decay is not None else None
        self.beta = beta
        self.dynamic_binarization = dynamic_binarization
        self.seed = seed
        self.own_code = {name: code for name, code in (("sampling", sampling), ("negative_elbo", negative_elbo))
                         if code}
        self.negative_elbo = negative_elbo
        self.sampling = (sampling or Sampling)(seed=seed)
        self.binarize_noise = keras.random.SeedGenerator(seed + 1)
        self.importance_noise = keras.random.SeedGenerator(seed + 2)
        names = ("loss", "reconstruction", "kl", "elbo") + (("iw_bound",) if self.iw_samples > 1 else ())
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True  # both networks arrive built; this lets checkpoints restore before fit

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def parts(self) -> dict[str, keras.Model]:
        """The networks that make up a trained VAE, by name (what ``training.fit_or_load`` saves)."""
        parts = {"encoder": self.encoder, "decoder": self.decoder, "prior": self.prior,
                 "encoder_ema": self.encoder_ema, "decoder_ema": self.decoder_ema, "prior_ema": self.prior_ema}
        return {name: network for name, network in parts.items() if network is not None}

    @property
    def settings(self) -> dict:
        """The choices, besides the networks, that decide what training makes of this VAE
        (``training.fit_or_load`` records them with a run).  Needs ``compile`` first."""
        settings = {"beta": self.beta, "dynamic_binarization": self.dynamic_binarization, "ema_decay": self.ema_decay,
                    "seed": self.seed, "optimizer": training.optimizer_settings(self.optimizer)}
        remedies = {"kl_warmup_steps": self.kl_warmup_steps, "free_bits": self.free_bits,
                    "gaussian_sigma": self.gaussian_sigma, "iw_samples": self.iw_samples > 1 and self.iw_samples,
                    "prior": self.prior is not None and {"class": type(self.prior).__name__,
                                                         "components": self.prior.components},
                    **{name: training.code_fingerprint(code) for name, code in self.own_code.items()}}
        # recorded only when used, so that the runs made before these options existed keep their folders (and a
        # learner's own code trains a run of its own)
        return settings | {name: value for name, value in remedies.items() if value}

    @property
    def eval_networks(self) -> tuple[keras.Model, keras.Model]:
        """(encoder, decoder) used for evaluation: the averaged ones when ``ema_decay`` is set."""
        if self.encoder_ema is not None:
            return self.encoder_ema, self.decoder_ema
        return self.encoder, self.decoder

    @property
    def eval_prior(self) -> priors.MixturePrior | None:
        """The learned prior used for evaluation (the averaged one with ``ema_decay``), or None for N(0, I)."""
        return self.prior_ema if self.prior_ema is not None else self.prior

    def fit(self, x=None, *args, **kwargs):
        """``keras.Model.fit`` after checking shape and range: grey images in [0, 1]."""
        if isinstance(x, np.ndarray):
            data.check_model_input(x, IMAGE_SHAPE, (0.0, 1.0))
        if isinstance(kwargs.get("validation_data"), np.ndarray):
            data.check_model_input(kwargs["validation_data"], IMAGE_SHAPE, (0.0, 1.0))
        return super().fit(x, *args, **kwargs)

    def call(self, x, training=False):
        """Reconstruction logits for a sample z ~ q(z|x), from the evaluated networks."""
        encoder, decoder = self.eval_networks
        mean, log_var = encoder(x, training=training)
        return decoder(self.sampling([mean, log_var]), training=training)

    def _forward(self, x, encoder, decoder, training):
        """(mean, log_var, z, logits): q(z|x)'s parameters, one z ~ q(z|x) and the decoder's logits for it."""
        mean, log_var = encoder(x, training=training)
        z = self.sampling([mean, log_var])
        return mean, log_var, z, decoder(z, training=training)

    def _terms(self, x, mean, log_var, z, logits, prior):
        """(reconstruction, KL, KL per latent dimension): batch means in nats.  Against N(0, I) the KL is in closed
        form; against a learned ``prior`` it is log q(z|x) - log p(z) at the sample z, with no per-dimension split
        (None)."""
        reconstruction = ops.mean(-self.log_likelihood(x, logits))   # nats per image
        if prior is not None:
            return reconstruction, ops.mean(losses.log_normal_diag(z, mean, log_var) - prior.log_prob(z)), None
        kl_per_dimension = ops.mean(losses.gaussian_kl_per_dimension(mean, log_var), axis=0)
        return reconstruction, ops.sum(kl_per_dimension), kl_per_dimension

    def _importance_weighted(self, x, encoder, decoder, prior, training, k=None):
        """(reconstruction, KL, importance-weighted bound), batch means in nats, from k latents (``iw_samples``
        unless given) z_i = mean + sigma * eps_i per image; log q(z_i|x) is taken from the noise eps_i that drew
        z_i."""
        mean, log_var = encoder(x, training=training)
        k = k or self.iw_samples
        eps = keras.random.normal((k, *ops.shape(mean)), seed=self.importance_noise, dtype=mean.dtype)
        z = mean[None] + ops.exp(0.5 * log_var)[None] * eps                        # (k, batch, latent)
        flat = ops.reshape(z, (-1, self.latent_dim))
        repeated = ops.reshape(ops.tile(x[None], (k, 1, 1, 1, 1)), (-1, *IMAGE_SHAPE))
        log_px_z = ops.reshape(self.log_likelihood(repeated, decoder(flat, training=training)), (k, -1))
        log_qz = -0.5 * ops.sum(losses.LOG_2PI + log_var[None] + ops.square(eps), axis=2)
        if prior is None:
            log_pz, kl = -0.5 * ops.sum(losses.LOG_2PI + ops.square(z), axis=2), losses.gaussian_kl(mean, log_var)
        else:
            log_pz = ops.reshape(prior.log_prob(flat), (k, -1))
            kl = log_qz - log_pz
        bound = losses.importance_weighted_bound(ops.transpose(log_px_z + log_pz - log_qz))
        return -ops.mean(log_px_z), ops.mean(kl), ops.mean(bound)

    def log_likelihood(self, x, logits):
        """log p(x | z) per image, in nats, for the decoder's ``logits``: Bernoulli, or the fixed-variance Gaussian
        around sigmoid(logits) when ``gaussian_sigma`` is set."""
        if self.gaussian_sigma is None:
            return losses.bernoulli_log_likelihood(x, logits)
        return losses.gaussian_log_likelihood(x, ops.sigmoid(logits), float(2 * np.log(self.gaussian_sigma)))

    def training_kl_weight(self):
        """β at the coming update: ``beta``, or its linear warm-up from 0 while ``kl_warmup_steps`` last.

        The updates are counted by the optimizer: a resumed run continues its warm-up (the checkpoint
        holds the count), while a new ``compile`` (a new optimizer) starts it again.
        """
        if not self.kl_warmup_steps:
            return self.beta
        done = ops.cast(self.optimizer.iterations, "float32")
        return self.beta * ops.minimum(1.0, done / self.kl_warmup_steps)

    def free_bits_kl(self, kl_per_dimension):
        """The KL term under free bits: the sum over dimensions j of max(``free_bits``, KL_j), KL_j the batch mean.

        Under a ``tf.distribute`` strategy each replica holds part of the batch, and the maximum is not
        linear; so which dimensions sit below the floor is decided on the mean over all replicas, and each
        replica keeps its own KL_j (and its gradient) for the dimensions above the floor.  With equal shares
        of the batch, the mean over replicas is then the global batch's value, as with one process.
        """
        everywhere = tf.distribute.get_replica_context().all_reduce("MEAN", ops.stop_gradient(kl_per_dimension))
        return ops.sum(ops.where(everywhere > self.free_bits, kl_per_dimension, self.free_bits))

    def _record(self, reconstruction, kl, loss, iw_bound=None):
        values = {"loss": loss, "reconstruction": reconstruction, "kl": kl, "elbo": -(reconstruction + kl)}
        for name, value in (values | ({"iw_bound": iw_bound} if iw_bound is not None else {})).items():
            self.trackers[name].update_state(value)
        return training.step_logs({name: tracker.result() for name, tracker in self.trackers.items()})

    def train_step(self, batch):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(batch)
        if self.dynamic_binarization:  # a fresh Bernoulli draw of every pixel, every step
            x = ops.cast(keras.random.uniform(ops.shape(x), seed=self.binarize_noise) < x, x.dtype)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        iw_bound = None
        with tf.GradientTape() as tape:
            if self.iw_samples > 1:
                reconstruction, kl, iw_bound = self._importance_weighted(x, self.encoder, self.decoder, self.prior,
                                                                         training=True)
                loss = -iw_bound
            else:
                mean, log_var, z, logits = self._forward(x, self.encoder, self.decoder, training=True)
                reconstruction, kl, kl_per_dimension = self._terms(x, mean, log_var, z, logits, self.prior)
                if self.negative_elbo is not None:
                    loss = ops.mean(self.negative_elbo(x, logits, mean, log_var))
                else:
                    trained_kl = self.free_bits_kl(kl_per_dimension) if self.free_bits else kl
                    loss = reconstruction + self.training_kl_weight() * trained_kl
            scaled = loss / replicas  # inside the tape, or it has no gradient
        live = [network for network in (self.encoder, self.decoder, self.prior) if network is not None]
        weights = [weight for network in live for weight in network.trainable_weights]
        self.optimizer.apply_gradients(zip(tape.gradient(scaled, weights), weights))
        if self.encoder_ema is not None:
            averages = (self.encoder_ema, self.decoder_ema, self.prior_ema)
            for average, network in zip(averages, live):
                training.update(average, network, self.optimizer.iterations, self.ema_decay)
        return self._record(reconstruction, kl, loss, iw_bound)

    def test_step(self, batch):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(batch)
        encoder, decoder = self.eval_networks
        mean, log_var, z, logits = self._forward(x, encoder, decoder, training=False)
        reconstruction, kl, _ = self._terms(x, mean, log_var, z, logits, self.eval_prior)
        iw_bound = None
        if self.iw_samples > 1:
            iw_bound = self._importance_weighted(x, encoder, decoder, self.eval_prior, training=False)[2]
        return self._record(reconstruction, kl, reconstruction + self.beta * kl, iw_bound)

    # the course's VAE interface ----------------------------------------------------------

    def encode(self, x):
        mean, log_var = self.eval_networks[0](x, training=False)
        return ops.convert_to_numpy(mean), ops.convert_to_numpy(log_var)

    def decode(self, z):
        return self.eval_networks[1](z, training=False)

    def decode_means(self, z) -> np.ndarray:
        """The decoder's Bernoulli means (pixel probabilities in [0, 1]) for latents ``z``, as NumPy."""
        return ops.convert_to_numpy(ops.sigmoid(self.decode(np.asarray(z, np.float32))))

    def sample_prior(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` latents from the VAE's prior, float32 NumPy: N(0, I) drawn with NumPy's generator for ``seed``
        (the same draws as ``compare.sample``), or the learned prior's ``sample``."""
        prior = self.eval_prior
        if prior is None:
            return np.random.default_rng(seed).normal(size=(n, self.latent_dim)).astype(np.float32)
        return prior.sample(n, seed)


def make_vae(latent_dim: int = 32, width: int = 16, lr: float = 2e-3, beta: float = 1.0,
             ema_decay: float | None = 0.999, seed: int = 0, kl_warmup_steps: int = 0, free_bits: float = 0.0,
             gaussian_sigma: float | None = None, sampling: type[layers.Layer] | None = None,
             negative_elbo=None, iw_samples: int = 1, prior_components: int = 0) -> VAE:
    """The course VAE, compiled with Adam and XLA, evaluated with averaged weights (the settings of notebook 05).
    ``kl_warmup_steps``, ``free_bits`` and ``gaussian_sigma`` (trained on grey pixels, not binarized), a
    learner's own ``sampling`` layer and ``negative_elbo``, and ``iw_samples`` (IWAE training): see ``VAE``.
    ``prior_components`` > 0 learns a mixture-of-Gaussians prior with that many components
    (``priors.MixturePrior``) in place of N(0, I)."""
    keras.utils.set_random_seed(seed)
    if int(prior_components) != prior_components or prior_components < 0:
        raise ValueError(f"prior_components is the learned prior's number of Gaussians: a whole number, 0 for the "
                         f"fixed N(0, I); got {prior_components!r}")
    prior = priors.MixturePrior(latent_dim, prior_components, seed=seed) if prior_components else None
    model = VAE(build_encoder(latent_dim, width), build_decoder(latent_dim, width), beta=beta,
                dynamic_binarization=gaussian_sigma is None, ema_decay=ema_decay, seed=seed,
                kl_warmup_steps=kl_warmup_steps, free_bits=free_bits, gaussian_sigma=gaussian_sigma,
                sampling=sampling, negative_elbo=negative_elbo, iw_samples=iw_samples, prior=prior)
    model.compile(keras.optimizers.Adam(lr), jit_compile=training.jit_compile())
    return model


def make_map_vae(beta: float = 1.0, seed: int = 0, hidden: int = 128, lr: float = 1e-3) -> VAE:
    """A small dense VAE with a 2-D latent, for the VAE explainer (notebook 05), which draws its whole latent space.

    One hidden layer of ``hidden`` ELU units each way (about 200,000 parameters in all), so that one model per β
    ships in under a megabyte; Bernoulli likelihood and dynamic binarization as in ``make_vae``, and no weight
    averaging (the shipped weights are the trained ones).
    """
    keras.utils.set_random_seed(seed)
    x_in = keras.Input(IMAGE_SHAPE)
    h = layers.Dense(hidden, activation="elu")(layers.Flatten()(x_in))
    encoder = keras.Model(x_in, [layers.Dense(2, name="mean")(h), layers.Dense(2, name="log_var")(h)], name="encoder")
    z = keras.Input((2,))
    logits = layers.Reshape(IMAGE_SHAPE)(layers.Dense(28 * 28)(layers.Dense(hidden, activation="elu")(z)))
    model = VAE(encoder, keras.Model(z, logits, name="decoder"), beta=beta, seed=seed)
    model.compile(keras.optimizers.Adam(lr), jit_compile=training.jit_compile())
    return model
