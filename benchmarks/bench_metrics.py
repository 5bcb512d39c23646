"""Benchmark: the evaluation toolkit (target: scoring 10,000 samples in under 60 s on 2 CPU cores).

Prints the time to score 10,000 samples (FID + KID + precision/recall + coverage) and
the MNIST-FID floor -- 10,000 training images against the 10,000 test images -- plus
how FID's small-sample bias inflates the floor at smaller sample counts.
Run: make bench  (or: python benchmarks/bench_metrics.py)
"""

import course_utils

course_utils.start()  # before anything imports TensorFlow, so its start-up noise is filtered

import os
import time

from course_utils import data, metrics

TARGET_SECONDS = 60


def main() -> None:
    mnist = data.load_mnist(verbose=False)
    test01 = data.to_unit(mnist.x_test)
    train01 = data.to_unit(mnist.x_train[:10000])
    metrics.classifier()  # load the weights outside the timed part

    result = metrics.evaluate(train01, test01)
    print(f"## Metrics (cores: {os.cpu_count()})")
    print(f"score 10,000 samples (FID+KID+P&R+coverage): {result.seconds:.1f} s "
          f"(target < {TARGET_SECONDS} s: {'met' if result.seconds < TARGET_SECONDS else 'MISSED'})")
    print("floor: 10,000 MNIST training images vs the 10,000 test images")
    print("  " + str(result).replace("\n", "\n  "))

    real_features, _ = metrics.features_and_probabilities(test01)
    train_features, _ = metrics.features_and_probabilities(data.to_unit(mnist.x_train[10000:20000]))
    print("FID bias with sample size (train images vs the full test set; same distribution):")
    for n in (500, 1000, 2000, 5000, 10000):
        start = time.perf_counter()
        value = metrics.fid(real_features, train_features[:n])
        print(f"  n = {n:>5}: FID {value:6.2f}   ({time.perf_counter() - start:.2f} s)")


if __name__ == "__main__":
    main()
