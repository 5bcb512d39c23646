"""``make weights``: retrain the shipped DCGAN and VAE runs of notebook 06, score them, ship them.

Trains each model for every seed in ``compare.SEEDS`` with exactly the settings of notebooks 04 and
05 (``gan.make_gan`` / ``vae.make_vae`` defaults with their ``BATCH_SIZE`` and ``EPOCHS``), through the
same resumable ``training.fit_or_load``; scores each run with ``course_utils.metrics``; and writes into
``course_utils/weights/``: each DCGAN's generator and each VAE's encoder and decoder (the averaged
weights, the ones that are sampled and evaluated), and ``pretrained.json`` with settings, training
time and scores.  Run again, it prints the new scores beside the shipped ones; with ``--check`` it
only compares (``make weights-check``).
"""

from __future__ import annotations

import argparse
import json

import keras

import course_utils
from course_utils import compare, config, data, gan, metrics, training, vae

N_SCORE, K_NLL, N_NLL = 10000, 1000, 500  # samples scored; importance samples and test images for the NLL


def _train_dcgan(seed: int, x_tanh) -> tuple[gan.GAN, dict]:
    model = gan.make_gan(seed=seed)
    history, _ = training.fit_or_load(model, f"dcgan-seed{seed}", x_tanh, epochs=gan.EPOCHS,
                                      batch_size=gan.BATCH_SIZE)
    return model, history


def _train_vae(seed: int, x01, test_binary) -> tuple[vae.VAE, dict]:
    model = vae.make_vae(seed=seed)
    history, _ = training.fit_or_load(model, f"vae-seed{seed}", x01, validation_data=test_binary,
                                      epochs=vae.EPOCHS, batch_size=vae.BATCH_SIZE)
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
    samples, _ = compare.sample(model.sample01, model.latent_dim, N_SCORE, seed=seed)
    if save:
        model.sampler.save_weights(compare.shipped_weights("dcgan", seed, "generator"))
    return {"model": "dcgan", "seed": seed, "batch_size": gan.BATCH_SIZE, "epochs": gan.EPOCHS,
            "r1_weight": model.r1_weight,
            **_scores(model, samples, test01, history)}


def _score_vae(seed: int, x01, test01, test_binary, save: bool) -> dict:
    model, history = _train_vae(seed, x01, test_binary)
    means, _ = compare.sample(model.decode_means, model.decoder.input_shape[-1], N_SCORE, seed=seed)
    elbo = model.evaluate(test_binary, batch_size=1000, verbose=0, return_dict=True)["elbo"]
    nll = -metrics.iw_log_likelihood(model.encode, model.decode, test_binary[:N_NLL], k=K_NLL).mean()
    if save:
        encoder, decoder = model.eval_networks
        encoder.save_weights(compare.shipped_weights("vae", seed, "encoder"))
        decoder.save_weights(compare.shipped_weights("vae", seed, "decoder"))
    return {"model": "vae", "seed": seed, "batch_size": vae.BATCH_SIZE, "epochs": vae.EPOCHS,
            **_scores(model, means, test01, history),
            "test_elbo": elbo, "nll": float(nll), "nll_k": K_NLL, "nll_images": N_NLL}


def make_weights(models=("dcgan", "vae"), seeds=compare.SEEDS, save: bool = True) -> dict[str, dict]:
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


def side_by_side(old: dict, new: dict) -> str:
    """The new runs' scores beside the previously shipped ones, one line per run."""
    lines = [f"{'run':<14} {'FID before':>10} {'FID now':>8} {'NLL before':>10} {'NLL now':>8}"]
    for name, run in new.items():
        before = old.get("runs", {}).get(name, {})
        lines.append(f"{name:<14} {before.get('fid', float('nan')):>10.2f} {run['fid']:>8.2f} "
                     f"{before.get('nll', float('nan')):>10.2f} {run.get('nll', float('nan')):>8.2f}")
    return "\n".join(lines)


def main(argv=None) -> None:
    """``make weights``; with ``--check``, retrain and compare with the shipped scores without replacing them."""
    parser = argparse.ArgumentParser(prog="python tools/train_weights.py", description=main.__doc__)
    parser.add_argument("models", nargs="*", help="dcgan and/or vae (default: both)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(compare.SEEDS))
    parser.add_argument("--check", action="store_true",
                        help="train into the cache (COURSE_CACHE=an empty folder for a fresh run) and only compare")
    args = parser.parse_args(argv)
    course_utils.start()
    if config.FAST:
        raise SystemExit("`make weights` trains the shipped models: unset COURSE_FAST.")
    previous = json.loads(compare.MANIFEST.read_text()) if compare.MANIFEST.exists() else {"runs": {}}
    models = tuple(args.models) or ("dcgan", "vae")
    if not set(models) <= {"dcgan", "vae"}:
        parser.error(f"models must be dcgan and/or vae, got {' '.join(models)}")
    new_runs = make_weights(models, args.seeds, save=not args.check)
    print(side_by_side(previous, new_runs))
    if not args.check:
        compare.MANIFEST.write_text(json.dumps({
            "scored_samples": N_SCORE, "reference": "MNIST test set (10,000 images)",
            "runs": {**previous["runs"], **new_runs}}, indent=1, sort_keys=True) + "\n")
        print(f"updated {compare.MANIFEST} and the weights in {compare.WEIGHTS_DIR}")


if __name__ == "__main__":
    main()
