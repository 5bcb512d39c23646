"""Scale-out across processes: two workers on loopback train a small course model under
``tf.distribute.MultiWorkerMirroredStrategy``, each computing half of every global batch.

Both must end with bit-identical weights (their gradients are all-reduced), and their result must match one
process training on the same global batches: the same logged losses, and the same weight update up to the
noise each replica draws for itself (direction and size within a few per cent; a gradient summed over the
workers instead of averaged would double the update).  The workers must stop by themselves: none is left
running after the test.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import small_models

CHILD = Path(__file__).with_name("train_on_workers.py")


def free_ports(n: int) -> list[str]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))  # loopback only: nothing outside this machine is contacted
    ports = [str(s.getsockname()[1]) for s in sockets]
    for s in sockets:
        s.close()
    return ports


def run_two_workers(kind: str, out: Path) -> list[np.lib.npyio.NpzFile]:
    ports = ",".join(free_ports(2))
    workers = [subprocess.Popen([sys.executable, str(CHILD), kind, str(i), ports, str(out)], env=os.environ.copy(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    try:
        results = [worker.communicate(timeout=300) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, (_, stderr) in zip(workers, results):
        assert worker.returncode == 0, f"a worker failed:\n{stderr[-3000:]}"
    return [np.load(out / f"worker{i}.npz") for i in range(2)]


@pytest.mark.slow
@pytest.mark.skipif(tuple(map(int, keras.__version__.split(".")[:2])) < (3, 5),
                    reason="Keras < 3.5 keeps random seeds as uint32, which TensorFlow's collectives cannot broadcast")
@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_two_worker_processes_stay_in_step_and_match_one_process(kind, tmp_path):
    first, second = run_two_workers(kind, tmp_path)
    assert int(first["replicas"]) == 2
    for key in first.files:
        if key.startswith(("before", "after")):
            np.testing.assert_array_equal(first[key], second[key], err_msg=f"the workers differ in {key}")

    model, x = small_models.sgd_model_and_data(kind)  # the same start, in this one process
    before = [w.numpy() for w in model.trainable_weights]
    history = model.fit(x, batch_size=32, epochs=2, shuffle=False, verbose=0).history
    after = [w.numpy() for w in model.trainable_weights]
    for i, w in enumerate(before):
        np.testing.assert_array_equal(first[f"before{i}"], w, err_msg="the workers started from other weights")
    for name, values in history.items():  # (some Keras versions log each worker's own half: take their mean)
        logged = (first[f"log_{name}"] + second[f"log_{name}"]) / 2
        np.testing.assert_allclose(logged, values, rtol=1e-2, err_msg=f"logged {name} differs")
    two = np.concatenate([(first[f"after{i}"] - first[f"before{i}"]).ravel() for i in range(len(before))])
    one = np.concatenate([(a - b).ravel() for a, b in zip(after, before)])
    ratio, cosine = np.linalg.norm(two) / np.linalg.norm(one), two @ one / (np.linalg.norm(two) * np.linalg.norm(one))
    assert 0.9 < ratio < 1.1 and cosine > 0.95, f"the two-worker update is {ratio:.2f}x the one-process update " \
                                                f"(cosine {cosine:.3f})"
