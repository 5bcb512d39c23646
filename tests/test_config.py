"""Fast mode, paths as printed, the environment report, and importing without TensorFlow."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import config


def test_pick_follows_fast_mode(monkeypatch):
    monkeypatch.setattr(config, "FAST", True)
    assert config.pick(full=20, fast=1) == 1
    monkeypatch.setattr(config, "FAST", False)
    assert config.pick(full=20, fast=1) == 20
    assert config.describe(epochs=20).splitlines() == ["mode: full", "  epochs = 20"]


def test_paths_are_shown_without_the_home_folder():
    assert config.shown(Path.home() / ".cache" / "runs") == "~/.cache/runs"
    assert config.shown("/opt/data/mnist.npz") == "/opt/data/mnist.npz"


def test_report_names_the_libraries_and_the_cpu():
    report = config.report()
    for name in ("Python", *config.PACKAGES, "CPU cores", "GPUs"):
        assert name in report
    assert config.version("no-such-package-here") == "not installed"


@pytest.mark.slow
@pytest.mark.parametrize("module", ["course_utils", "course_utils.config", "course_utils.data", "course_utils.colab"])
def test_importing_the_light_modules_does_not_start_tensorflow(module):
    code = (f"import sys, time; t = time.perf_counter(); import {module}; t = time.perf_counter() - t; "
            "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules); print(heavy, round(t, 2))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    heavy, seconds = result.stdout.rsplit(" ", 1)
    assert heavy == "[]", f"importing {module} imported {heavy}"
    assert float(seconds) < 1.0, f"importing {module} took {seconds} s"


def test_start_up_noise_is_dropped_and_real_errors_kept():
    import course_utils

    output = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
              "I0000 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\n"
              "E0000 cuda_dnn.cc:8310] Unable to register cuDNN factory\n"
              "E0000 some_op.cc:12] Failed to load the native runtime.\n")
    assert course_utils.start_up_errors(output) == ["E0000 some_op.cc:12] Failed to load the native runtime."]


@pytest.mark.slow
def test_start_leaves_no_start_up_noise_on_stderr():
    code = "import course_utils; course_utils.start(); import keras; print('started')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "started" in result.stdout, result.stderr[-2000:]
    assert result.stderr.strip() == "", result.stderr


def test_partial_files_of_dead_processes_are_removed_and_a_running_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / f"partial-{dead.stdout.strip()}-mnist.npz"
    mine = tmp_path / f"partial-{os.getpid()}-mnist.npz"
    for path in (left, mine):
        path.write_bytes(b"half")
    config.remove_partial_files(tmp_path)
    assert not left.exists() and mine.exists()


def test_an_atomic_write_that_fails_leaves_the_old_file(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("old")

    def fail(temporary):
        temporary.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        config.write_atomically(path, fail)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["settings.json"]
