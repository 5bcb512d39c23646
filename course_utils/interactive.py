"""Interactive views: the GAN lab (notebook 01) and the VAE explainer (notebook 05).

Each view has two layers.  A *state* (``GANLab``, ``VAEExplainer``) trains or encodes with the course's own
Keras models and draws itself as one PNG (``png()``) with matplotlib, without a browser or a widget, so it
is unit-tested from a seeded state and also makes the static pictures that stand in for the widgets where
they cannot run (``filmstrip``).  A *widget* (``gan_lab``, ``vae_explainer``) puts ipywidgets controls
around a state: only the API common to ipywidgets 7.7 (what Colab ships) and 8 (``Play``, ``Button``,
``Dropdown``, the sliders, ``Image``, ``HTML``, ``HBox``/``VBox``, ``observe``/``on_click``,
``add_class``), imported when a widget is made, not with this module.

The GAN lab follows GAN Lab (Kahng et al. 2018): a small GAN on 2-D toy data (or 1-D Gaussians, where the
optimal discriminator is known in closed form), trained a discriminator step or a generator step at a
time, the discriminator's output drawn as a heat map under the real and generated samples, and the
direction in which the generator's loss pushes each sample drawn as an arrow (rescaled in each frame so that
the arrows stay visible; the readout gives their mean length, the norm of the gradient).  The VAE explainer follows
VAE Explainer (Bertucci & Endert 2024): a test digit's posterior q(z|x) as an ellipse on the map of all test
encodings, its samples and their decodings, the two terms of its ELBO, and any point of the latent plane
decoded, with the prior's and the aggregate posterior's densities there.
"""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING

import keras
import numpy as np
import tensorflow as tf
from keras import ops
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from course_utils import gan, losses, metrics, plots, theory_gan

if TYPE_CHECKING:
    import ipywidgets as widgets

DATASETS = ("ring", "two moons", "line", "1-D Gaussians")
LOSSES = ("nonsaturating", "saturating", "wasserstein")
GP_WEIGHT = 10.0  # the gradient penalty's weight for the Wasserstein loss (Gulrajani et al. 2017)
RING_STD = 0.05


def sample_data(name: str, n: int, seed: int = 0) -> np.ndarray:
    """``n`` points of the toy data set ``name`` (one of ``DATASETS``), shape (n, 2), or (n, 1) for 1-D Gaussians.

    - ``ring``: eight Gaussians of standard deviation 0.05 on a circle of radius 2 (notebook 01, section 5);
    - ``two moons``: two interleaved half circles with a little noise, centred and scaled to [-2.3, 2.3];
    - ``line``: a segment from (-2, -1) to (2, 1), slightly blurred;
    - ``1-D Gaussians``: N(0, 1), the p_data of notebook 01's sections 2 to 4.
    """
    _check_choice("data", name, DATASETS)
    rng = np.random.default_rng(seed)
    if name == "ring":
        return theory_gan.sample_ring(n, std=RING_STD, seed=seed)
    if name == "two moons":
        t, upper = rng.uniform(0, np.pi, n), rng.random(n) < 0.5
        points = np.where(upper[:, None], np.stack([np.cos(t), np.sin(t)], 1),
                          np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
        return (1.5 * (points - [0.5, 0.25]) + 0.08 * rng.normal(size=(n, 2))).astype(np.float32)
    if name == "line":
        t = rng.uniform(-2, 2, n)
        return (np.stack([t, 0.5 * t], 1) + 0.03 * rng.normal(size=(n, 2))).astype(np.float32)
    return rng.normal(size=(n, 1)).astype(np.float32)


def _check_choice(what: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{what} must be one of {list(choices)}, got {value!r}")


def _png(fig: Figure, dpi: int = 72) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def filmstrip(frames: list[bytes], ncols: int = 2) -> bytes:
    """PNG frames of one size pasted into one PNG, ``ncols`` per row: the still that stands in for a widget."""
    from PIL import Image

    images = [Image.open(io.BytesIO(frame)) for frame in frames]
    width, height = images[0].size
    sheet = Image.new("RGB", (width * min(ncols, len(images)), height * -(-len(images) // ncols)), "white")
    for i, image in enumerate(images):
        sheet.paste(image, ((i % ncols) * width, (i // ncols) * height))
    buffer = io.BytesIO()
    sheet = sheet.quantize(colors=256)  # a palette (median cut): a third of the bytes
    sheet.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# --- the GAN lab -----------------------------------------------------------------------------


class GANLab:
    """A small GAN on toy data, trained one discriminator or generator update at a time, and drawn.

    The networks are notebook 01's toy MLPs (``theory_gan.mlp``); on 1-D Gaussians the generator is
    affine, G(z) = w z + b, so p_g = N(b, w^2) exactly and the optimal discriminator
    D* = p_data / (p_data + p_g) is drawn beside the trained one.  Both use Adam(beta_1=0.5, beta_2=0.9).
    ``data``, ``loss`` and the learning rates can be changed at any time (``set``); the networks and
    their optimisers carry on, except when the data's dimension changes (then they start again).

    ``loss`` is the generator's loss against a discriminator trained with the cross-entropy
    (``"nonsaturating"``, ``"saturating"``, ``losses``), or ``"wasserstein"``: a critic with unbounded
    scores, trained on ``losses.critic_loss_wasserstein`` plus ``GP_WEIGHT`` times the gradient penalty.
    """

    def __init__(self, data: str = "ring", loss: str = "nonsaturating", lr_d: float = 1e-3, lr_g: float = 1e-3,
                 batch_size: int = 256, seed: int = 0):
        _check_choice("data", data, DATASETS)
        _check_choice("loss", loss, LOSSES)
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.loss, self.lr_d, self.lr_g = loss, float(lr_d), float(lr_g)
        self._start(data)

    def _start(self, data: str) -> None:
        """New networks, optimisers and history for ``data``, from the lab's seed."""
        keras.utils.set_random_seed(self.seed)
        self.data = data
        self.dim = 1 if data == "1-D Gaussians" else 2
        if self.dim == 1:  # G(z) = w z + b, starting at notebook 01's p_g = N(1.5, 0.7^2)
            self.generator = keras.Sequential([keras.Input((1,)), keras.layers.Dense(
                1, kernel_initializer=keras.initializers.Constant(0.7),
                bias_initializer=keras.initializers.Constant(1.5))], name="generator")
        else:
            self.generator = theory_gan.mlp(2, 2, name="generator")
        self.discriminator = theory_gan.mlp(self.dim, 1, name="discriminator")
        self.d_optimizer = keras.optimizers.Adam(self.lr_d, beta_1=0.5, beta_2=0.9)
        self.g_optimizer = keras.optimizers.Adam(self.lr_g, beta_1=0.5, beta_2=0.9)
        self.noise = keras.random.SeedGenerator(self.seed)
        self.rng = np.random.default_rng(self.seed)
        self._new_data(data)
        latent = np.random.default_rng(self.seed + 1).normal(size=(1000, self.dim)).astype(np.float32)
        self.fixed_latent = latent  # the samples drawn and measured: the same latents in every frame
        self.steps = 0
        self.history = {name: [] for name in ("step", "d_loss", "g_loss", "d_real", "d_fake")}
        self.measured = {name: [] for name in ("step", "precision", "recall", "modes")}
        self._d_update = tf.function(self._d_update_eager, autograph=False)  # no tensor-dependent Python control flow
        self._g_update = tf.function(self._g_update_eager, autograph=False)

    def _new_data(self, data: str) -> None:
        self.data = data
        self.pool = sample_data(data, 20000, seed=self.seed)
        self.reference = sample_data(data, 1000, seed=self.seed + 2)  # what the samples are scored against

    def set(self, data: str | None = None, loss: str | None = None, lr_d: float | None = None,
            lr_g: float | None = None) -> None:
        """Change the data, the loss or a learning rate while training goes on."""
        if loss is not None:
            _check_choice("loss", loss, LOSSES)
            self.loss = loss
        if data is not None and data != self.data:
            _check_choice("data", data, DATASETS)
            if (data == "1-D Gaussians") != (self.dim == 1):
                self._start(data)
            else:
                self._new_data(data)
        for name, value, optimizer in (("lr_d", lr_d, self.d_optimizer), ("lr_g", lr_g, self.g_optimizer)):
            if value is not None:
                if not 0 < value < 1:
                    raise ValueError(f"{name} must be a learning rate between 0 and 1, got {value!r}")
                setattr(self, name, float(value))
                optimizer.learning_rate.assign(float(value))

    # training ---------------------------------------------------------------------------

    @property
    def wasserstein(self) -> bool:
        return self.loss == "wasserstein"

    def _scores(self, x):
        return self.discriminator(x, training=True)[:, 0]

    def _d_update_eager(self, real, loss: str):
        with tf.GradientTape() as tape:
            fake = self.generator(keras.random.normal(ops.shape(real), seed=self.noise), training=True)
            real_scores, fake_scores = self._scores(real), self._scores(fake)
            if loss == "wasserstein":
                d_loss = losses.critic_loss_wasserstein(real_scores, fake_scores)
                between = losses.interpolates(real, fake, seed=self.noise)
                with tf.GradientTape() as inner:
                    inner.watch(between)
                    between_scores = ops.sum(self._scores(between))
                total = d_loss + GP_WEIGHT * losses.gradient_penalty(inner.gradient(between_scores, between))
            else:
                d_loss = total = losses.discriminator_loss(real_scores, fake_scores)
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(total, weights), weights))
        return d_loss, real_scores, fake_scores

    def _g_update_eager(self, batch_size: int, loss: str):
        with tf.GradientTape() as tape:
            fake_scores = self._scores(self.generator(keras.random.normal((batch_size, self.dim), seed=self.noise),
                                                      training=True))
            g_loss = _generator_loss(loss)(fake_scores)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        return g_loss

    def _readout(self, scores):
        """What the 'D(x)' curves show: the mean probability, or for a critic its mean score."""
        values = scores if self.wasserstein else ops.sigmoid(scores)
        return float(ops.convert_to_numpy(ops.mean(values)))

    def d_step(self) -> None:
        """One update of the discriminator (critic) on a real batch and as many fresh fakes."""
        real = self.pool[self.rng.integers(len(self.pool), size=self.batch_size)]
        d_loss, real_scores, fake_scores = self._d_update(tf.constant(real), self.loss)
        self._record(d_loss=float(d_loss), d_real=self._readout(real_scores), d_fake=self._readout(fake_scores))

    def g_step(self) -> None:
        """One update of the generator on a batch of fresh latents."""
        self._record(g_loss=float(self._g_update(self.batch_size, self.loss)))

    def step(self, n: int = 1) -> None:
        """``n`` rounds of one discriminator update then one generator update."""
        for _ in range(int(n)):
            self.d_step()
            self.g_step()
            self.steps -= 1  # a round counts as one step
            self._merge_last_two()

    def _record(self, **values) -> None:
        self.steps += 1
        self.history["step"].append(self.steps)
        for name in ("d_loss", "g_loss", "d_real", "d_fake"):
            previous = self.history[name][-1] if self.history[name] else np.nan
            self.history[name].append(values.get(name, previous))

    def _merge_last_two(self) -> None:
        for values in self.history.values():
            values[-2:] = values[-1:]
        self.history["step"][-1] = self.steps

    # measuring and drawing ------------------------------------------------------------------

    def samples(self) -> np.ndarray:
        """The generator's outputs on the fixed latents, as NumPy (1000, dim)."""
        return ops.convert_to_numpy(self.generator(self.fixed_latent, training=False))

    def measure(self) -> dict:
        """Precision and recall of the fixed samples against the data (k-NN balls, k = 3, ``metrics``), and on
        the ring the modes covered (``theory_gan.mode_metrics``); recorded at the current step."""
        fakes = self.samples()
        precision, recall = metrics.precision_recall(self.reference, fakes)
        modes = (theory_gan.mode_metrics(fakes, theory_gan.ring_centres(), RING_STD)["modes_covered"]
                 if self.data == "ring" else None)
        if not self.measured["step"] or self.measured["step"][-1] != self.steps:
            for name, value in (("step", self.steps), ("precision", precision), ("recall", recall), ("modes", modes)):
                self.measured[name].append(value)
        return {"precision": precision, "recall": recall, "modes": modes}

    def pushes(self, n: int = 48) -> tuple[np.ndarray, np.ndarray]:
        """(samples, -gradient of the generator's loss with respect to each sample) for the first ``n`` fixed
        latents: the direction in which the loss pushes each generated point."""
        x = tf.Variable(self.generator(self.fixed_latent[:n], training=False))
        with tf.GradientTape() as tape:
            per_sample = n * _generator_loss(self.loss)(self.discriminator(x, training=False)[:, 0])
        return ops.convert_to_numpy(x), -ops.convert_to_numpy(tape.gradient(per_sample, x))

    def optimal_discriminator(self, grid) -> np.ndarray | None:
        """D* on ``grid`` for 1-D Gaussians with a cross-entropy loss (p_g = N(b, w^2) is known exactly), else None."""
        if self.dim != 1 or self.wasserstein:
            return None
        kernel, bias = (float(np.ravel(ops.convert_to_numpy(v))[0]) for v in self.generator.layers[-1].weights)
        return theory_gan.optimal_discriminator(theory_gan.gaussian_pdf(grid),
                                                theory_gan.gaussian_pdf(grid, bias, abs(kernel) + 1e-12))

    def distance_to_optimum(self) -> float | None:
        """On 1-D Gaussians with a cross-entropy loss, the mean |D - D*| where the data and the samples lie
        (weighted by (p_data + p_g) / 2 on the drawn interval); else None."""
        grid = np.linspace(-4, 5, 361, dtype=np.float32)
        d_star = self.optimal_discriminator(grid)
        if d_star is None:
            return None
        trained = 1 / (1 + np.exp(-ops.convert_to_numpy(self.discriminator(grid[:, None], training=False))[:, 0]))
        kernel, bias = (float(np.ravel(ops.convert_to_numpy(v))[0]) for v in self.generator.layers[-1].weights)
        weights = theory_gan.gaussian_pdf(grid) + theory_gan.gaussian_pdf(grid, bias, abs(kernel) + 1e-12)
        return float(np.sum(np.abs(trained - d_star) * weights) / np.sum(weights))

    def readout(self) -> str:
        """The latest numbers, in one line ("—" for a loss that no update has produced yet)."""
        last = {name: values[-1] if values else np.nan for name, values in self.history.items()}
        shown = {name: "—" if np.isnan(value) else f"{value:.3f}" for name, value in last.items()}
        d_name, out = ("critic", "f") if self.wasserstein else ("D", "D")
        text = (f"step {self.steps} · {d_name} loss {shown['d_loss']} · G loss {shown['g_loss']} · "
                f"{out}(x) {shown['d_real']} · {out}(G(z)) {shown['d_fake']} · "
                f"mean |push| {np.linalg.norm(self.pushes()[1], axis=1).mean():.3g}")
        distance = self.distance_to_optimum()
        if distance is not None:
            text += f" · mean |D − D*| {distance:.3f}"
        if self.measured["step"]:
            text += f" · recall {self.measured['recall'][-1]:.0%}"
            if self.measured["modes"][-1] is not None:
                text += f" · modes {self.measured['modes'][-1]}/8"
        return text

    def figure(self) -> Figure:
        """The lab's current state: samples over the discriminator's output, and the curves so far."""
        self.measure()
        fig = Figure(figsize=(9.6, 4.2))
        grid = fig.add_gridspec(3, 2, width_ratios=(1.3, 1), left=0.05, right=0.98, bottom=0.1, top=0.93,
                                wspace=0.18, hspace=0.35)
        field = fig.add_subplot(grid[:, 0])
        (self._draw_plane if self.dim == 2 else self._draw_line)(field)
        self._draw_curves([fig.add_subplot(grid[i, 1]) for i in range(3)])
        return fig

    def png(self) -> bytes:
        return _png(self.figure())

    def _draw_plane(self, ax) -> None:
        edge = np.linspace(-3, 3, 61, dtype=np.float32)
        points = np.stack(np.meshgrid(edge, edge), -1).reshape(-1, 2)
        scores = ops.convert_to_numpy(self.discriminator(points, training=False))[:, 0].reshape(61, 61)
        if self.wasserstein:
            limit = float(np.abs(scores).max()) or 1.0
            field = ax.imshow(scores, origin="lower", extent=(-3, 3, -3, 3), cmap="coolwarm_r", vmin=-limit, vmax=limit)
            label = "critic score f(x)"
        else:
            field = ax.imshow(1 / (1 + np.exp(-scores)), origin="lower", extent=(-3, 3, -3, 3), cmap="coolwarm_r",
                              vmin=0, vmax=1)
            label = "D(x): probability real"
        ax.figure.colorbar(field, ax=ax, shrink=0.8, fraction=0.04, pad=0.02, label=label)
        ax.scatter(*self.reference[:500].T, s=3, c="black", label="real")
        ax.scatter(*self.samples().T, s=3, c="darkorange", label="generated")
        at, push = self.pushes()
        scale = np.percentile(np.linalg.norm(push, axis=1), 90) or 1.0
        ax.quiver(*at.T, *(push / scale).T, color="indigo", angles="xy", scale_units="xy", scale=2.0, width=0.005,
                  label="push of the G loss")
        ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", title=f"{self.data}, {self.loss} loss, step {self.steps}")
        ax.legend(loc="upper right", fontsize=7, markerscale=3)

    def _draw_line(self, ax) -> None:
        grid = np.linspace(-4, 5, 361, dtype=np.float32)
        bins = np.linspace(-4, 5, 46)
        ax.hist(self.reference[:, 0], bins=bins, density=True, histtype="step", color="black", label="real")
        fakes = self.samples()[:, 0]
        ax.hist(np.clip(fakes, -4, 5), bins=bins, density=True, histtype="step", color="darkorange", label="generated")
        scores = ops.convert_to_numpy(self.discriminator(grid[:, None], training=False))[:, 0]
        if self.wasserstein:
            twin = ax.twinx()
            twin.plot(grid, scores, color="C0", label="critic f(x)")
            twin.set_ylabel("critic score f(x)")
        else:
            ax.plot(grid, 1 / (1 + np.exp(-scores)), color="C0", label="trained D(x)")
            ax.plot(grid, self.optimal_discriminator(grid), "k--", lw=1, label="analytic D*")
        at, push = self.pushes()
        scale = np.abs(push).max() or 1.0
        ax.quiver(at[:, 0], np.full(len(at), 0.03), push[:, 0] / scale, np.zeros(len(at)), color="indigo", angles="xy",
                  scale_units="xy", scale=2.0, width=0.005, label="push of the G loss")
        ax.set(xlim=(-4, 5), ylim=(0, 1.05), xlabel="x", title=f"1-D Gaussians, {self.loss} loss, step {self.steps}")
        ax.legend(loc="upper left", fontsize=7)

    def _draw_curves(self, axes) -> None:
        steps = self.history["step"]
        losses_ax, outputs_ax, cover_ax = axes
        d_name = "critic" if self.wasserstein else "D"
        losses_ax.plot(steps, self.history["d_loss"], lw=1, label=f"{d_name} loss")
        losses_ax.plot(steps, self.history["g_loss"], lw=1, label="G loss")
        out = "f" if self.wasserstein else "D"
        outputs_ax.plot(steps, self.history["d_real"], lw=1, color="black", label=f"{out}(x)")
        outputs_ax.plot(steps, self.history["d_fake"], lw=1, color="darkorange", label=f"{out}(G(z))")
        measured = self.measured
        # measured only at the frames drawn: markers, not lines that would suggest values in between
        cover_ax.plot(measured["step"], measured["recall"], "o", ms=3, label="recall")
        cover_ax.plot(measured["step"], measured["precision"], "^", ms=3, label="precision")
        if self.data == "ring":
            cover_ax.plot(measured["step"], np.array(measured["modes"], float) / 8, "s", ms=3, mfc="none",
                          label="modes covered / 8")
        cover_ax.set(ylim=(-0.05, 1.05), xlabel="steps")
        for ax in axes:
            ax.legend(fontsize=6, loc="upper left")
            ax.tick_params(labelsize=7)
            ax.set_xlim(0, max(10, self.steps))

    def filmstrip(self, marks: list[int], ncols: int = 2) -> bytes:
        """Train on to each step count in ``marks`` (rounds of ``step``) and draw a frame there; one PNG of them."""
        frames = []
        for mark in marks:
            self.step(max(0, mark - self.steps))
            frames.append(self.png())
        return filmstrip(frames, ncols)


def _generator_loss(loss: str):
    return losses.generator_loss_wasserstein if loss == "wasserstein" else gan.GENERATOR_LOSSES[loss]


def time_frames(lab: GANLab, steps_per_frame: int = 10, frames: int = 5) -> float:
    """The median seconds of one frame of the live lab (``steps_per_frame`` rounds, then the drawing)."""
    lab.step(steps_per_frame)  # the first call traces the updates: not part of a frame
    lab.png()
    seconds = []
    for _ in range(frames):
        start = time.perf_counter()
        lab.step(steps_per_frame)
        lab.png()
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def _guarded(readout, action):
    """``action`` for a widget callback: an error is shown in ``readout`` instead of vanishing into a log."""
    def run(*_):
        try:
            action()
        except Exception as error:  # noqa: BLE001 -- shown to the learner, who can fix the input
            readout.value = f"<b>error:</b> {type(error).__name__}: {error}"
    return run


def gan_lab(lab: GANLab | None = None, steps_per_frame: int = 10) -> widgets.Widget:
    """The live GAN lab: Play/Pause; buttons for ``steps_per_frame`` (a slider) updates of D alone, of G alone, or
    rounds of both; the data, loss and learning rates changeable while it runs."""
    import ipywidgets as widgets

    lab = lab or GANLab()
    image = widgets.Image(value=lab.png(), format="png")
    readout = widgets.HTML(lab.readout())
    play = widgets.Play(value=0, min=0, max=10**9, step=1, interval=400, description="play")
    buttons = {name: widgets.Button(description=name) for name in ("D steps", "G steps", "both", "reset")}
    data = widgets.Dropdown(options=list(DATASETS), value=lab.data, description="data")
    loss = widgets.Dropdown(options=list(LOSSES), value=lab.loss, description="loss")
    lr_d = widgets.FloatLogSlider(value=lab.lr_d, base=10, min=-4, max=-1, step=0.1, description="lr D")
    lr_g = widgets.FloatLogSlider(value=lab.lr_g, base=10, min=-4, max=-1, step=0.1, description="lr G")
    per_frame = widgets.IntSlider(value=steps_per_frame, min=1, max=100, description="steps/frame")

    def redraw(train):
        start = time.perf_counter()
        train()
        image.value = lab.png()
        readout.value = f"{lab.readout()} · frame {time.perf_counter() - start:.2f} s"

    actions = {"D steps": lambda: [lab.d_step() for _ in range(per_frame.value)],
               "G steps": lambda: [lab.g_step() for _ in range(per_frame.value)],
               "both": lambda: lab.step(per_frame.value), "reset": lambda: lab._start(lab.data)}
    for name, button in buttons.items():
        button.on_click(_guarded(readout, lambda action=actions[name]: redraw(action)))
    play.observe(_guarded(readout, lambda: redraw(lambda: lab.step(per_frame.value))), names="value")
    data.observe(_guarded(readout, lambda: redraw(lambda: lab.set(data=data.value))), names="value")
    loss.observe(_guarded(readout, lambda: redraw(lambda: lab.set(loss=loss.value))), names="value")
    lr_d.observe(_guarded(readout, lambda: lab.set(lr_d=lr_d.value)), names="value")
    lr_g.observe(_guarded(readout, lambda: lab.set(lr_g=lr_g.value)), names="value")
    controls = widgets.VBox([widgets.HBox([play, *buttons.values()]), widgets.HBox([data, loss]),
                             widgets.HBox([lr_d, lr_g, per_frame])])
    box = widgets.VBox([controls, image, readout])
    box.add_class("course-gan-lab")
    return box


# --- the VAE explainer -------------------------------------------------------------------------


class VAEExplainer:
    """A VAE with a 2-D latent seen whole: one test digit's posterior on the map of all test encodings, and any point.

    ``models`` maps β to a trained 2-D-latent VAE (the course's interface: ``encode``, ``decode``,
    ``decode_means``; ``compare.shipped_map_vaes()``); ``images`` are binarized test digits (n, 28, 28, 1) and
    ``labels`` their classes.  The state is the selected digit (``index``), a point ``z`` of the latent plane and
    ``beta``; ``set`` changes any of them.  What is drawn and printed:

    - the encoder means of all ``images`` coloured by class, and the selected digit's q(z|x) as its mean with the
      ellipses at 1 and 2 standard deviations (axis-aligned: q is a diagonal Gaussian), and ``n_samples`` draws;
    - its two ELBO terms in nats: the reconstruction -E_q log p(x|z) (Monte Carlo, 256 draws) and the KL in closed
      form;
    - at ``z``: the decoded image, the prior density p(z) = N(z; 0, I) and the aggregate posterior
      q(z) = (1/N) sum_i q(z | x_i) of the N digits on the map.  Where p(z) is high and q(z) low, the prior puts
      mass that no digit on the map encodes to: a "hole" whose decodings need not look like digits.
    """

    EXTENT = 4.0  # the plane drawn: [-4, 4]^2

    def __init__(self, models: dict, images, labels, beta: float = 1.0, n_samples: int = 8, seed: int = 0):
        images, labels = np.asarray(images, np.float32), np.asarray(labels)
        if images.ndim != 4 or images.shape[1:] != (28, 28, 1) or not np.isin(images, (0.0, 1.0)).all():
            raise ValueError(f"images must be binarized digits of shape (n, 28, 28, 1) with values 0 and 1 "
                             f"(data.binarize), got shape {images.shape}")
        if labels.shape != (len(images),):
            raise ValueError(f"labels must hold one class per image: shape ({len(images)},), got {labels.shape}")
        if not models:
            raise ValueError("models must map at least one β to a VAE with a 2-D latent (compare.shipped_map_vaes())")
        self.models = dict(sorted(models.items()))
        self.images, self.labels = images, labels
        self.n_samples, self.seed = int(n_samples), int(seed)
        self._encodings, self._density_grids = {}, {}
        self.index, self.z = 0, np.zeros(2, np.float32)
        self.set(beta=beta)

    def set(self, index: int | None = None, z=None, beta: float | None = None) -> None:
        """Select a test digit, a latent point (z1, z2) and/or a β among the models'."""
        if beta is not None:
            if beta not in self.models:
                raise ValueError(f"beta must be one of the models' {list(self.models)}, got {beta!r}")
            self.beta, self.model = beta, self.models[beta]
            if beta not in self._encodings:
                self._encodings[beta] = self.model.encode(self.images)
        if index is not None:
            if not 0 <= int(index) < len(self.images):
                raise ValueError(f"index must pick one of the {len(self.images)} test digits: 0 to "
                                 f"{len(self.images) - 1}, got {index!r}")
            self.index = int(index)
        if z is not None:
            z = np.asarray(z, np.float32).reshape(-1)
            if z.shape != (2,):
                raise ValueError(f"z must be a point (z1, z2) of the 2-D latent plane, got shape {z.shape}")
            self.z = z

    @property
    def means(self) -> np.ndarray:
        return self._encodings[self.beta][0]

    @property
    def log_vars(self) -> np.ndarray:
        return self._encodings[self.beta][1]

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, standard deviations) of q(z|x) for the selected digit."""
        return self.means[self.index], np.exp(0.5 * self.log_vars[self.index])

    def samples(self, n: int | None = None) -> np.ndarray:
        """``n`` (default ``n_samples``) draws of q(z|x) for the selected digit, seeded by the digit's index."""
        mean, std = self.posterior()
        eps = np.random.default_rng([self.seed, self.index]).normal(size=(n or self.n_samples, 2))
        return (mean + std * eps).astype(np.float32)

    def terms(self) -> dict:
        """ELBO terms of the digit, in nats: ``reconstruction`` = -E_q log p(x|z) (256 draws); ``kl``; ``elbo``."""
        z = self.samples(256)
        x = np.repeat(self.images[self.index:self.index + 1], len(z), axis=0)
        reconstruction = -float(ops.mean(losses.bernoulli_log_likelihood(x, self.model.decode(z))))
        one = slice(self.index, self.index + 1)
        kl = float(losses.gaussian_kl(self.means[one], self.log_vars[one])[0])
        return {"reconstruction": reconstruction, "kl": kl, "elbo": -(reconstruction + kl)}

    def log_aggregate_density(self, points) -> np.ndarray:
        """log q(z) = log (1/n) sum_n N(z; mean_n, diag var_n) at ``points`` (m, 2), over the digits on the map."""
        points = np.asarray(points, np.float64).reshape(-1, 1, 2)
        log_vars = self.log_vars.astype(np.float64)
        per_digit = -0.5 * np.sum((points - self.means) ** 2 / np.exp(log_vars) + log_vars + np.log(2 * np.pi), axis=2)
        top = per_digit.max(axis=1, keepdims=True)
        return (top + np.log(np.mean(np.exp(per_digit - top), axis=1, keepdims=True)))[:, 0]

    def densities(self) -> tuple[float, float]:
        """(prior p(z), aggregate posterior q(z)) at the selected point z."""
        prior = float(np.exp(-0.5 * np.sum(self.z.astype(np.float64) ** 2)) / (2 * np.pi))
        return prior, float(np.exp(self.log_aggregate_density(self.z)[0]))

    def readout(self) -> str:
        terms, (prior, aggregate), std = self.terms(), self.densities(), self.posterior()[1]
        return (f"test digit #{self.index} (a {self.labels[self.index]}) · β = {self.beta:g} · q(z|x) σ ({std[0]:.2f}, "
                f"{std[1]:.2f}) · reconstruction {terms['reconstruction']:.1f} nats · KL {terms['kl']:.2f} nats · "
                f"ELBO {terms['elbo']:.1f} · at z = "
                f"({self.z[0]:.1f}, {self.z[1]:.1f}): prior p(z) {prior:.3g}, aggregate q(z) {aggregate:.3g}")

    def figure(self) -> Figure:
        fig = Figure(figsize=(12, 4.4))
        grid = fig.add_gridspec(2, 4, width_ratios=(1, 1.1, 0.8, 0.45), left=0.03, right=0.99, bottom=0.08, top=0.92,
                                wspace=0.32, hspace=0.4)
        self._draw_map(fig.add_subplot(grid[:, 0]))
        self._draw_density(fig.add_subplot(grid[:, 1]))
        self._draw_images(fig.add_subplot(grid[0, 2:]), fig.add_subplot(grid[1, 3]))
        self._draw_terms(fig.add_subplot(grid[1, 2]))
        return fig

    def png(self) -> bytes:
        return _png(self.figure())

    def _square(self, ax, title: str) -> None:
        e = self.EXTENT
        ax.plot(*self.z, "k+", ms=14, mew=2)
        ax.set(xlim=(-e, e), ylim=(-e, e), aspect="equal", title=title)
        ax.title.set_fontsize(9)
        ax.tick_params(labelsize=7)

    def _draw_map(self, ax) -> None:
        points = ax.scatter(*self.means.T, c=self.labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=2, alpha=0.5)
        ax.legend(*points.legend_elements(), loc="upper left", ncol=5, fontsize=5, markerscale=0.5, handletextpad=0,
                  columnspacing=0.4, borderpad=0.2)
        mean, std = self.posterior()
        for k in (1, 2):
            ax.add_patch(Ellipse(mean, 2 * k * std[0], 2 * k * std[1], fill=False, lw=1.5, color="black"))
        ax.plot(*self.samples().T, "kx", ms=5)
        self._square(ax, f"β = {self.beta:g}: test encodings; q(z|x) of #{self.index}")

    def log_density_grid(self) -> np.ndarray:
        """log q(z) on the drawn plane's 61 x 61 grid (rows: z2 upwards), computed once per β."""
        if self.beta not in self._density_grids:
            edge = np.linspace(-self.EXTENT, self.EXTENT, 61)
            points = np.stack(np.meshgrid(edge, edge), -1).reshape(-1, 2)
            self._density_grids[self.beta] = self.log_aggregate_density(points).reshape(61, 61)
        return self._density_grids[self.beta]

    def hole(self, within: float = 2.0) -> np.ndarray:
        """The grid point within ``within`` prior standard deviations where q(z) / p(z) is smallest: the prior's
        deepest hole, where it puts mass that the encoder gives to none of the digits on the map.  q(z) is a mixture of
        their narrow Gaussians, so where exactly the deepest hole lies depends on which digits are on the map."""
        edge = np.linspace(-self.EXTENT, self.EXTENT, 61)
        z1, z2 = np.meshgrid(edge, edge)
        log_prior = -0.5 * (z1**2 + z2**2) - np.log(2 * np.pi)
        ratio = np.where(z1**2 + z2**2 <= within**2, self.log_density_grid() - log_prior, np.inf)
        row, column = np.unravel_index(np.argmin(ratio), ratio.shape)
        return np.array([edge[column], edge[row]], np.float32)

    def _draw_density(self, ax) -> None:
        e = self.EXTENT
        edge = np.linspace(-e, e, 61)
        field = ax.imshow(self.log_density_grid() / np.log(10), origin="lower", extent=(-e, e, -e, e), cmap="Greens",
                          vmin=-4, vmax=0)  # one scale for every β
        ax.figure.colorbar(field, ax=ax, fraction=0.04, pad=0.02).ax.tick_params(labelsize=6)
        z1, z2 = np.meshgrid(edge, edge)
        prior = np.exp(-0.5 * (z1**2 + z2**2)) / (2 * np.pi)
        ax.contour(edge, edge, prior, levels=np.exp(-0.5 * np.array([9.0, 4.0, 1.0])) / (2 * np.pi), colors="C3",
                   linewidths=0.8, linestyles="--")
        self._square(ax, "log10 aggregate q(z); prior's 1, 2, 3σ (red)")

    def _draw_images(self, strip_ax, point_ax) -> None:
        decoded = self.model.decode_means(self.samples())
        strip = plots.tile(np.concatenate([self.images[self.index:self.index + 1], decoded]), ncols=1 + len(decoded))
        strip_ax.imshow(strip, cmap="gray_r", vmin=0, vmax=1)
        strip_ax.set_title(f"test digit #{self.index}, then the decodings of its {len(decoded)} draws", fontsize=9)
        point_ax.imshow(self.model.decode_means(self.z[None])[0, ..., 0], cmap="gray_r", vmin=0, vmax=1)
        point_ax.set_title(f"decoded at z = ({self.z[0]:.1f}, {self.z[1]:.1f})", fontsize=8)
        for ax in (strip_ax, point_ax):
            ax.axis("off")

    def _draw_terms(self, ax) -> None:
        terms = self.terms()
        bars = ax.barh(["KL", "reconstruction"], [terms["kl"], terms["reconstruction"]], color=["C3", "C0"])
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
        ax.set_title(f"-ELBO = {-terms['elbo']:.1f} nats", fontsize=9)
        ax.set_xlim(0, 1.3 * max(terms["kl"], terms["reconstruction"]))
        ax.tick_params(labelsize=7)

    def filmstrip(self, states: list[dict], ncols: int = 2) -> bytes:
        """A frame for each state (``set``'s keywords: index, z, beta), as one PNG; the state is restored afterwards."""
        saved = {"index": self.index, "z": self.z, "beta": self.beta}
        frames = []
        for state in states:
            self.set(**state)
            frames.append(self.png())
        self.set(**saved)
        return filmstrip(frames, ncols)


def vae_explainer(explainer: VAEExplainer) -> widgets.Widget:
    """The live VAE explainer: a test digit, a point (z1, z2) of the latent plane and β, each on a slider."""
    import ipywidgets as widgets

    image = widgets.Image(value=explainer.png(), format="png")
    readout = widgets.HTML(explainer.readout())
    e = VAEExplainer.EXTENT
    index = widgets.IntSlider(value=explainer.index, min=0, max=len(explainer.images) - 1, description="test digit",
                              continuous_update=False)
    z1, z2 = (widgets.FloatSlider(value=float(v), min=-e, max=e, step=0.1, description=name, continuous_update=False)
              for name, v in (("z1", explainer.z[0]), ("z2", explainer.z[1])))
    beta = widgets.SelectionSlider(options=[(f"{b:g}", b) for b in explainer.models], value=explainer.beta,
                                   description="β", continuous_update=False)

    def update():
        explainer.set(index=index.value, z=(z1.value, z2.value), beta=beta.value)
        image.value = explainer.png()
        readout.value = explainer.readout()

    for control in (index, z1, z2, beta):
        control.observe(_guarded(readout, update), names="value")
    box = widgets.VBox([widgets.HBox([index, beta]), widgets.HBox([z1, z2]), image, readout])
    box.add_class("course-vae-explainer")
    return box
