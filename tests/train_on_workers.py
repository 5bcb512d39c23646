"""One of two worker processes training a small course model under ``tf.distribute.MultiWorkerMirroredStrategy``
on loopback; saves its weights before and after, and its logs, to ``OUT/worker<INDEX>.npz``.

    python tests/train_on_workers.py KIND INDEX PORT0,PORT1 OUT      (KIND: gan or vae)

On two machines the same script runs with their addresses in place of 127.0.0.1.  Used by
``tests/test_multiworker.py``.
"""

import json
import os
import sys

KIND, INDEX, PORTS, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"127.0.0.1:{port}" for port in PORTS]},
                                      "task": {"type": "worker", "index": INDEX}})

import course_utils  # noqa: E402

course_utils.start()

import numpy as np  # noqa: E402
import small_models  # noqa: E402
import tensorflow as tf  # noqa: E402

EPOCHS, BATCH = 2, 32  # the global batch: each of the two workers computes half of it

strategy = tf.distribute.MultiWorkerMirroredStrategy()
with strategy.scope():
    model, x = small_models.sgd_model_and_data(KIND)
before = [w.numpy() for w in model.trainable_weights]
history = model.fit(x, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0).history
after = [w.numpy() for w in model.trainable_weights]
np.savez(f"{OUT}/worker{INDEX}.npz", replicas=strategy.num_replicas_in_sync,
         **{f"before{i}": w for i, w in enumerate(before)}, **{f"after{i}": w for i, w in enumerate(after)},
         **{f"log_{name}": np.asarray(values, np.float64).ravel() for name, values in history.items()})
print("finished")
