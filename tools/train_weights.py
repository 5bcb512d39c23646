"""``make weights``: retrain the shipped DCGAN and VAE runs of notebook 06 and the VAE explainer's 2-D VAEs, score
them, ship them.

Trains each model for every seed in ``compare.SEEDS`` with exactly the settings of notebooks 04 and
05 (``gan.make_gan`` / ``vae.make_vae`` defaults with their ``BATCH_SIZE`` and ``EPOCHS``), through the
same resumable ``training.fit_or_load``; scores each run with ``course_utils.metrics``; and writes into
``course_utils/weights/``: each DCGAN's generator and each VAE's encoder and decoder (the averaged
weights, the ones that are sampled and evaluated), and ``pretrained.json`` with settings, training
time and scores.  The explainer's 2-D VAEs (``vae.make_map_vae``, one per β in ``vae.MAP_BETAS``, seed 0) ship
their encoder and decoder with their test ELBO.  Run again, it prints the new scores beside the shipped ones; with
``--check`` it only compares (``make weights-check``).
"""

from __future__ import annotations

import course_utils

course_utils.start()  # before anything imports TensorFlow, so its start-up noise is filtered

import argparse
import json

import keras

from course_utils import compare, config, data, gan, metrics, training, vae

N_SCORE, K_NLL = 10000, 1000  # samples scored; importance samples per test image for the NLL (all 10,000 images)


def train(kind: str, seed: int, mnist: data.Mnist, test_binary) -> tuple[keras.Model, dict]:
    """Train (or load the finished run from the cache) the course model ``kind`` for ``seed``."""
    if kind == "dcgan":
        model = gan.make_gan(seed=seed)
        history, _ = training.fit_or_load(model, f"dcgan-seed{seed}", data.to_tanh(mnist.x_train),
                                          epochs=gan.EPOCHS, batch_size=gan.BATCH_SIZE)
    else:
        model = vae.make_vae(seed=seed)
        history, _ = training.fit_or_load(model, f"vae-seed{seed}", data.to_unit(mnist.x_train),
                                          validation_data=test_binary, epochs=vae.EPOCHS, batch_size=vae.BATCH_SIZE)
    return model, history


def shipped(kind: str, seed: int) -> keras.Model:
    """The course model ``kind`` for ``seed`` with the shipped (averaged) weights in its evaluated networks."""
    if kind == "dcgan":
        model = gan.make_gan(seed=seed)
        model.sampler.load_weights(compare.checked_weights("dcgan", seed, "generator"))
    else:
        model = vae.make_vae(seed=seed)
        for network, part in zip(model.eval_networks, ("encoder", "decoder")):
            network.load_weights(compare.checked_weights("vae", seed, part))
    return model


def ship(kind: str, seed: int, model: keras.Model) -> None:
    """Write the weights that notebook 06 loads: the averaged generator, or the averaged encoder and decoder."""
    if kind == "dcgan":
        config.write_atomically(compare.shipped_weights("dcgan", seed, "generator"), model.sampler.save_weights)
    else:
        for network, part in zip(model.eval_networks, ("encoder", "decoder")):
            config.write_atomically(compare.shipped_weights("vae", seed, part), network.save_weights)


def score(kind: str, seed: int, model: keras.Model, test01, test_binary) -> dict:
    """The run's settings and scores: sample metrics on ``N_SCORE`` samples, and for the VAE the test ELBO and
    the importance-weighted NLL on the whole binarized test set (``K_NLL`` samples per image)."""
    decode = model.sample01 if kind == "dcgan" else model.decode_means
    latent_dim = model.latent_dim if kind == "dcgan" else model.decoder.input_shape[-1]
    samples, _ = compare.sample(decode, latent_dim, N_SCORE, seed=seed)
    scores = metrics.evaluate(samples, test01)
    module = gan if kind == "dcgan" else vae
    learning_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))  # the generator's, for a GAN
    entry = {"model": kind, "seed": seed, "batch_size": module.BATCH_SIZE, "epochs": module.EPOCHS,
             "learning_rate": round(learning_rate, 8), "ema_decay": model.ema_decay, "xla": bool(model.jit_compile),
             "fid": scores.fid, "kid": scores.kid, "precision": scores.precision, "recall": scores.recall,
             "classes_present": scores.classes_present}
    if kind == "dcgan":
        return {**entry, "r1_weight": model.r1_weight}
    elbo = model.evaluate(test_binary, batch_size=1000, verbose=0, return_dict=True)["elbo"]
    nll = metrics.test_nll(model, test_binary, k=K_NLL, seed=seed, progress=True)
    print(f"vae-seed{seed}: test NLL {nll}", flush=True)
    return {**entry, "test_elbo": elbo, "nll": nll.nll, "nll_stderr": nll.stderr, "nll_k": nll.k,
            "nll_images": nll.images}


def make_weights(models=("dcgan", "vae"), seeds=compare.SEEDS, save: bool = True, previous: dict | None = None,
                 score_only: bool = False) -> dict[str, dict]:
    """Train, score and (with ``save``) ship the runs of ``models`` and ``seeds``; returns run name -> entry.

    With ``score_only``, nothing is trained: the shipped weights are scored again (after a change in how
    the course measures), keeping the training times recorded in ``previous``.
    """
    mnist = data.load_mnist()
    test01 = data.to_unit(mnist.x_test)
    test_binary = data.binarize(test01, seed=0)
    runs = {}
    for seed in seeds:
        for kind in models:
            name = f"{kind}-seed{seed}"
            if score_only:
                model, seconds = shipped(kind, seed), previous["runs"][name]["train_seconds"]
            else:
                model, history = train(kind, seed, mnist, test_binary)
                seconds = round(sum(history["seconds"]), 1)
                if save:
                    ship(kind, seed, model)
            runs[name] = {**score(kind, seed, model, test01, test_binary), "train_seconds": seconds}
        print(f"seed {seed}:", {name: round(run["fid"], 2) for name, run in runs.items()}, flush=True)
    return runs


def make_map_weights(save: bool = True, score_only: bool = False, previous: dict | None = None) -> dict[str, dict]:
    """Train (or with ``score_only`` load), score and ship the explainer's 2-D VAEs, one per β of ``MAP_BETAS``."""
    mnist = data.load_mnist()
    test_binary = data.binarize(data.to_unit(mnist.x_test), seed=0)
    shipped_models = compare.shipped_map_vaes() if score_only else {}
    runs = {}
    for beta in vae.MAP_BETAS:
        name = compare.map_vae_name(beta)
        if score_only:
            model, seconds = shipped_models[beta], previous["runs"][name]["train_seconds"]
        else:
            model = vae.make_map_vae(beta)
            history, _ = training.fit_or_load(model, name, data.to_unit(mnist.x_train), validation_data=test_binary,
                                              epochs=vae.MAP_EPOCHS, batch_size=vae.MAP_BATCH_SIZE)
            seconds = round(sum(history["seconds"]), 1)
            if save:
                for network, part in ((model.encoder, "encoder"), (model.decoder, "decoder")):
                    config.write_atomically(compare.shipped_weights(name, 0, part), network.save_weights)
        logs = model.evaluate(test_binary, batch_size=1000, verbose=0, return_dict=True)
        runs[name] = {"model": "map-vae", "beta": beta, "seed": 0, "epochs": vae.MAP_EPOCHS,
                      "batch_size": vae.MAP_BATCH_SIZE, "test_elbo": logs["elbo"], "test_kl": logs["kl"],
                      "test_reconstruction": logs["reconstruction"], "train_seconds": seconds}
        print(f"{name}: test ELBO {logs['elbo']:.2f}, KL {logs['kl']:.2f} nats", flush=True)
    return runs


def side_by_side(old: dict, new: dict) -> str:
    """The new runs' scores beside the previously shipped ones, one line per run."""
    lines = [f"{'run':<14} {'FID before':>10} {'FID now':>8} {'NLL before':>10} {'NLL now':>8}"]
    for name, run in new.items():
        if "fid" not in run:  # the explainer's 2-D VAEs: their ELBO was printed as each was scored
            continue
        before = old.get("runs", {}).get(name, {})
        lines.append(f"{name:<14} {before.get('fid', float('nan')):>10.2f} {run.get('fid', float('nan')):>8.2f} "
                     f"{before.get('nll', float('nan')):>10.2f} {run.get('nll', float('nan')):>8.2f}")
    return "\n".join(lines)


def main(argv=None) -> None:
    """``make weights``; with ``--check``, retrain and compare with the shipped scores without replacing them;
    with ``--score-only``, score the shipped weights again without training."""
    parser = argparse.ArgumentParser(prog="python tools/train_weights.py", description=main.__doc__)
    parser.add_argument("models", nargs="*", help="dcgan, vae and/or map-vae (default: all three)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(compare.SEEDS))
    parser.add_argument("--check", action="store_true",
                        help="train into the cache (COURSE_CACHE=an empty folder for a fresh run) and only compare")
    parser.add_argument("--score-only", action="store_true",
                        help="train nothing: score the shipped weights again and update pretrained.json")
    args = parser.parse_args(argv)
    if config.FAST:
        raise SystemExit("`make weights` trains the shipped models: unset COURSE_FAST.")
    previous = json.loads(compare.MANIFEST.read_text()) if compare.MANIFEST.exists() else {"runs": {}}
    models = tuple(args.models) or ("dcgan", "vae", "map-vae")
    if not set(models) <= {"dcgan", "vae", "map-vae"}:
        parser.error(f"models must be dcgan, vae and/or map-vae, got {' '.join(models)}")
    networks = tuple(m for m in models if m != "map-vae")
    new_runs = make_weights(networks, args.seeds, save=not args.check, previous=previous,
                            score_only=args.score_only) if networks else {}
    if "map-vae" in models:
        new_runs |= make_map_weights(save=not args.check, score_only=args.score_only, previous=previous)
    print(side_by_side(previous, new_runs))
    if not args.check:
        compare.MANIFEST.write_text(json.dumps({
            "scored_samples": N_SCORE, "reference": "MNIST test set (10,000 images)",
            "nll_protocol": f"importance-weighted, K = {K_NLL}, all 10,000 test images binarized once (seed 0)",
            "runs": {**previous["runs"], **new_runs},
            "sha256": {p.name: compare.sha256(p) for p in sorted(compare.WEIGHTS_DIR.glob("*-seed*.weights.h5"))},
        }, indent=1, sort_keys=True) + "\n")
        print(f"updated {compare.MANIFEST}" + ("" if args.score_only else f" and the weights in {compare.WEIGHTS_DIR}"))


if __name__ == "__main__":
    main()
