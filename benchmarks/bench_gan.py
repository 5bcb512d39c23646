"""Benchmark: the course DCGAN against the TensorFlow DCGAN tutorial's network, same wall-clock budget.

Both train on the full MNIST training set on this machine, one after the other, for the
same training time (evaluation time excluded).  At fixed time marks each is scored by
MNIST-FID on 5,000 samples against the test set; the floor (5,000 training images vs the
test set) is printed with them.  Targets (2-core CPU): course FID <= 10x floor
after 10 minutes; the course reaches the reference's final FID at least 10x sooner.
The course DCGAN compiles its training step with XLA (as notebook 04 does); the reference
runs as published, without it. bench_xla.py measures what XLA alone is worth.
Run: make bench   (or python benchmarks/bench_gan.py --minutes 12; add --course-only to skip the reference)
"""

import course_utils

course_utils.start()  # before anything imports TensorFlow, so its start-up noise is filtered

import argparse

import keras
import numpy as np
import reference_models

from course_utils import data, gan, metrics, training

N_EVAL = 5000


def tutorial_gan(seed: int) -> gan.GAN:
    """The TensorFlow DCGAN tutorial as published: its networks, latent 100, Adam(1e-4) with default betas."""
    keras.utils.set_random_seed(seed)
    model = gan.GAN(reference_models.build_reference_generator(), reference_models.build_reference_discriminator(), 100,
                    data_range=(-1, 1), seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-4), g_optimizer=keras.optimizers.Adam(1e-4))
    return model


def contestants():
    """name -> (model factory, batch size): the course default (notebook 04) and the tutorial's settings."""
    return {"course DCGAN": (lambda seed: gan.make_gan(seed=seed), gan.BATCH_SIZE), "TF tutorial": (tutorial_gan, 256)}


def run(name, make_model, batch_size, x, real_features, marks, seed=0):
    model = make_model(seed)
    z = np.random.default_rng(seed).normal(size=(N_EVAL, model.latent_dim)).astype("float32")

    def score():  # the EMA generator where the model keeps one (the course default), as in notebook 04
        return metrics.fid(real_features, metrics.features_and_probabilities(model.sample01(z))[0])

    budget = training.TimeBudget(marks, score, batch_size)
    model.fit(x, batch_size=batch_size, epochs=1000, verbose=0, callbacks=[budget], shuffle=True)
    for seconds, images, fid in budget.results:
        print(f"  {name:<13} {seconds / 60:5.1f} min  {images / seconds:6.0f} img/s  FID {fid:7.2f}", flush=True)
    return budget.results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=12.0, help="training budget per model")
    parser.add_argument("--course-only", action="store_true",
                        help="skip the reference (its numbers do not depend on the course's code)")
    args = parser.parse_args()
    marks = [m * 60 for m in (0.5, 1, 2, 4, 6, 8, 10, 12) if m <= args.minutes]
    mnist = data.load_mnist(verbose=False)
    real_features = metrics.features_and_probabilities(data.to_unit(mnist.x_test))[0]
    floor = metrics.fid(real_features, metrics.features_and_probabilities(data.to_unit(mnist.x_train[:N_EVAL]))[0])
    print(f"## GAN ({args.minutes:g} min per model; FID on {N_EVAL} samples vs the test set; floor {floor:.2f})")
    x = data.to_tanh(mnist.x_train)
    results = {name: run(name, *spec, x, real_features, marks) for name, spec in contestants().items()
               if not (args.course_only and name != "course DCGAN")}
    course = results["course DCGAN"]
    at_10 = next((fid for seconds, _, fid in course if seconds == 600), course[-1][2])
    print(f"course FID after {min(600, course[-1][0]) / 60:g} min: {at_10:.2f} = {at_10 / floor:.1f}x floor "
          f"(target <= 10x)")
    if "TF tutorial" in results:
        print(speedup(course, results["TF tutorial"]))
    else:
        print("reference skipped (--course-only): no speed-up ratio")


def speedup(course, reference) -> str:
    """When the course first matched the reference's final FID, as bounds from the two marks around it."""
    reference_seconds, _, reference_fid = reference[-1]
    marks = [seconds for seconds, _, _ in course]
    reached = next((i for i, (_, _, fid) in enumerate(course) if fid <= reference_fid), None)
    if reached is None:
        return f"course never reached the reference's final FID {reference_fid:.2f}"
    before = marks[reached - 1] if reached > 0 else 0.0
    at_least = f"{reference_seconds / marks[reached]:.0f}x"
    factor = f"{at_least} to {reference_seconds / before:.0f}x" if before else f"at least {at_least}"
    return (f"course reached the reference's {reference_seconds / 60:g}-min FID ({reference_fid:.2f}) between the "
            f"{before / 60:g}- and {marks[reached] / 60:g}-min marks: {factor} sooner (target >= 10x)")


if __name__ == "__main__":
    main()
