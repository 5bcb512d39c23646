"""Notebook 08's results file, tables and curves, on made-up runs whose answers are known."""

import numpy as np
import pytest

from course_utils import compare, objectives


def gan_run(objective, seed, fids):
    marks = [{"seconds": 60.0 * (i + 1), "images": 6000 * (i + 1), "generator_updates": 50 * (i + 1), "fid": fid,
              "critic_gradient_norm": 1.0} for i, fid in enumerate(fids)]
    return {"objective": objective, "seed": seed, "marks": marks}


def vae_run(name, nll):
    return {"name": name, "nll": nll, "nll_stderr": 0.2, "nll_k": 1000, "nll_images": 10000, "test_elbo": -nll - 4,
            "test_kl": 25.0, "active_units": 16, "fid": 30.0, "epochs": 20.0, "images_per_second": 1500.0,
            "minutes": 15.0}


def test_fid_curves_are_the_mean_and_sd_over_seeds_at_each_mark():
    runs = [gan_run("hinge", 0, [30, 20]), gan_run("hinge", 1, [34, 24])]
    minutes, mean, spread = objectives.fid_curves(runs)["hinge"]
    assert np.allclose(minutes, [1, 2]) and np.allclose(mean, [32, 22])
    assert np.allclose(spread, [np.std([30, 34], ddof=1)] * 2)


def test_fid_curves_refuse_runs_scored_at_different_times():
    short = gan_run("hinge", 1, [34])
    with pytest.raises(ValueError, match="different times"):
        objectives.fid_curves([gan_run("hinge", 0, [30, 20]), short])


@pytest.mark.parametrize("hinge, verdict", [([29, 19], "met by hinge"), ([29, 21], "NOT met"), ([31, 19], "NOT met")])
def test_the_gan_target_needs_a_variant_at_least_as_good_at_every_mark(hinge, verdict):
    runs = [gan_run("cross-entropy", 0, [30, 20]), gan_run("hinge", 0, hinge)]
    assert verdict in objectives.gan_table(runs, floor=1.0).splitlines()[-1]


@pytest.mark.parametrize("best, verdict", [(81.9, "met"), (82.1, "MISSED")])
def test_the_vae_table_checks_the_nll_target_on_the_best_variant(best, verdict):
    table = objectives.vae_table([vae_run("course VAE", 87.0), vae_run("IWAE k=5", best)])
    assert table.splitlines()[-1].startswith(f"target (test NLL <= 82 nats within the budget): {verdict};")
    assert "IWAE k=5 at" in table.splitlines()[-1] and "K = 1,000, on 10,000 test images" in table


def test_results_are_saved_and_read_back_and_a_missing_file_is_empty(tmp_path):
    path = tmp_path / "sub" / "results.json"
    assert objectives.load_results(path) == {}
    results = {}
    objectives.save_result(path, results, objectives.gan_key("hinge", 2, 5), gan_run("hinge", 2, [10]))
    assert objectives.load_results(path) == results and list(results) == ["gan/hinge/seed2/5min"]


def test_the_fid_plot_draws_one_line_per_objective_and_the_floor():
    import matplotlib

    matplotlib.use("Agg")
    runs = [gan_run("cross-entropy", 0, [30, 20]), gan_run("hinge", 0, [29, 19]), gan_run("hinge", 1, [31, 21])]
    ax = objectives.plot_fid_against_time(runs, floor=1.5)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["cross-entropy (1 seed)", "hinge (2 seeds)", "real digits (floor)"]
    assert np.allclose(ax.get_lines()[1].get_ydata(), [30, 20])
    by_updates = objectives.plot_fid_against_updates(runs)
    lines = by_updates.get_lines()  # one per run, the objective named once, in the time plot's colours
    assert [line.get_color() for line in lines] == ["C0", "C1", "C1"]
    assert [line.get_label() for line in lines if not line.get_label().startswith("_")] == ["cross-entropy", "hinge"]
    assert np.allclose(lines[2].get_xdata(), [50, 100]) and np.allclose(lines[2].get_ydata(), [31, 21])


def test_gan_runs_are_selected_by_budget_and_the_floor_is_not_a_run():
    results = {objectives.FLOOR_KEY: {"fid": 1.2}, objectives.gan_key("hinge", 0, 5): gan_run("hinge", 0, [9]),
               objectives.gan_key("hinge", 0, 0.5): gan_run("hinge", 0, [40]),
               objectives.vae_key("course VAE", 0, 15, 1000): vae_run("course VAE", 87.0)}
    assert objectives.gan_runs(results) == [results["gan/hinge/seed0/5min"]]
    results[objectives.vae_key("IWAE k=5", 0, 15, 100)] = vae_run("IWAE k=5", 85.0)  # scored with another K
    assert objectives.vae_runs(results) == [results["vae/course VAE/seed0/15min/K1000"]]
    assert objectives.gan_runs(results, minutes=0.5) == [results["gan/hinge/seed0/0.5min"]]


def test_a_trained_vae_variant_is_saved_and_loaded_back_with_its_learned_prior(tmp_path):
    from course_utils import vae

    results = tmp_path / "objectives.json"
    name = "mixture prior (20)"
    model = vae.make_vae(seed=5, **objectives.VAE_VARIANTS[name])  # seed 5: unlike the seed-0 model load_vae makes
    checksums = objectives.save_vae(model, name, results)
    assert sorted(checksums) == sorted(p.name for p in tmp_path.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"objectives-mixture-prior-20-seed0.{part}.weights.h5" for part in ("decoder", "encoder", "prior")]
    loaded = objectives.load_vae(name, results)
    z = model.sample_prior(4, seed=1)
    np.testing.assert_allclose(loaded.sample_prior(4, seed=1), z)
    np.testing.assert_allclose(loaded.decode_means(z), model.decode_means(z), rtol=1e-6)
    with pytest.raises(FileNotFoundError, match="bench_objectives.py --part vae"):
        objectives.load_vae("IWAE k=5", results)
    with pytest.raises(ValueError, match="no VAE variant"):
        objectives.load_vae("IWAE k=7", results)


def test_train_gan_for_scores_at_each_mark_with_the_training_logs():
    from course_utils import gan

    model = gan.make_gan(seed=0, objective="wgan-gp", g_width=8, d_width=8)
    model.jit_compile = False  # XLA's compile would take most of this test's time
    x = np.random.default_rng(0).uniform(-1, 1, (640, 28, 28, 1)).astype("float32")
    calls = []
    rows = objectives.train_gan_for(model, x, [0.5, 1.0], lambda: calls.append(1) or {"score": len(calls)})
    assert [row["seconds"] for row in rows] == [0.5, 1.0] and [row["score"] for row in rows] == [1, 2]
    batch = gan.BATCH_SIZE * model.critic_steps
    assert all(row["images"] % batch == 0 and row["generator_updates"] == row["images"] // batch for row in rows)
    assert rows[1]["images"] > rows[0]["images"] and np.isfinite(rows[1]["wasserstein"])


def test_every_shipped_vae_variant_has_its_run_and_its_weights_with_their_checksums():
    """The benchmark saves a VAE's weights just before its run: each shipped weights file belongs to a run in
    the shipped results, which records its checksum, and each shipped run has all the parts its variant evaluates."""
    runs = objectives.vae_runs(objectives.load_results())
    shipped = {p.name: p for p in objectives.RESULTS.parent.glob("objectives-*.weights.h5")}
    parts = {name: ("decoder", "encoder", "prior") if options.get("prior_components") else ("decoder", "encoder")
             for name, options in objectives.VAE_VARIANTS.items()}
    expected = sorted(objectives.vae_weights(run["name"], part).name for run in runs for part in parts[run["name"]])
    assert sorted(shipped) == expected
    recorded = {file: checksum for run in runs for file, checksum in run["weights_sha256"].items()}
    assert sorted(recorded) == expected and all(compare.sha256(shipped[f]) == recorded[f] for f in recorded)


def test_the_gan_table_shows_a_wasserstein_estimate_only_for_a_critic():
    critic = gan_run("wgan-gp", 0, [40, 30])
    critic["marks"][-1]["wasserstein"] = 3.25
    rows = objectives.gan_table([gan_run("cross-entropy", 0, [30, 20]), critic], floor=1.0).splitlines()[2:4]
    assert rows[0].endswith("—") and rows[1].endswith("3.25")
