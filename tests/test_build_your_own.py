"""The build-it-yourself exercises (course_utils/build_your_own.py): each check passes the course's own code, fails
plausible wrong versions and says which mistake it sees, reports an unwritten stub as not attempted; each stub in
its notebook says clearly that it is not yet implemented; and notebooks 04 and 05 train end to end in fast mode with
the learner's versions plugged in (the solutions standing in for the learner's answers)."""

import ast
import re
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from course_utils import build_your_own as build
from course_utils import gan, losses, metrics, training, vae

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


# --- the course's own code passes ---------------------------------------------------------------------------------

def _course_negative_elbo(x, logits, mean, log_var):
    return -losses.bernoulli_log_likelihood(x, logits) + losses.gaussian_kl(mean, log_var)


@pytest.mark.parametrize("check, answer", [
    (build.check_gan_update, gan.GAN.adversarial_update),
    (build.check_fid, metrics.fid),
    (build.check_sampling, vae.Sampling),
    (build.check_negative_elbo, _course_negative_elbo),
    (build.check_iw_bound, losses.importance_weighted_bound),
], ids=lambda v: getattr(v, "__name__", ""))
def test_the_course_implementation_passes(check, answer, capsys):
    assert check(answer)
    assert ": correct" in capsys.readouterr().out


# --- wrong versions fail, with the message that names what is off ---------------------------------------------------

def _update(gan_, real, *, fresh_latents=True, generator_loss=losses.generator_loss_nonsaturating, r1=True,
            generator_training=True, returns_total=False):
    """The solution of notebook 04's exercise, with one thing that can go wrong switched by each keyword."""
    batch = ops.shape(real)[0]
    with tf.GradientTape() as tape:
        fake = gan_.generator(gan_.sample_latent(batch), training=generator_training)
        real_logits, penalty = gan_.real_logits_and_r1(real)
        fake_logits = gan_.discriminator(fake, training=True)
        d_loss = losses.discriminator_loss(real_logits, fake_logits)
        total = d_loss + (gan_.r1_weight * penalty if r1 else 0.0)
    weights = gan_.discriminator.trainable_weights
    gan_.d_optimizer.apply_gradients(zip(tape.gradient(total, weights), weights))
    with tf.GradientTape() as tape:
        z = gan_.sample_latent(batch) if fresh_latents else None
        fake = gan_.generator(z, training=True) if fresh_latents else fake
        g_loss = generator_loss(gan_.discriminator(fake, training=True))
    weights = gan_.generator.trainable_weights
    gan_.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
    return total if returns_total else d_loss, g_loss, real_logits, fake_logits


def test_the_solution_style_update_passes():
    assert build.check_gan_update(_update)


@pytest.mark.parametrize("wrong, says", [
    (dict(r1=False), "discriminator's weights differ"),
    (dict(generator_training=False), "discriminator's weights differ"),  # BatchNorm on moving statistics
    (dict(generator_loss=losses.generator_loss_saturating), "generator's weights differ"),
    (dict(fresh_latents=False), "generator's weights differ"),  # the graph of the old fakes: no gradient reaches G
], ids=["no R1", "generator in inference mode", "saturating loss", "the discriminator's fakes reused"])
def test_wrong_gan_updates_fail(wrong, says, capsys):
    def update(gan_, real):
        return _update(gan_, real, **wrong)
    try:
        verdict = build.check_gan_update(update)
    except (ValueError, TypeError):  # no gradient at all: Keras refuses to apply None, which is a failure too
        return
    assert not verdict
    assert says in capsys.readouterr().out


def test_a_gan_update_returning_the_loss_with_r1_is_told_to_return_d_loss(capsys):
    """Right weights, but the d_loss it returns (and fit would log) includes the penalty."""
    assert not build.check_gan_update(lambda gan_, real: _update(gan_, real, returns_total=True))
    assert "in place of d_loss (without the R1 penalty)" in capsys.readouterr().out


def test_a_gan_update_returning_nothing_is_told_what_to_return(capsys):
    assert not build.check_gan_update(lambda gan_, real: None)
    assert "return the tuple (d_loss, g_loss" in capsys.readouterr().out


def test_wrong_fids_fail_and_are_named(capsys):
    def no_sqrt(a, b):
        ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        return np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(ca + cb - 2 * ca @ cb)
    assert not build.check_fid(no_sqrt)
    assert "without the matrix square root" in capsys.readouterr().out
    assert not build.check_fid(lambda a, b: float(np.sum((a.mean(0) - b.mean(0)) ** 2)))
    assert "mean term alone" in capsys.readouterr().out
    assert not build.check_fid(lambda a, b: np.sqrt(metrics.fid(a, b)))
    assert "square root of the FID" in capsys.readouterr().out


def _sampling(z_of):
    """A Sampling layer whose z is ``z_of(mean, log_var, eps)``, eps drawn as the course draws it."""
    class Wrong(vae.Sampling):
        def call(self, inputs):
            mean, log_var = inputs
            return z_of(mean, log_var, keras.random.normal(ops.shape(mean), seed=self.seed_generator))
    return Wrong


class NumpyNoise(keras.layers.Layer):
    """Correct maths, NumPy noise: fresh in eager mode, frozen once traced (as in fit)."""
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rng = np.random.default_rng(seed)

    def call(self, inputs):
        mean, log_var = inputs
        return mean + ops.exp(0.5 * log_var) * self.rng.standard_normal(tuple(mean.shape)).astype("float32")


class Unseeded(vae.Sampling):
    def call(self, inputs):
        mean, log_var = inputs
        return mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean))


class SharedNoise(vae.Sampling):
    """One eps per image for all latent dimensions: z's dimensions move together (a rank-one q, not a diagonal one)."""
    def call(self, inputs):
        mean, log_var = inputs
        return mean + ops.exp(0.5 * log_var) * keras.random.normal((ops.shape(mean)[0], 1), seed=self.seed_generator)


class UniformNoise(vae.Sampling):
    """Noise of mean 0 and variance 1, but uniform."""
    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.uniform(ops.shape(mean), -3 ** 0.5, 3 ** 0.5, seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps


@pytest.mark.parametrize("layer, says", [
    (_sampling(lambda m, v, e: m + ops.exp(v) * e), "exp(log_var) is the variance"),
    (_sampling(lambda m, v, e: m + v * e), "dz/dlog_var"),
    (_sampling(lambda m, v, e: ops.exp(0.5 * v) * e), "no gradient reaches mean"),
    (_sampling(lambda m, v, e: 2 * m + ops.exp(0.5 * v) * e), "dz/dmean should be 1"),
    (_sampling(lambda m, v, e: m + ops.exp(0.5 * v) * (e * 0.5)), "not 0 and 1"),
    (NumpyNoise, "tf.function"),
    (Unseeded, "not reproducible"),
    (SharedNoise, "its own draw"),
    (UniformNoise, "not another distribution"),
], ids=["variance", "log_var as sigma", "no mean", "twice the mean", "half the noise", "NumPy noise", "unseeded",
        "one eps per image", "uniform eps"])
def test_wrong_sampling_layers_fail(layer, says, capsys):
    assert not build.check_sampling(layer)
    assert says in capsys.readouterr().out


def _reconstruction(x, logits):
    return -losses.bernoulli_log_likelihood(x, logits)


def _unstable(x, logits, mean, log_var):
    p = ops.sigmoid(logits)
    return -ops.sum(x * ops.log(p) + (1 - x) * ops.log(1 - p), axis=(1, 2, 3)) + losses.gaussian_kl(mean, log_var)


@pytest.mark.parametrize("answer, says", [
    (lambda x, a, m, v: _reconstruction(x, a), "the KL is missing"),
    (lambda x, a, m, v: _reconstruction(x, a) / 784 + losses.gaussian_kl(m, v), "averaged over the 784"),
    (lambda x, a, m, v: -_reconstruction(x, a) - losses.gaussian_kl(m, v), "not its negative"),
    (lambda x, a, m, v: ops.mean(_course_negative_elbo(x, a, m, v)), "shape ()"),
    (_unstable, "stable form"),
], ids=["no KL", "pixel mean", "sign", "batch mean", "unstable log(sigmoid)"])
def test_wrong_negative_elbos_fail(answer, says, capsys):
    assert not build.check_negative_elbo(answer)
    assert says in capsys.readouterr().out


@pytest.mark.parametrize("answer, says", [
    (lambda w: np.log(np.mean(np.exp(w), axis=1)), "not finite"),  # right maths, underflow at -800
    (lambda w: np.mean(w, axis=1), "the ELBO's estimate"),
    (lambda w: np.log(np.sum(np.exp(w - w.max(1, keepdims=True)), axis=1)) + w.max(1), "log of the *sum*"),
], ids=["naive", "mean of logs", "no 1/K"])
def test_wrong_iw_bounds_fail(answer, says, capsys):
    with np.errstate(divide="ignore"):
        assert not build.check_iw_bound(answer)
    assert says in capsys.readouterr().out


# --- the plug-ins use what the learner wrote ------------------------------------------------------------------------

def test_a_learners_code_trains_a_run_of_its_own_that_changes_with_the_code():
    def update_a(gan_, real):
        return gan.GAN.adversarial_update(gan_, real)

    def update_b(gan_, real):
        return gan.GAN.adversarial_update(gan_, real)  # the same, written again: another source, another run
    folders = {training.run_folder("dcgan", gan.make_gan(latent_dim=4, g_width=4, d_width=4, update=u), (8, 28, 28, 1),
                                   1, 8).name for u in (None, update_a, update_b)}
    assert len(folders) == 3
    assert "update" in gan.make_gan(latent_dim=4, g_width=4, d_width=4, update=update_a).settings


def test_the_vae_trains_on_the_learners_loss_and_rejects_it_with_other_objectives():
    calls = []

    def negative_elbo(x, logits, mean, log_var):
        calls.append(1)
        return _course_negative_elbo(x, logits, mean, log_var)
    model = vae.make_vae(latent_dim=2, width=4, negative_elbo=negative_elbo, sampling=_sampling(
        lambda m, v, e: m + ops.exp(0.5 * v) * e))
    model.fit(np.random.default_rng(0).uniform(size=(16, 28, 28, 1)).astype("float32"), batch_size=8, epochs=1,
              verbose=0)
    assert calls and type(model.sampling).__name__ == "Wrong"
    assert {"negative_elbo", "sampling"} <= set(model.settings)
    with pytest.raises(ValueError, match="beta=1"):
        vae.make_vae(latent_dim=2, width=4, beta=4.0, negative_elbo=negative_elbo)


def test_the_test_nll_uses_the_learners_bound():
    model = vae.make_vae(latent_dim=2, width=4)
    images = (np.random.default_rng(0).uniform(size=(4, 28, 28, 1)) < 0.3).astype("float32")
    ours = metrics.test_nll(model, images, k=5)
    assert metrics.test_nll(model, images, k=5, bound=lambda w: losses.importance_weighted_bound(w)).nll == \
        pytest.approx(ours.nll, rel=1e-6)
    assert metrics.test_nll(model, images, k=5, bound=lambda w: np.mean(w, axis=1)).nll > ours.nll  # the ELBO's


# --- the stubs in the notebooks, and the notebooks trained with the learner's code ----------------------------------

BUILDS = {"04_dcgan_mnist.ipynb": {"my_gan_update": build.check_gan_update, "my_fid": build.check_fid},
          "05_vae_mnist.ipynb": {"MySampling": build.check_sampling, "my_negative_elbo": build.check_negative_elbo,
                                 "my_iw_bound": build.check_iw_bound}}


def _stub_cell(notebook, name: str):
    pattern = re.compile(rf"^(def|class) {name}\b", re.M)
    return next(cell for cell in notebook.cells if cell.cell_type == "code" and pattern.search(cell.source))


@pytest.mark.parametrize("notebook_name, name", [(nb, name) for nb, names in BUILDS.items() for name in names])
def test_each_stub_says_it_is_not_yet_implemented_and_its_check_reports_it(notebook_name, name, capsys):
    notebook = nbformat.read(NOTEBOOKS / notebook_name, as_version=4)
    namespace = {}
    exec("import keras\nimport numpy as np\n" + _stub_cell(notebook, name).source, namespace)
    check = BUILDS[notebook_name][name]
    assert not check(namespace[name])
    out = capsys.readouterr().out
    assert "not attempted yet" in out and "not yet implemented" in out, out
    assert "\x1b" not in out and "Arguments received" not in out, f"only the stub's own message, please: {out}"


def _with_the_solutions_as_the_learners_code(notebook, names):
    """The notebook with ``MY_CODE = True`` and each build-it-yourself stub in ``names`` replaced by its solution,
    renamed (``<name>_solution`` -> ``<name>``), as a learner who solved them would have it."""
    solutions = {node.name: ast.unparse(node) for cell in notebook.cells
                 if cell.metadata.get("nbgrader", {}).get("solution")
                 for node in ast.parse(REGION.search(cell.source).group(1)).body
                 if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    for name in names:
        _stub_cell(notebook, name).source = re.sub(rf"\b{name}_solution\b", name, solutions[f"{name}_solution"])
    parameters = next(c for c in notebook.cells if "MY_CODE = False" in c.source)
    parameters.source = parameters.source.replace("MY_CODE = False", "MY_CODE = True")
    return notebook


REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


@pytest.mark.slow
@pytest.mark.parametrize("notebook_name", sorted(BUILDS))
def test_the_notebook_trains_end_to_end_with_the_learners_code(notebook_name, tmp_path, monkeypatch):
    """Fast mode, up to the cell that uses the last of the learner's answers, in a run cache of its own (with the
    MNIST file of the usual one): the learner's code trains a new run and is used where the course's was."""
    from nbclient import NotebookClient

    from course_utils import data

    (tmp_path / "mnist.npz").symlink_to(data.cache_path())
    monkeypatch.setenv("COURSE_FAST", "1")
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    notebook = _with_the_solutions_as_the_learners_code(nbformat.read(NOTEBOOKS / notebook_name, as_version=4),
                                                        BUILDS[notebook_name])
    last_use = max(i for i, c in enumerate(notebook.cells) if c.source.startswith("if MY_CODE:"))
    notebook.cells = notebook.cells[:last_use + 1]
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    printed = "\n".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "not attempted" not in printed and ": off" not in printed, printed[-3000:]
    assert printed.count(": correct") >= len(BUILDS[notebook_name]), printed[-3000:]
    assert "A new run" in printed, "the learner's code should train a run of its own"
    assert "your FID" in printed or "with your bound" in printed, printed[-3000:]
