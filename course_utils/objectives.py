"""Notebook 08's measurements: the results file of ``benchmarks/bench_objectives.py``, its tables and curves.

The benchmark trains each GAN objective of ``gan.OBJECTIVES`` and each VAE variant of ``VAE_VARIANTS`` for the
same CPU budget and writes every finished run to a JSON file, keyed by what was run (``gan_key``,
``vae_key``), as soon as it ends; a rerun skips what is there, so an interrupted benchmark resumes.  The
course ships the file it measured (``RESULTS``); notebook 08 reads it, so its tables and curves are those
numbers, not a retelling of them.  ``make bench`` refreshes a copy under ``test-output/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import keras
import numpy as np

from course_utils import compare, config, gan, training, vae

RESULTS = Path(__file__).resolve().parent / "weights" / "objectives.json"
VAE_VARIANTS = {  # name -> make_vae options
    "course VAE": {},
    "IWAE k=5": {"iw_samples": 5},
    "IWAE k=50": {"iw_samples": 50},
    "mixture prior (20)": {"prior_components": 20},
}
NLL_TARGET = 82.0
LITERATURE = [  # (nats, model, what differs from our protocol)
    (86.76, "VAE, 2 stochastic layers (Burda et al. 2016)", "MLPs, 3,280 passes over the data, K = 5,000"),
    (82.90, "IWAE k=50, 2 stochastic layers (Burda et al. 2016)", "MLPs, 3,280 passes over the data, K = 5,000"),
    (81.0, "ResNet conv VAE, ≈ (Kingma et al. 2016)", "deep ResNets, a GPU and hours of training"),
    (81.09, "convHVAE + VampPrior (Tomczak & Welling 2018)", "2 stochastic layers, gated convolutions, KL warm-up, "
     "K = 5,000, a GPU and hundreds of epochs"),
]


FLOOR_KEY = "floor/fid-of-5000-training-images"  # the FID a perfect generator's 5,000 samples would score


def gan_key(objective: str, seed: int, minutes: float) -> str:
    return f"gan/{objective}/seed{seed}/{minutes:g}min"


def vae_key(name: str, seed: int, minutes: float, k: int) -> str:
    return f"vae/{name}/seed{seed}/{minutes:g}min/K{k}"


def train_gan_for(model: gan.GAN, x, marks, evaluate) -> list[dict]:
    """Train ``model`` on ``x`` until the last of ``marks`` (seconds of training, evaluation excluded), calling
    ``evaluate()`` (a dict) at each mark.  One row per mark: the seconds, images and generator updates so far, the
    evaluation, and the latest training logs (the epoch's running means, e.g. ``wasserstein``).  Each ``fit`` batch
    holds ``critic_steps`` discriminator batches of ``gan.BATCH_SIZE``, so the rows count real images seen."""
    latest = {}
    keeper = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: latest.update(logs or {}))
    batch_size = gan.BATCH_SIZE * model.critic_steps
    budget = training.TimeBudget(marks, lambda: {**evaluate(), **{n: float(v) for n, v in latest.items()}}, batch_size)
    model.fit(x, batch_size=batch_size, epochs=10000, verbose=0, callbacks=[keeper, budget], shuffle=True)
    return [{"seconds": seconds, "images": images, "generator_updates": images // batch_size, **row}
            for seconds, images, row in budget.results]


def vae_weights(name: str, part: str, results: Path = RESULTS) -> Path:
    """Where the benchmark keeps the evaluated (averaged) ``part`` (encoder, decoder or prior) of the VAE variant
    ``name``: beside its results file, so the shipped file's runs ship with their weights."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return Path(results).parent / f"objectives-{slug}-seed0.{part}.weights.h5"


def vae_parts(model: vae.VAE) -> dict:
    """The networks that are evaluated and sampled, by part name: the averaged encoder and decoder, and the
    learned prior if the VAE has one."""
    encoder, decoder = model.eval_networks
    parts = {"encoder": encoder, "decoder": decoder, "prior": model.eval_prior}
    return {part: network for part, network in parts.items() if network is not None}


def save_vae(model: vae.VAE, name: str, results: Path) -> dict[str, str]:
    """Write the evaluated networks of the VAE variant ``name`` beside ``results``; returns each file's SHA-256 by
    file name, which the benchmark records with the run (as ``make weights`` does in ``pretrained.json``)."""
    checksums = {}
    for part, network in vae_parts(model).items():
        path = vae_weights(name, part, results)
        config.write_atomically(path, network.save_weights)
        checksums[path.name] = compare.sha256(path)
    return checksums


def load_vae(name: str, results: Path = RESULTS) -> vae.VAE:
    """The benchmark's trained VAE variant ``name`` (a key of ``VAE_VARIANTS``), its evaluated networks loaded."""
    if name not in VAE_VARIANTS:
        raise ValueError(f"no VAE variant {name!r}; the benchmark trains {list(VAE_VARIANTS)}")
    model = vae.make_vae(seed=0, **VAE_VARIANTS[name])
    for part, network in vae_parts(model).items():
        path = vae_weights(name, part, results)
        if not path.exists():
            raise FileNotFoundError(f"{path.name} is missing: run `python benchmarks/bench_objectives.py --part vae "
                                    f"--results {results}` (about half an hour per variant) to train and save it")
        network.load_weights(path)
    return model


def load_results(path: Path = RESULTS) -> dict:
    """The finished runs in ``path`` (empty if there is no such file yet)."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else {}


def save_result(path: Path, results: dict, key: str, value: dict) -> None:
    """Add one finished run to ``results`` and write them all to ``path`` (atomically: a kill leaves the old file)."""
    results[key] = value
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config.write_atomically(path, lambda tmp: tmp.write_text(json.dumps(results, indent=1)))


def gan_runs(results: dict, minutes: float = 5) -> list[dict]:
    """The finished GAN runs of ``minutes`` each, in the benchmark's order (objective, then seed)."""
    return [run for key, run in results.items() if key.startswith("gan/") and key.endswith(f"/{minutes:g}min")]


def vae_runs(results: dict, minutes: float = 15, k: int = 1000) -> list[dict]:
    """The finished VAE runs of ``minutes`` each, scored with ``k`` importance samples, in ``VAE_VARIANTS`` order."""
    return [results[key] for name in VAE_VARIANTS if (key := vae_key(name, 0, minutes, k)) in results]


def by_objective(runs: list[dict]) -> dict[str, list[dict]]:
    """GAN runs grouped by objective, in the order first seen."""
    groups = {}
    for run in runs:
        groups.setdefault(run["objective"], []).append(run)
    return groups


def fid_curves(runs: list[dict]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per objective: (minutes, mean FID, sd of FID over seeds) at the time marks its runs share."""
    curves = {}
    for objective, group in by_objective(runs).items():
        marks = [[row["seconds"] for row in run["marks"]] for run in group]
        if any(m != marks[0] for m in marks):
            raise ValueError(f"the {objective} runs were scored at different times: rerun them with one budget")
        fids = np.array([[row["fid"] for row in run["marks"]] for run in group])
        spread = fids.std(axis=0, ddof=1) if len(group) > 1 else np.zeros(fids.shape[1])
        curves[objective] = (np.array(marks[0]) / 60, fids.mean(axis=0), spread)
    return curves


def gan_table(runs: list[dict], floor: float, default: str = "cross-entropy") -> str:
    """FID (mean ± sd over seeds) at every time mark, throughput and the critic's diagnostics, per objective;
    and whether some objective is at least as good as ``default`` at every mark."""
    curves = fid_curves(runs)
    minutes = next(iter(curves.values()))[0]
    lines = [f"MNIST-FID (5,000 samples vs the test set; floor {floor:.2f}), mean ± sd over seeds, by training minute:",
             f"{'objective':<18}" + "".join(f"{m:>15.0f}" for m in minutes)
             + f"{'img/s':>9}{'G upd/s':>9}{'critic |grad|':>15}{'W estimate':>12}"]
    for objective, group in by_objective(runs).items():
        _, mean, spread = curves[objective]
        last = [run["marks"][-1] for run in group]
        cells = "".join(f"{m:>8.2f} ± {s:<4.2f}" for m, s in zip(mean, spread))
        rate = np.mean([row["images"] / row["seconds"] for row in last])
        updates = np.mean([row["generator_updates"] / row["seconds"] for row in last])
        grad = np.mean([row["critic_gradient_norm"] for row in last])
        wasserstein = np.mean([row.get("wasserstein", np.nan) for row in last])
        estimate = "—" if np.isnan(wasserstein) else f"{wasserstein:.2f}"  # only a critic's scores estimate W1
        lines.append(f"{objective + f' ({len(group)})':<18}{cells}{rate:>9.0f}{updates:>9.1f}{grad:>15.2f}"
                     f"{estimate:>12}")
    if default in curves:
        winners = [name for name, (_, mean, _) in curves.items()
                   if name != default and np.all(mean <= curves[default][1])]
        lines.append(f"target (an objective at least as good as {default} at every mark, mean over seeds): "
                     + (f"met by {', '.join(winners)}" if winners else "NOT met: none is at every mark"))
    return "\n".join(lines)


def vae_table(runs: list[dict]) -> str:
    """The VAE variants side by side, the published ladder with what differs, and the NLL target."""
    lines = [f"{'VAE':<20}{'NLL':>16}{'test ELBO':>11}{'KL':>7}{'active':>8}{'FID':>7}{'epochs':>8}"
             f"{'img/s':>7}{'min':>6}"]
    for run in runs:
        lines.append(f"{run['name']:<20}{run['nll']:>9.2f} ± {run['nll_stderr']:.2f}{run['test_elbo']:>11.2f}"
                     f"{run['test_kl']:>7.1f}{run['active_units']:>8}{run['fid']:>7.2f}{run['epochs']:>8.1f}"
                     f"{run['images_per_second']:>7.0f}{run['minutes']:>6.0f}")
    k, images = runs[0]["nll_k"], runs[0]["nll_images"]
    lines.append(f"NLL: importance-weighted, K = {k:,}, on {images:,} test images binarized once (seed 0), ± its "
                 "standard error; in nats.")
    lines.append("published, each under its own protocol (the whole test set; dynamically binarized MNIST):")
    lines += [f"  {nats:6.2f}  {model}: {differs}" for nats, model, differs in LITERATURE]
    best = min(runs, key=lambda run: run["nll"])
    lines.append(f"target (test NLL <= {NLL_TARGET:g} nats within the budget): "
                 f"{'met' if best['nll'] <= NLL_TARGET else 'MISSED'}; best: {best['name']} at "
                 f"{best['nll']:.2f} ± {best['nll_stderr']:.2f} after {best['minutes']:.0f} min")
    return "\n".join(lines)


def plot_fid_against_time(runs: list[dict], floor: float | None = None, ax=None):
    """FID against training minutes, one line per objective (the mean over seeds, a dot at every mark) in a band
    of ± one sd over seeds; the real-data floor as a dashed line.  Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        ax = plt.subplots(figsize=(6, 3.6))[1]
    for index, (objective, (minutes, mean, spread)) in enumerate(fid_curves(runs).items()):
        seeds = len(by_objective(runs)[objective])
        ax.plot(minutes, mean, marker="o", color=f"C{index}", label=f"{objective} ({seeds} seed{'s' * (seeds > 1)})")
        ax.fill_between(minutes, mean - spread, mean + spread, color=f"C{index}", alpha=0.2)
    if floor is not None:
        ax.axhline(floor, color="grey", linestyle="--", label="real digits (floor)")
    ax.set(xlabel="training minutes (2-core CPU, evaluation excluded)", ylabel="MNIST-FID (lower is better)",
           yscale="log")
    ax.legend()
    return ax


def plot_fid_against_updates(runs: list[dict], ax=None):
    """The same runs on the other clock: FID against the generator updates made by each mark, one line per run,
    coloured by objective as in ``plot_fid_against_time``.  Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        ax = plt.subplots(figsize=(6, 3.6))[1]
    for index, (objective, group) in enumerate(by_objective(runs).items()):
        for number, run in enumerate(group):
            ax.plot([row["generator_updates"] for row in run["marks"]], [row["fid"] for row in run["marks"]],
                    marker=".", color=f"C{index}", label=objective if number == 0 else None)
    ax.set(xlabel="generator updates", ylabel="MNIST-FID (lower is better)", yscale="log")
    ax.legend()
    return ax
