"""Benchmark: the course VAE against the TensorFlow CVAE tutorial's design, same wall-clock budget.

Protocol: dynamically binarized MNIST for training, the test set binarized once
(seed 0); at fixed time marks, the test ELBO (all 10,000 test images) and the
importance-weighted NLL with K=1000 on the first 1,000 test images, in nats.
Target (2-core CPU): course NLL <= 87 nats after 10 minutes.
The course VAE compiles its training step with XLA (as notebook 05 does); the reference
runs as published, without it. bench_xla.py measures what XLA alone is worth.
Run: make bench   (or python benchmarks/bench_vae.py --minutes 10; add --course-only to skip the reference)
"""

import argparse

import keras
import reference_models

import course_utils
from course_utils import data, metrics, training, vae

K, N_NLL = 1000, 1000


def tutorial_vae(seed: int) -> vae.VAE:
    """The TensorFlow CVAE tutorial as published: its networks, latent 2, Adam(1e-4)."""
    keras.utils.set_random_seed(seed)
    model = vae.VAE(reference_models.build_reference_encoder(2), reference_models.build_reference_decoder(2), seed=seed)
    model.compile(keras.optimizers.Adam(1e-4))
    return model


def contestants():
    """name -> (model factory, batch size): the course default (notebook 05) and the tutorial's settings."""
    return {"course VAE": (lambda seed: vae.make_vae(seed=seed), vae.BATCH_SIZE), "TF tutorial": (tutorial_vae, 32)}


def run(name, make_model, batch_size, x01, test_binary, marks, seed=0):
    model = make_model(seed)

    def score():
        # The IW-NLL costs about 3 minutes per 1,000 images at K=1000 on 2 cores: only at the last mark.
        elbo = model.evaluate(test_binary, batch_size=1000, verbose=0, return_dict=True)["elbo"]
        last = len(budget.results) == len(marks) - 1
        nll = -metrics.iw_log_likelihood(model.encode, model.decode, test_binary[:N_NLL], k=K).mean() if last else None
        return elbo, nll

    budget = training.TimeBudget(marks, score, batch_size)
    model.fit(x01, batch_size=batch_size, epochs=1000, verbose=0, callbacks=[budget], shuffle=True)
    for seconds, images, (elbo, nll) in budget.results:
        nll_text = f"NLL (K={K}) {nll:7.2f}" if nll is not None else ""
        print(f"  {name:<12} {seconds / 60:5.1f} min  {images / seconds:6.0f} img/s  test ELBO {elbo:8.2f}  {nll_text}",
              flush=True)
    return budget.results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget per model")
    parser.add_argument("--course-only", action="store_true",
                        help="skip the reference (its numbers do not depend on the course's code)")
    args = parser.parse_args()
    course_utils.start()
    marks = [m * 60 for m in (1, 2, 5, 10) if m <= args.minutes]
    mnist = data.load_mnist(verbose=False)
    x01 = data.to_unit(mnist.x_train)
    test_binary = data.binarize(data.to_unit(mnist.x_test), seed=0)
    print(f"## VAE ({args.minutes:g} min per model; nats; NLL on the first {N_NLL} binarized test images)")
    results = {name: run(name, *spec, x01, test_binary, marks) for name, spec in contestants().items()
               if not (args.course_only and name != "course VAE")}
    nll = results["course VAE"][-1][2][1]
    print(f"course VAE NLL after {results['course VAE'][-1][0] / 60:g} min: {nll:.2f} nats (target <= 87)")


if __name__ == "__main__":
    main()
