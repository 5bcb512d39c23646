"""Benchmark: the interactive views' frame times (target: a GAN-lab frame in under 1 s on 2 CPU cores).

A frame of the live GAN lab is what one tick of its Play button does: 10 rounds of one discriminator and one
generator update, then the drawing (``interactive.time_frames``: the median of 10 frames after a warm-up), for
every data set and loss.  The VAE explainer's redraw after a slider moves: the shipped β = 1 model with 2,000
test digits on the map, the median of 10 redraws at different digits.
Run: make bench  (or: python benchmarks/bench_labs.py)
"""

import course_utils

course_utils.start()  # before anything imports TensorFlow, so its start-up noise is filtered

import time

import numpy as np

from course_utils import compare, data, interactive

TARGET_SECONDS = 1.0


def main():
    print("GAN lab, seconds per frame (10 steps + drawing), median of 10:")
    worst = 0.0
    for name in interactive.DATASETS:
        for loss in interactive.LOSSES:
            seconds = interactive.time_frames(interactive.GANLab(data=name, loss=loss), frames=10)
            worst = max(worst, seconds)
            print(f"  {name:<14} {loss:<14} {seconds:5.2f} s", flush=True)
    print(f"slowest frame {worst:.2f} s (target < {TARGET_SECONDS} s: {'met' if worst < TARGET_SECONDS else 'MISSED'})")

    mnist = data.load_mnist(verbose=False)
    test_binary = data.binarize(data.to_unit(mnist.x_test[:2000]), seed=0)
    explainer = interactive.VAEExplainer(compare.shipped_map_vaes(), test_binary, mnist.y_test[:2000])
    explainer.png()  # the aggregate density of the first β is computed once, outside the timed redraws
    seconds = []
    for index in range(1, 11):
        start = time.perf_counter()
        explainer.set(index=index)
        explainer.png()
        explainer.readout()
        seconds.append(time.perf_counter() - start)
    median = float(np.median(seconds))
    print(f"VAE explainer, seconds per redraw, median of 10: {median:.2f} s "
          f"(target < {TARGET_SECONDS} s: {'met' if median < TARGET_SECONDS else 'MISSED'})")


if __name__ == "__main__":
    main()
