"""Benchmark: training speed of the course models with and without XLA (``jit_compile``).

Keras compiles the training step with XLA only on a GPU or TPU ("auto"); make_gan and
make_vae switch it on everywhere because it also speeds up a laptop CPU.  This prints
the training steps per second of each course model both ways, on this machine, after a
warm-up (the XLA compilation, a few seconds, is excluded).  Only the steps are timed, not
the whole ``fit`` call: on this 2-core CPU, TensorFlow sometimes sits idle for 10-20 s after
the last step of a ``fit`` (no CPU time used), which would swamp a 200-step round.  The speed
of a shared machine drifts, so the two settings take turns and each row gives the median of
the rounds.
Run: make bench   (or python benchmarks/bench_xla.py --steps 200 --rounds 5)
"""

import course_utils

course_utils.start()  # before anything imports TensorFlow, so its start-up noise is filtered

import argparse
import statistics
import time

import keras

from course_utils import data, gan, vae


class StepClock(keras.callbacks.Callback):
    """The time at the end of each training step."""

    def on_train_begin(self, logs=None):
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())


def steps_per_second(model, x, batch_size, steps):
    """Training steps per second of ``model.fit`` on the first ``steps`` batches of ``x``,
    from the end of the first step to the end of the last (``fit``'s set-up and tear-down excluded)."""
    clock = StepClock()
    model.fit(x[:steps * batch_size], batch_size=batch_size, epochs=1, verbose=0, callbacks=[clock])
    return (len(clock.ends) - 1) / (clock.ends[-1] - clock.ends[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200, help="timed training steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per model, alternating the two settings")
    args = parser.parse_args()
    mnist = data.load_mnist(verbose=False)
    models = {"course DCGAN": (gan.make_gan, data.to_tanh(mnist.x_train), gan.BATCH_SIZE),
              "course VAE": (vae.make_vae, data.to_unit(mnist.x_train), vae.BATCH_SIZE)}
    print(f"## XLA (training steps per second, median of {args.rounds} rounds of {args.steps} steps)")
    for name, (make, x, batch_size) in models.items():
        compiled = {}
        for jit in (False, True):
            compiled[jit] = make(seed=0)
            compiled[jit].jit_compile = jit
            steps_per_second(compiled[jit], x, batch_size, 20)  # warm-up: tracing and XLA compilation
        rounds = {jit: [] for jit in compiled}
        for _ in range(args.rounds):
            for jit, model in compiled.items():
                rounds[jit].append(steps_per_second(model, x, batch_size, args.steps))
        rates = {jit: statistics.median(values) for jit, values in rounds.items()}
        spread = {jit: f"{min(values):.1f}-{max(values):.1f}" for jit, values in rounds.items()}
        print(f"  {name:<12} batch {batch_size}: {rates[False]:5.1f} steps/s without XLA ({spread[False]}), "
              f"{rates[True]:5.1f} with ({spread[True]}): {rates[True] / rates[False]:.1f}x", flush=True)


if __name__ == "__main__":
    main()
