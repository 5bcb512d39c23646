"""Benchmark for notebook 08: the better objectives against the course defaults, same data, seeds and CPU budget.

GAN: ``gan.make_gan(objective=...)`` for each objective of ``gan.OBJECTIVES`` (the course's cross-entropy with R1,
WGAN-GP, hinge with spectral normalization), the same generator, seeds 0-2, each for the same training time
(evaluation excluded).  At every minute: MNIST-FID of 5,000 samples of the averaged generator against the test set,
and the critic's steepness between data and samples (``gan.critic_gradient_norms`` on 256 pairs).  Each
``fit`` batch holds ``critic_steps`` discriminator batches of ``gan.BATCH_SIZE``.  Target: at least one objective
at least as good as the course default (mean FID over the seeds) at every mark.

VAE: the course VAE, IWAE training with k = 5 and k = 50, and a learned mixture-of-Gaussians prior, seed 0, each
for ``--vae-minutes`` of training.  At the end: the test ELBO, the importance-weighted NLL with K = 1,000 on the
whole test set (binarized once, seed 0) with its standard error, active units and KL, MNIST-FID of 10,000 samples
from the model's prior, training images/s.  Each VAE's evaluated networks are saved beside the results file
(``objectives.vae_weights``), so notebook 08 shows samples of the very models in the table.  Target: test NLL
<= 82 nats.  The published ladder is printed beside ours with what differs in its protocol.

Each finished run is written to ``--results`` (JSON) as it ends; a rerun skips what is there, so an interrupted
benchmark resumes with the next run.  Run: make bench, or e.g.
  python benchmarks/bench_objectives.py --part gan --gan-minutes 5 --seeds 0 1 2
"""

import course_utils

course_utils.start()  # before anything imports TensorFlow, so its start-up noise is filtered

import argparse
import time
from pathlib import Path

import numpy as np

from course_utils import compare, data, diagnostics, gan, metrics, objectives, training, vae

N_EVAL, N_PAIRS, K = 5000, 256, 1000


def every_minute(minutes: float) -> list[float]:
    """The time marks, in seconds: each whole minute of the budget, and its end."""
    return sorted({60.0 * m for m in range(1, int(minutes) + 1)} | {60.0 * minutes})


# --- GAN ----------------------------------------------------------------------------------------


def run_gan(objective: str, seed: int, x, real_features, marks) -> dict:
    model = gan.make_gan(seed=seed, objective=objective)
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(N_EVAL, model.latent_dim)).astype("float32")
    real_pairs, pair_latents = x[rng.choice(len(x), N_PAIRS, replace=False)], z[:N_PAIRS]

    def score():
        fake = model.generator(pair_latents, training=False)
        norms = gan.critic_gradient_norms(model, real_pairs, fake, seed=seed)
        return {"fid": float(metrics.fid(real_features, metrics.features_and_probabilities(model.sample01(z))[0])),
                "critic_gradient_norm": float(np.mean(norms))}

    rows = objectives.train_gan_for(model, x, marks, score)
    for row in rows:
        print(f"  {objective:<13} seed {seed}  {row['seconds'] / 60:4.0f} min  {row['images'] / row['seconds']:5.0f} "
              f"img/s  FID {row['fid']:6.2f}  critic |grad| {row['critic_gradient_norm']:6.2f}", flush=True)
    return {"objective": objective, "seed": seed, "marks": rows}


# --- VAE ----------------------------------------------------------------------------------------


def run_vae(name: str, options: dict, seed: int, x01, test_binary, test01, marks, k: int, results: Path) -> dict:
    model = vae.make_vae(seed=seed, **options)

    def score():
        return float(model.evaluate(test_binary, batch_size=1000, verbose=0, return_dict=True)["elbo"])

    budget = training.TimeBudget(marks, score, vae.BATCH_SIZE)
    model.fit(x01, batch_size=vae.BATCH_SIZE, epochs=10000, verbose=0, callbacks=[budget], shuffle=True)
    for seconds, images, elbo in budget.results:
        print(f"  {name:<18} {seconds / 60:4.0f} min  {images / seconds:6.0f} img/s  test ELBO {elbo:8.2f}", flush=True)
    seconds, images, _ = budget.results[-1]
    checksums = objectives.save_vae(model, name, results)
    test = {name: float(value) for name, value in
            model.evaluate(test_binary, batch_size=1000, verbose=0, return_dict=True).items()}
    start = time.perf_counter()
    nll = metrics.test_nll(model, test_binary, k=k, progress=True)
    print(f"  {name}: test NLL {nll} ({(time.perf_counter() - start) / 60:.0f} min to estimate)", flush=True)
    mean, _ = model.encode(test_binary)
    samples = compare.score_model(model.decode_means, model.latent_dim, 10000, test01, draw_latents=model.sample_prior)
    return {"name": name, "seed": seed, "options": options, "minutes": seconds / 60,
            "images_per_second": images / seconds, "epochs": images / len(x01),
            "elbo_curve": [[s, e] for s, _, e in budget.results],
            "test_elbo": test["elbo"], "test_kl": test["kl"], "test_iw_bound": test.get("iw_bound"),
            "nll": nll.nll, "nll_stderr": nll.stderr, "nll_k": nll.k, "nll_images": nll.images,
            "active_units": diagnostics.active_units(mean)[0], "fid": float(samples["fid"]),
            "precision": float(samples["precision"]), "recall": float(samples["recall"]), "weights_sha256": checksums}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("gan", "vae", "both"), default="both")
    parser.add_argument("--gan-minutes", type=float, default=5, help="training budget per GAN run")
    parser.add_argument("--vae-minutes", type=float, default=15, help="training budget per VAE")
    parser.add_argument("--nll-k", type=int, default=K, help="importance samples per test image for the NLL")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="GAN seeds")
    parser.add_argument("--vae-variants", nargs="+", default=list(objectives.VAE_VARIANTS),
                        choices=list(objectives.VAE_VARIANTS))
    parser.add_argument("--results", type=Path, default=Path("test-output/bench_objectives.json"),
                        help="finished runs are kept here; a rerun skips them")
    args = parser.parse_args()
    results = objectives.load_results(args.results)
    mnist = data.load_mnist(verbose=False)
    test01 = data.to_unit(mnist.x_test)
    if args.part in ("gan", "both"):
        real_features = metrics.features_and_probabilities(test01)[0]
        floor = metrics.fid(real_features, metrics.features_and_probabilities(data.to_unit(mnist.x_train[:N_EVAL]))[0])
        objectives.save_result(args.results, results, objectives.FLOOR_KEY, {"fid": float(floor), "images": N_EVAL})
        x = data.to_tanh(mnist.x_train)
        marks = every_minute(args.gan_minutes)
        print(f"## GAN objectives ({args.gan_minutes:g} min per run, seeds {args.seeds})", flush=True)
        runs = []
        for objective in gan.OBJECTIVES:
            for seed in args.seeds:
                key = objectives.gan_key(objective, seed, args.gan_minutes)
                if key not in results:
                    run = run_gan(objective, seed, x, real_features, marks)
                    objectives.save_result(args.results, results, key, run)
                runs.append(results[key])
        print("\n" + objectives.gan_table(runs, floor))
    if args.part in ("vae", "both"):
        x01, test_binary = data.to_unit(mnist.x_train), data.binarize(test01, seed=0)
        marks = every_minute(args.vae_minutes)
        print(f"## VAE objectives ({args.vae_minutes:g} min each, seed 0, NLL with K = {args.nll_k:,})", flush=True)
        runs = []
        for name in args.vae_variants:
            key = objectives.vae_key(name, 0, args.vae_minutes, args.nll_k)
            if key not in results:
                run = run_vae(name, objectives.VAE_VARIANTS[name], 0, x01, test_binary, test01, marks, args.nll_k,
                              args.results)
                objectives.save_result(args.results, results, key, run)
            runs.append(results[key])
        print("\n" + objectives.vae_table(runs))


if __name__ == "__main__":
    main()
