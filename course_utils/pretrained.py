"""The course's pretrained DCGAN and VAE: made by ``make weights``, loaded by notebook 06.

``make weights`` (``python -m course_utils.pretrained``) trains each model for every seed in
``SEEDS`` with exactly the settings of notebooks 04 and 05 (``dcgan.make_gan`` and
``vae.make_vae`` defaults, with the batch sizes and epochs below), through the same resumable
``training.fit_or_load``; scores each run with ``course_utils.metrics``; and writes into
``course_utils/weights/``: each DCGAN's generator and each VAE's encoder and decoder (the averaged
weights, the ones that are sampled and evaluated), and ``pretrained.json`` with settings, training
time and scores.
Run again, it prints the new scores beside the shipped ones.

Notebook 06 uses a learner's own full-mode runs from notebooks 04/05 instead, when they exist.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import keras

from course_utils import comparison, config, data, dcgan, metrics, training, vae

SEEDS = (0, 1, 2)
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MANIFEST = WEIGHTS_DIR / "pretrained.json"
DCGAN_FIT = {"batch_size": 64, "epochs": 5}   # notebook 04
VAE_FIT = {"batch_size": 64, "epochs": 20}     # notebook 05
N_SCORE, K_NLL, N_NLL = 10000, 1000, 500       # samples scored; importance samples and test images for the NLL
OWN_RUNS = {"dcgan": "dcgan", "vae": "vae"}    # the run names notebooks 04 and 05 use (seed 0)


def manifest() -> dict:
    """The shipped runs' settings, training times and scores (``pretrained.json``)."""
    if not MANIFEST.exists():
        raise FileNotFoundError(f"{MANIFEST} is missing: run `make weights` (about an hour on 2 cores).")
    return json.loads(MANIFEST.read_text())


def _weights(model: str, seed: int, part: str) -> Path:
    return WEIGHTS_DIR / f"{model}-seed{seed}.{part}.weights.h5"


def _own_run(model: str, networks: dict[str, keras.Model]) -> Path | None:
    """A learner's finished full-mode run from notebook 04/05, if there is one with ``networks``' architecture.

    A run made with other widths (or by an older version of the course) cannot load into them: it is skipped.
    """
    folder = config.cache_dir() / "runs" / OWN_RUNS[model]
    if not all((folder / f"{part}.weights.h5").exists() for part in networks):
        return None
    saved = (training.saved_settings(folder) or {}).get("networks", {})
    if any(saved.get(part) != training.weight_shapes(network) for part, network in networks.items()):
        print(f"Your run in {folder} has another architecture than the course's (or no record of it): not used.")
        return None
    return folder


def _load_generator(path: Path) -> keras.Model:
    generator = dcgan.build_generator()
    generator.load_weights(path)
    return generator


def _load_vae(encoder_path: Path, decoder_path: Path) -> vae.VAE:
    """A VAE for evaluation only: the averaged weights go into its plain encoder and decoder."""
    model = vae.VAE(vae.build_encoder(), vae.build_decoder())
    model.encoder.load_weights(encoder_path)
    model.decoder.load_weights(decoder_path)
    return model


@dataclass
class Run:
    """A trained model ready to use: its label, the model, and the training time it took."""

    label: str
    model: keras.Model  # the DCGAN's generator, or the VAE
    train_seconds: float


def _shipped_seconds(model: str, seed: int) -> float:
    return manifest()["runs"][f"{model}-seed{seed}"]["train_seconds"]


def load_dcgans() -> list[Run]:
    """The DCGAN generators (z -> image in [-1, 1]) to compare; says which weights it used."""
    own = _own_run("dcgan", {"generator_ema": dcgan.build_generator()})
    if own is not None:
        print(f"DCGAN: your own run from notebook 04 ({own})")
        seconds = sum(training.read_history(own)["seconds"])
        return [Run("your run", _load_generator(own / "generator_ema.weights.h5"), seconds)]
    print(f"DCGAN: the course's pretrained weights, seeds {list(SEEDS)}")
    return [Run(f"seed {s}", _load_generator(_weights("dcgan", s, "generator")), _shipped_seconds("dcgan", s))
            for s in SEEDS]


def load_vaes() -> list[Run]:
    """The VAEs (``encode``/``decode``) to compare; says which weights it used."""
    own = _own_run("vae", {"encoder_ema": vae.build_encoder(), "decoder_ema": vae.build_decoder()})
    if own is not None:
        print(f"VAE: your own run from notebook 05 ({own})")
        seconds = sum(training.read_history(own)["seconds"])
        return [Run("your run", _load_vae(own / "encoder_ema.weights.h5", own / "decoder_ema.weights.h5"), seconds)]
    print(f"VAE: the course's pretrained weights, seeds {list(SEEDS)}")
    return [Run(f"seed {s}", _load_vae(_weights("vae", s, "encoder"), _weights("vae", s, "decoder")),
                _shipped_seconds("vae", s)) for s in SEEDS]


# --- make weights -----------------------------------------------------------------------


def _train_dcgan(seed: int, x_tanh) -> tuple[keras.Model, dict]:
    model = dcgan.make_gan(seed=seed)
    history, _ = training.fit_or_load(model, model.parts, f"dcgan-seed{seed}", x_tanh, **DCGAN_FIT)
    return model, history


def _train_vae(seed: int, x01, test_binary) -> tuple[vae.VAE, dict]:
    model = vae.make_vae(seed=seed)
    history, _ = training.fit_or_load(model, model.parts, f"vae-seed{seed}", x01,
                                      validation_data=test_binary, **VAE_FIT)
    return model, history


def _scores(model, samples01, test01, history) -> dict:
    scores = metrics.evaluate(samples01, test01)
    learning_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))  # the generator's, for a GAN
    return {"learning_rate": round(learning_rate, 8), "ema_decay": model.ema_decay, "xla": bool(model.jit_compile),
            "train_seconds": round(sum(history["seconds"]), 1),
            "fid": scores.fid, "kid": scores.kid,
            "precision": scores.precision, "recall": scores.recall, "classes_present": scores.classes_present}


def _score_dcgan(seed: int, x_tanh, test01, save: bool) -> dict:
    model, history = _train_dcgan(seed, x_tanh)
    samples, _ = comparison.sample(comparison.gan_decoder(model.sampler), model.latent_dim, N_SCORE, seed=seed)
    if save:
        model.sampler.save_weights(_weights("dcgan", seed, "generator"))
    return {"model": "dcgan", "seed": seed, **DCGAN_FIT, "r1_weight": model.r1_weight,
            **_scores(model, samples, test01, history)}


def _score_vae(seed: int, x01, test01, test_binary, save: bool) -> dict:
    model, history = _train_vae(seed, x01, test_binary)
    means, _ = comparison.sample(comparison.vae_decoder(model), model.decoder.input_shape[-1], N_SCORE, seed=seed)
    elbo = model.evaluate(test_binary, batch_size=1000, verbose=0, return_dict=True)["elbo"]
    nll = -metrics.iw_log_likelihood(model.encode, model.decode, test_binary[:N_NLL], k=K_NLL).mean()
    if save:
        encoder, decoder = model.eval_networks
        encoder.save_weights(_weights("vae", seed, "encoder"))
        decoder.save_weights(_weights("vae", seed, "decoder"))
    return {"model": "vae", "seed": seed, **VAE_FIT, **_scores(model, means, test01, history),
            "test_elbo": elbo, "nll": float(nll), "nll_k": K_NLL, "nll_images": N_NLL}


def make_weights(models=("dcgan", "vae"), seeds=SEEDS, save: bool = True) -> dict[str, dict]:
    """Train, score and (with ``save``) ship the runs of ``models`` and ``seeds``; returns run name -> entry."""
    mnist = data.load_mnist()
    x01, test01 = data.to_unit(mnist.x_train), data.to_unit(mnist.x_test)
    test_binary = data.binarize(test01, seed=0)
    runs = {}
    for seed in seeds:
        if "dcgan" in models:
            runs[f"dcgan-seed{seed}"] = _score_dcgan(seed, data.to_tanh(mnist.x_train), test01, save)
        if "vae" in models:
            runs[f"vae-seed{seed}"] = _score_vae(seed, x01, test01, test_binary, save)
        print(f"seed {seed}:", {name: round(run["fid"], 2) for name, run in runs.items()}, flush=True)
    return runs


def compare(old: dict, new: dict) -> str:
    """The new runs' scores beside the previously shipped ones, one line per run."""
    lines = [f"{'run':<14} {'FID before':>10} {'FID now':>8} {'NLL before':>10} {'NLL now':>8}"]
    for name, run in new.items():
        before = old.get("runs", {}).get(name, {})
        lines.append(f"{name:<14} {before.get('fid', float('nan')):>10.2f} {run['fid']:>8.2f} "
                     f"{before.get('nll', float('nan')):>10.2f} {run.get('nll', float('nan')):>8.2f}")
    return "\n".join(lines)


def main(argv=None) -> None:
    """``make weights``; with ``--check``, retrain and compare with the shipped scores without replacing them."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.pretrained", description=main.__doc__)
    parser.add_argument("models", nargs="*", help="dcgan and/or vae (default: both)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--check", action="store_true",
                        help="train into the cache (COURSE_CACHE=an empty folder for a fresh run) and only compare")
    args = parser.parse_args(argv)
    if config.FAST:
        raise SystemExit("`make weights` trains the shipped models: unset COURSE_FAST.")
    previous = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {"runs": {}}
    models = tuple(args.models) or ("dcgan", "vae")
    if not set(models) <= {"dcgan", "vae"}:
        parser.error(f"models must be dcgan and/or vae, got {' '.join(models)}")
    new_runs = make_weights(models, args.seeds, save=not args.check)
    print(compare(previous, new_runs))
    if not args.check:
        MANIFEST.write_text(json.dumps({
            "scored_samples": N_SCORE, "reference": "MNIST test set (10,000 images)",
            "runs": {**previous["runs"], **new_runs}}, indent=1, sort_keys=True) + "\n")
        print(f"updated {MANIFEST} and the weights in {WEIGHTS_DIR}")


if __name__ == "__main__":
    main()
