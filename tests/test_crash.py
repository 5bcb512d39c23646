"""Training survives a real kill: a child process trains a small course model and is sent SIGKILL at
one point after another (mid-epoch, and half-way through each kind of file it writes), then resumes.

After every kill the run folder must hold only files that read back whole: the settings, the record of
the last finished epoch, its weights (with the optimizer's step count of exactly that epoch) and a
history of distinct epochs 0, 1, ...  The next start must resume from the recorded epoch (or start
afresh when no epoch finished), and the finished run must have each epoch once and load.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import small_models

from course_utils import data, training

CHILD = Path(__file__).with_name("train_until_killed.py")
BATCHES_PER_EPOCH = 2  # 64 images, batch 32
EPOCHS = 4
# One chain of kills per model, each in a new process that resumes what the last one left.  Writes are
# counted per process: a fresh start writes settings.json (1), then per epoch its weights, checkpoint.json
# and history.csv; a resumed one first rewrites history.csv (1); a run whose epochs are done writes its parts.
KILLS = [
    "mid-write:1",    # settings.json cut in half: nothing finished, the next start is a fresh one
    "after-write:1",  # settings written, no epoch yet
    "batch:1",        # mid-epoch 0
    "mid-write:2",    # epoch 0's weights cut in half
    "after-write:3",  # epoch 0 recorded, history.csv not yet written
    "mid-write:3",    # resumed; epoch 1's weights written, its record cut in half
    "batch:3",        # epoch 1 finished, killed in epoch 2
    "mid-write:4",    # epoch 2 recorded, its history.csv cut in half
    "after-write:4",  # epoch 3 (the last) recorded and its history written; no part saved yet
    "mid-write:2",    # the first part's weights cut in half
    "after-write:3",  # two parts saved
]


def run_child(kind, kill, cache, **env):
    child_env = {**os.environ, "COURSE_CACHE": str(cache), "COURSE_FAST": "1", **env}
    return subprocess.run([sys.executable, str(CHILD), kind, kill], env=child_env, capture_output=True, text=True,
                          timeout=300)


def check_folder(folder: Path, kind: str) -> int:
    """Everything in the run folder reads back whole; returns the number of finished epochs recorded."""
    if (folder / training.SETTINGS_FILE).exists():
        json.loads((folder / training.SETTINGS_FILE).read_text())
    record = training.read_checkpoint(folder) if folder.exists() else None
    done = record["epochs_done"] if record else 0
    if record:
        model, _ = small_models.model_and_data(kind)
        training.load_checkpoint(model, folder, record)
        assert int(model.optimizer.iterations.numpy()) == done * BATCHES_PER_EPOCH, "not the recorded epoch's weights"
        assert [row["epoch"] for row in record["history"]] == list(range(done))
    if (folder / training.HISTORY_FILE).exists():
        epochs = training.read_history(folder).get("epoch", [])
        assert epochs == list(range(len(epochs))) and len(epochs) in (done - 1, done), \
            f"history.csv has epochs {epochs} beside a record of {done} finished"
    return done


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_a_run_killed_again_and_again_resumes_each_time_and_finishes_whole(kind, tmp_path):
    folder, recorded = tmp_path / "runs" / "not-yet", 0
    for kill in [*KILLS, "none"]:
        child = run_child(kind, kill, tmp_path)
        assert child.returncode == (0 if kill == "none" else -9), f"{kill}: rc {child.returncode}\n{child.stderr}"
        expected = f"after epoch {recorded} of {EPOCHS}" if recorded else "A new run"
        assert expected in child.stdout, f"{kill}: {recorded} epochs were recorded; it said:\n{child.stdout}"
        folder = next((tmp_path / "runs").glob("crash-*"), folder)
        if kill != "none":
            recorded = check_folder(folder, kind)
    history = training.read_history(folder)
    assert history["epoch"] == list(range(EPOCHS)) and all(s > 0 for s in history["seconds"])
    model, _ = small_models.model_and_data(kind)
    for name, network in model.parts.items():
        network.load_weights(folder / f"{name}.weights.h5")
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(("partial-", "checkpoint"))]
    assert not leftovers, f"left behind: {leftovers}"


@pytest.mark.slow
def test_a_kill_while_mnist_is_cached_leaves_no_file_that_passes_for_it(tmp_path, mnist_npz, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    child = run_child("mnist", "mid-write:1", tmp_path, COURSE_MNIST=str(mnist_npz))
    assert child.returncode == -9, child.stderr
    assert not data.cache_path().exists(), "a half-written cache file sits where MNIST is looked for"
    half = next(tmp_path.glob("partial-*-mnist.npz"))
    with pytest.raises(data.SourceFailed):  # had it been renamed into place, the checks would reject it
        data.verify(data._read_npz(half), "the half-written file")
    child = run_child("mnist", "none", tmp_path, COURSE_MNIST=str(mnist_npz))
    assert child.returncode == 0, child.stderr
    assert not list(tmp_path.glob("partial-*")), "the next start cleans up what the killed one left"
    np.testing.assert_array_equal(data.from_cache().x_test, data._read_npz(mnist_npz).x_test)
