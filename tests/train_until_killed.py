"""Train a small course model in its run folder and kill this very process with SIGKILL at a chosen point.

    python tests/train_until_killed.py KIND KILL      (KIND: gan, vae or mnist; COURSE_CACHE says where)

KILL is ``none``, ``batch:N`` (after the N-th training batch this process runs), ``mid-write:N``
(half-way through the N-th file this process writes: the new file written, cut in half, not yet
renamed into place) or ``after-write:N`` (just after the N-th write is complete).  SIGKILL cannot
be caught: nothing gets to clean up, as when a laptop's battery dies or Colab recycles a runtime.
``mnist`` caches MNIST from ``COURSE_MNIST`` instead of training.  Used by ``tests/test_crash.py``.
"""

import os
import signal
import sys

import course_utils

course_utils.start()

import keras  # noqa: E402
import small_models  # noqa: E402

from course_utils import config, data, training  # noqa: E402

KIND, KILL = sys.argv[1], sys.argv[2]
MODE, _, N = KILL.partition(":")
EPOCHS = 4
writes = 0
atomic_write = config.write_atomically


def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def write_and_maybe_die(path, write):
    global writes
    writes += 1
    if MODE == "mid-write" and writes == int(N):
        def write_half(temporary):
            write(temporary)
            with open(temporary, "r+b") as f:
                f.truncate(os.path.getsize(temporary) // 2)
            die()
        atomic_write(path, write_half)
    atomic_write(path, write)
    if MODE == "after-write" and writes == int(N):
        die()


class DieAtBatch(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        if MODE == "batch" and self.batches == int(N):
            die()


config.write_atomically = write_and_maybe_die
if KIND == "mnist":
    data.load_mnist(verbose=False)
else:
    model, x = small_models.model_and_data(KIND)
    training.fit_or_load(model, "crash", x, epochs=EPOCHS, batch_size=32, callbacks=[DieAtBatch()], verbose=0)
print("finished")
