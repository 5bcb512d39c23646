"""Colab, simulated: the setup cell's plan, checked without touching the network."""

import sys
import types
from pathlib import Path

import badges
import nbformat
import pytest
import tensorflow as tf
from IPython.core.inputtransformer2 import TransformerManager

from course_utils import colab

# the checkout's notebooks (``make test-colab`` runs this file against the *installed* package)
NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.ipynb"))
COLAB_2026 = {"tensorflow": "2.20.0", "keras": "3.13.1", "numpy": "2.1.3", "matplotlib": "3.10.1",
              "ipywidgets": "7.7.1", "pillow": "11.3.0"}


class FakeIPython:
    """Records the magics a cell runs instead of running them."""

    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line, _stack_depth=1):
        self.magics.append((name, line))


def run_setup_cell(path, monkeypatch, on_colab):
    """Execute the notebook's setup cell as IPython would, with pip and colab.setup() recorded."""
    source = nbformat.read(path, as_version=4).cells[1].source
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    setups = []
    monkeypatch.setattr(colab, "setup", lambda **kwargs: setups.append(kwargs))
    ipython = FakeIPython()
    exec(TransformerManager().transform_cell(source), {"get_ipython": lambda: ipython})
    return ipython.magics, setups


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_on_colab_installs_only_the_pinned_course(path, monkeypatch):
    magics, setups = run_setup_cell(path, monkeypatch, on_colab=True)
    assert magics == [("pip", f'install --quiet --no-deps "{colab.colab_pip_spec()}"')], \
        "the setup cell is stale: run `make badges`"
    assert not any(name in line for _, line in magics for name in colab.KEPT_AS_IS), "never reinstall Colab's stack"
    assert setups == [{"cpu_minutes": colab.CPU_MINUTES.get(path.name)}]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_does_nothing_outside_colab(path, monkeypatch):
    assert run_setup_cell(path, monkeypatch, on_colab=False) == ([], [])


def test_badges_and_setup_cells_are_current():
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        assert not badges.notebook_with_badges(notebook, path.name), f"{path.name}: run `make badges`"


def test_badges_and_the_colab_install_point_at_this_release():
    """The links a learner clicks, spelled out, and the installed package's own version: a stale wheel
    (installed from another release) or a mangled URL fails here."""
    import importlib.metadata

    import course_utils

    tag = f"v{course_utils.__version__}"
    assert colab.colab_url("04_dcgan_mnist.ipynb") == (
        f"https://colab.research.google.com/github/gans-vs-vaes/course/blob/{tag}/notebooks/04_dcgan_mnist.ipynb")
    assert colab.colab_pip_spec() == f"git+https://github.com/gans-vs-vaes/course@{tag}"
    assert importlib.metadata.version(colab.DISTRIBUTION) == course_utils.__version__


def test_plan_on_colab_installs_nothing_and_keeps_its_stack():
    requirements = colab.runtime_requirements()
    assert {colab.requirement_name(r) for r in requirements} == set(COLAB_2026)
    assert colab.install_plan(requirements, COLAB_2026) == []
    colab.check_runtime(COLAB_2026)  # Colab's versions are supported


def test_plan_installs_only_what_is_missing():
    requirements = ["tensorflow>=2.16", "keras>=3.0", "ipywidgets>=7.6,<9"]
    plan = colab.install_plan(requirements, {"tensorflow": "2.20.0", "keras": "3.13.1", "ipywidgets": None})
    assert plan == ["ipywidgets>=7.6,<9"]
    # an installed package is never upgraded, even when a newer one would satisfy the bound
    assert colab.install_plan(requirements, {"tensorflow": "2.16.1", "keras": "3.0.0", "ipywidgets": "7.6.0"}) == []


def test_requirement_names():
    assert [colab.requirement_name(r) for r in ("ipywidgets>=7.6,<9", "numpy", "Keras ~= 3.0", "x[extra]>1")] == \
        ["ipywidgets", "numpy", "keras", "x"]


@pytest.mark.parametrize("too_old", ["2.15.0", "3.0.5", "3.1.1", "3.4.1"])
def test_a_runtime_with_too_old_a_keras_gets_a_clear_error(too_old):
    with pytest.raises(RuntimeError, match=f"needs Keras 3.5 or newer.*has Keras {too_old}.*Change runtime type"):
        colab.check_runtime({**COLAB_2026, "keras": too_old})
    colab.check_runtime({**COLAB_2026, "keras": "3.5.0"})  # the oldest that works


def test_setup_fetches_mnist_and_recommends_a_gpu(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(colab, "installed_versions", lambda names: {n: COLAB_2026.get(n, "1.0") for n in names})
    monkeypatch.setattr(colab, "_pip_install", lambda reqs: calls.append(("pip", reqs)))
    monkeypatch.setattr(colab.data, "load_mnist", lambda: calls.append("mnist"))
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind: [])  # a CPU runtime
    colab.setup(cpu_minutes=12)
    assert calls == ["mnist"], "nothing to install on Colab; MNIST fetched"
    assert "about 12 minutes" in capsys.readouterr().out
