"""The errata catalogue is data: check it is complete, well-formed, quotes the article exactly, and that
every fix sits on a tagged line of the corrected listings and every departure from the article is tagged.

The article is not shipped: ``tests/data/article_excerpts.json`` keeps its hash, the quoted fragments of the lines
the quotes come from and fingerprints of its code statements (written by ``tools/article_excerpts.py``), so every
test here runs on any clone; where the article is present beside the repository, one more test checks the stored
file. Notebook 03 needs no file outside the repository (a test checks its cells name none)."""

import re
from pathlib import Path

import article_excerpts as article
import nbformat
import numpy as np
import pytest

from course_utils.errata import (
    CATEGORIES,
    ERRATA,
    FATAL,
    FATAL_RULE,
    FORMULAS,
    KINDS,
    SOURCE,
    STOP_ORDER,
    by_id,
    grouped,
    listings,
    render,
    reproductions,
)
from course_utils.errata.reproductions import REPRODUCTIONS

HAN = re.compile(r"[\u4e00-\u9fff]")
EXCERPTS = article.load_excerpts()
LISTINGS = ("gan", "vae")
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "03_article_errata.ipynb"


def notebook_markdown() -> str:
    return "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "markdown")


# A path a learner would need outside the repository: the article's file, shared/, an absolute path, or a
# relative one that climbs out of the repository (resolved from notebooks/).
_ARTICLE_FILE = re.compile(r"article-gans-vs-vaes|\bshared/")
_PATH = re.compile(r"(?<![\w:/.}])((?:\.\./)+[\w./-]*|/[A-Za-z][\w.-]*/[\w./-]*|~/[\w./-]*|[A-Za-z]:\\\S*)")


def paths_outside_the_repository(text: str) -> list[str]:
    """The references in ``text`` to files outside the repository."""
    found = [m.group(0) for m in _ARTICLE_FILE.finditer(text)]
    repo = NOTEBOOK.parent.parent.resolve()
    for m in _PATH.finditer(text):
        path = m.group(1)
        if not path.startswith("../") or not (NOTEBOOK.parent / path).resolve().is_relative_to(repo):
            found.append(path)
    return found


def test_entries_are_well_formed():
    ids = [e.id for e in ERRATA]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for e in ERRATA:
        assert re.fullmatch(r"[MGV]\d+", e.id), e.id
        assert e.category in CATEGORIES, (e.id, e.category)
        assert e.where and e.problem and e.fix, e.id
        if HAN.search(e.quote):
            assert e.translation, f"{e.id}: Chinese prose needs an English translation"
        assert len(e.quote) <= 120, f"{e.id}: quote only the short fragment you correct"


def test_every_part_of_the_article_is_covered():
    prefixes = {e.id[0] for e in ERRATA}
    assert prefixes == {"M", "G", "V"}
    assert {e.category for e in ERRATA} == set(CATEGORIES)


def test_fatal_entries_exist_and_say_why():
    assert set(FATAL) <= {e.id for e in ERRATA}
    assert 4 <= len(FATAL) <= 10 and all(len(reason) > 20 for reason in FATAL.values())


def test_the_fatal_rule_is_applied_the_same_way_to_every_entry():
    """FATAL_RULE: a crash is fatal only if its smallest patch still leaves no gradient; silent defects and
    formulas are fatal when the model that trains is wrong (wrong data, not the model the article names)."""
    for erratum_id, reason in FATAL.items():
        kind = by_id(erratum_id).category
        if kind == "crash":  # the reason says what the smallest patch leaves
            assert "smallest patch" in reason and "gradient" in reason, erratum_id
        elif kind == "silent":
            assert reason.startswith("The code runs"), erratum_id
        else:
            assert kind == "maths" and reason.startswith("Implemented as written"), erratum_id
    # the two data overwrites and the two "no gradient" crashes are judged alike
    assert {"G8", "V8", "G11", "V12"} <= set(FATAL)
    # crashes fixed by their smallest patch are not fatal, however early they stop the run
    assert not {"G20", "G1", "G3", "G6", "G7", "V1", "V3", "V4", "V5"} & set(FATAL)


def test_crashes_are_listed_in_the_order_they_stop_the_run():
    crashes = [e.id for e in ERRATA if e.category == "crash"]
    assert sorted(STOP_ORDER) == sorted(crashes), "STOP_ORDER must hold every crash once"
    assert STOP_ORDER[0] == "G20" and STOP_ORDER.index("G20") < STOP_ORDER.index("G1")
    assert [i[0] for i in STOP_ORDER] == sorted(i[0] for i in STOP_ORDER), "the GAN listing's first, then the VAE's"
    assert [e.id for e in grouped()["crash"]] == [i for i in STOP_ORDER if i not in FATAL]
    crash = render.group_markdown("crash")
    assert crash.index("**G20**") < crash.index("**G1**") < crash.index("**G6**") < crash.index("**G7**")


def test_categories_are_defined_and_applied_consistently():
    assert set(KINDS) == set(CATEGORIES)
    same = [("G9", "V15"), ("G12", "V14"), ("G8", "V8"), ("G14", "V13")]  # the same defect in the two listings
    assert all(by_id(a).category == by_id(b).category for a, b in same)
    assert {by_id(i).category for i in ("M4", "M20", "M9", "M10", "M23")} == {"omission"}
    assert by_id("V6").category == "style"


def notebook_cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def test_notebook_03_needs_no_file_outside_the_repository():
    """Learners and CI have no article beside the repository: no cell, exercises included, may point at it."""
    for i, cell in enumerate(notebook_cells()):
        assert not paths_outside_the_repository(cell.source), f"cell {i} names a file outside the repository"


def test_the_outside_path_check_catches_what_it_should():
    for text in ("needs the article itself, `shared/seed/article-gans-vs-vaes.zh.md` beside the repository",
                 "open ../../notes/article.md", "read /work/seed/article.md", "see ~/article.md",
                 r"C:\\Users\\me\\article.md", "the article (article-gans-vs-vaes.zh.md)"):
        assert paths_outside_the_repository(text), text
    for text in ("see [the catalogue](../course_utils/errata/catalogue.py)", "x / 127.5 - 1, x / 255.",
                 "https://colab.research.google.com/github/gans-vs-vaes/course/blob/v0.2.0/notebooks/x.ipynb",
                 "p_{data}(x)/(p_{data}(x)+p_g(x))", "f'{save_dir}/vae_samples/x.png'",
                 "`tests/data/article_excerpts.json`"):
        assert not paths_outside_the_repository(text), text


def test_the_notebook_names_its_source_and_what_it_quotes():
    markdown = " ".join(notebook_markdown().split())  # the prose is wrapped
    assert SOURCE in markdown, "notebook 03's introduction must name the source (catalogue.SOURCE) verbatim"
    assert EXCERPTS["sha256"][:12] in markdown, "and the SHA-256 of the copy it corrects"
    assert "copyright" in markdown and "only the short lines" in markdown, "and say why it quotes no more"


def test_formulas_are_quoted_whole_beside_the_corrected_ones():
    known = {e.id for e in ERRATA}
    for f in FORMULAS:
        assert f.quote in EXCERPTS["lines"].values(), f"{f.what}: quote the article's formula line whole"
        assert set(f.entries) <= known and all(i[0] == "M" and f.where in by_id(i).where for i in f.entries)
        assert {e.id for e in ERRATA if e.quote in f.quote} <= set(f.entries), "name every entry quoting the formula"
        assert all(i in f.note for i in f.entries), f"{f.what}: say what each entry changes"
    shown = render.formulas_markdown()
    assert all(f"$$\n{f.quote}\n$$" in shown and f"$$\n{f.corrected}\n$$" in shown for f in FORMULAS)
    code = "\n".join(c.source for c in notebook_cells() if c.cell_type == "code")
    assert "render.formulas_markdown()" in code, "notebook 03 must show the formulas"


def test_the_notebook_states_the_rule_and_the_kinds():
    markdown = notebook_markdown()
    assert FATAL_RULE in markdown, "notebook 03 §2 must state catalogue.FATAL_RULE verbatim"
    assert render.kinds_markdown() in markdown, "notebook 03 §1 must list catalogue.KINDS (render.kinds_markdown())"


# --- quotes: verbatim, checked against the stored lines (always) and the article (where present) -----

@pytest.mark.parametrize("entry", ERRATA, ids=lambda e: e.id)
def test_quote_is_in_a_stored_line_of_the_article(entry):
    """In a stored fragment; or, for a code entry, whole statements of the article's listings (exercise 5)."""
    assert article.quote_in_lines(entry.quote, EXCERPTS["lines"]) or (
        entry.id[0] in "GV" and article.quote_is_article_code(entry.quote, EXCERPTS["statements"])), (
        f"{entry.id}: quote not in tests/data/article_excerpts.json (a code entry may quote a whole line that a "
        "corrected listing keeps untagged); a maintainer with the article runs `python tools/article_excerpts.py`")


def test_stored_lines_are_only_what_the_quotes_need():
    """Only what the course quotes is stored: every character of every stored fragment lies in a quote."""
    assert EXCERPTS["lines"] == {n: EXCERPTS["lines"][n] for n in sorted(EXCERPTS["lines"])}
    parts = {part for quote in article.all_quotes() for part in quote.split("\n") if part}
    for n, stored in EXCERPTS["lines"].items():
        for fragment in stored.split(article.GAP):
            assert len(fragment) <= 120, f"line {n}: store only the short fragment the course quotes"
            covered = [False] * len(fragment)
            for part in parts:
                for m in re.finditer(re.escape(part), fragment):
                    covered[m.start():m.end()] = [True] * len(part)
            assert all(covered), f"line {n}: stored text that no quote needs: {fragment!r}"


def test_only_fragments_are_stored():
    """A line whose quotes leave gaps keeps only the quoted fragments, the gaps marked."""
    text = "line one\nA long line: the quote, then more text, and a second quote.\nthe quote"
    assert article.quoted_lines(text, ["the quote", "a second quote"]) == {2: "the quote [...] a second quote"}
    assert article.quoted_lines(text, ["one\nA long", "long line"]) == {1: "one", 2: "A long line"}


@pytest.mark.skipif(not article.ARTICLE_PATH.exists(), reason="the article is in shared/ beside the repository")
def test_stored_excerpts_match_the_article():
    text = article.ARTICLE_PATH.read_text(encoding="utf-8")
    assert article.sha256(text) == EXCERPTS["sha256"], "the article changed: re-check the catalogue"
    lines = text.splitlines()
    assert all(part in lines[n - 1] for n, line in EXCERPTS["lines"].items() for part in line.split(article.GAP)), \
        "stored fragments are not verbatim"
    missing = [quote for quote in article.all_quotes() if quote not in text]
    assert not missing, f"quotes not found in the article: {missing}"
    assert all(text.count(f"\n{f.quote}\n") == 1 for f in FORMULAS), "each formula is one whole line of the article"
    fresh = article.excerpts(text)
    assert fresh["lines"] == {str(n): line for n, line in EXCERPTS["lines"].items()}, \
        "run `python tools/article_excerpts.py` to store the fragments the quotes need"
    assert fresh["statements"] == EXCERPTS["statements"]
    assert fresh["functions"] == EXCERPTS["functions"]
    blocks = article.code_blocks(text)
    for e in ERRATA:  # `where` says which listing a code entry's quote is in
        if e.id[0] == "G" and e.quote in blocks["vae"]:
            assert "4.2.1" in e.where and e.fixed_vae, f"{e.id}: its line is in the VAE listing too"


def test_a_new_code_entry_may_quote_a_kept_line_of_a_corrected_listing():
    """Exercise 5 of notebook 03, without the article: an untagged line of a corrected listing is the article's
    own statement, which its stored fingerprint confirms; a changed or course-written line is not."""
    assert article.quote_is_article_code("    x = Dropout(0.3)(x)", EXCERPTS["statements"])
    assert article.quote_is_article_code("x = LeakyReLU(0.2)(x)\nx = Dropout(0.3)(x)", EXCERPTS["statements"])
    for wrong in ("x = Dropout(0.5)(x)",  # the article's line, changed
                  "x = Dense(7*7*256, use_bias=False)(input_layer)",  # a fixed line, the course's
                  "g_loss = bce(tf.ones_like(fake_output), fake_output)",
                  "判别器输出一个概率值", "x = (", ""):
        assert not article.quote_is_article_code(wrong, EXCERPTS["statements"]), wrong


def test_quote_lookup_is_not_vacuous():
    assert not article.quote_in_lines("生成对抗网络与变分自编码器的比较", EXCERPTS["lines"])
    two = {10: "a = 1", 11: "b = 2"}
    assert article.quote_in_lines("a = 1\nb = 2", two) and not article.quote_in_lines("b = 2\na = 1", two)


# --- reproductions -----------------------------------------------------------------------------

@pytest.mark.parametrize("erratum_id", sorted(REPRODUCTIONS))
def test_reproduction_shows_what_the_entry_claims(erratum_id):
    outcome = reproductions.run(erratum_id)
    for claim in reproductions.claims(erratum_id):
        assert claim in outcome, f"{erratum_id}: the article's code now gives: {outcome}"


def test_every_reproduction_belongs_to_an_entry():
    assert set(REPRODUCTIONS) <= {e.id for e in ERRATA}


def test_g8_reproduction_fails_when_the_data_set_is_kept():
    """The G8 reproduction measures: with the data set kept (the fix), its claim must not hold."""
    kept = (reproductions.code("G8")
            .replace(reproductions.G8_LINE, "batch = np.arange(60000)[np.random.randint(0, 60000, batch_size)]")
            .replace("np.unique(real_images)", "np.unique(batch)"))
    assert kept != reproductions.code("G8")
    outcome = reproductions.run_code(kept)
    assert not any(claim in outcome for claim in reproductions.claims("G8")), outcome


def test_pool_collapse_backs_the_numbers_of_g8_and_v8():
    summary = reproductions.collapse_summary(reproductions.pool_collapse(range(2000)))
    assert round(summary["mean"]) == 255 and summary["median"] == 220
    assert (round(summary["p5"]), round(summary["p95"]), summary["max"]) == (98, 541, 1012)
    assert summary["after_2_median"] == 81 and summary["after_100_median"] == 3
    assert (summary["after_100_min"], summary["after_100_max"]) == (1, 6)
    for number in ("Over 2000 seeds", "median of 81 after step 2 and 3 after step 100", "255 steps on average",
                   "2N = 256", "median 220", "between 98 and 541 steps", f"at least {100000 - 1012:,} in every run"):
        assert number in by_id("G8").problem, number
    assert "255 steps on average (2000 seeds)" in FATAL["G8"]
    assert "median 3, range 1-6 over 2000" in by_id("V8").problem
    kept = reproductions.pool_collapse(range(3), max_steps=300, overwrite=False)
    assert kept["steps_to_one"] == [None] * 3 and min(kept["after_100"]) > 100


def test_expected_distinct_step2_is_the_exact_expectation():
    rng = np.random.default_rng(5)
    first = rng.integers(0, 60000, (20000, 128))
    second = np.sort(np.take_along_axis(first, rng.integers(0, 128, (20000, 128)), axis=1), axis=1)
    distinct = 1 + (np.diff(second, axis=1) != 0).sum(axis=1)
    exact = reproductions.expected_distinct_step2()
    assert abs(distinct.mean() - exact) < 4 * distinct.std() / np.sqrt(len(distinct))
    assert 81.03 < exact < 81.05 < 128 * (1 - (1 - 1 / 128) ** 128)  # the first batch's repeats cost about 0.05


@pytest.mark.skipif(not article.ARTICLE_PATH.exists(), reason="the article is in shared/ beside the repository")
def test_m22_repetition_numbers():
    text = article.ARTICLE_PATH.read_text(encoding="utf-8")
    pairs = [("2.2变分自编码器VAEs", "3.2.1算法原理"), ("2.1生成对抗网络GANs", "3.1.1算法原理")]
    found = [(article.shared_characters(article.section(text, a), article.section(text, b)),
              len(article.section(text, b))) for a, b in pairs]
    assert found == [(130, 130), (129, 165)]
    assert "all 130 characters of §3.2.1 and 129 of the 165 of §3.1.1" in by_id("M22").problem


def test_shown_code_cuts_only_whole_blocks():
    for erratum_id in REPRODUCTIONS:
        shown, run = reproductions.shown_code(erratum_id), reproductions.code(erratum_id)
        kept = [line for line in shown.splitlines() if not line.startswith("#") or line in run]
        assert all(line in run.splitlines() or line.strip() in run for line in kept), erratum_id
    assert "def build_generator" not in reproductions.shown_code("G3")
    assert "# [build_generator(): the article's" in reproductions.shown_code("G3")


# --- the corrected listings: tags on the lines that fix, every departure tagged ----------------

def test_every_code_entry_names_its_fixed_lines():
    """A code entry names the lines that fix it, or (a fix that only deletes) the statements it deletes."""
    def fixed(e, listing):
        return e.fixed_in(listing) or e.id in listings.REWRITTEN[listing]

    for e in ERRATA:
        if e.id[0] == "G":
            assert fixed(e, "gan"), f"{e.id}: name the line of article_gan_fixed.py that fixes it"
        if e.id[0] == "V":
            assert fixed(e, "vae"), f"{e.id}: name the line of article_vae_fixed.py that fixes it"
        if e.id[0] == "G" and "4.2.1" in e.where:
            assert fixed(e, "vae"), f"{e.id}: its line is in the VAE listing too"


def test_no_code_line_claims_to_fix_a_prose_defect():
    """An M entry may tag a line only where the line computes the formula the entry corrects or supplies
    (wrong maths, or an omission); misleading prose and style (M3: the order of the steps) are fixed in prose."""
    tagged_m = set()
    for listing in LISTINGS:
        for t in listings.tags(listings.source(listing)):
            for erratum_id in t.ids:
                if erratum_id[0] == "M":
                    assert by_id(erratum_id).category in {"maths", "omission"}, (listing, t.line, erratum_id)
                    tagged_m.add((listing, erratum_id))
    assert "M3" not in {i for _, i in tagged_m} and not by_id("M3").fixed_gan
    assert {listing for listing, _ in tagged_m} == set(LISTINGS), "tag the maths either in both listings or in neither"
    for e in ERRATA:
        if e.id[0] == "M" and (e.fixed_gan or e.fixed_vae):
            assert e.category in {"maths", "omission"}, e.id


@pytest.mark.parametrize("listing", LISTINGS)
def test_every_named_fragment_lies_on_a_line_tagged_with_its_entry(listing):
    tags = listings.tags(listings.source(listing))
    for e in ERRATA:
        for fragment in e.fixed_in(listing):
            assert any(fragment in t.code and e.id in t.ids for t in tags), \
                f"{e.id}: no line of the {listing} listing holds {fragment!r} and carries '# fixes {e.id}'"


@pytest.mark.parametrize("listing", LISTINGS)
def test_every_tag_sits_on_a_line_that_fixes_its_entry(listing):
    known = {e.id for e in ERRATA}
    for t in listings.tags(listings.source(listing)):
        assert t.ids or t.reason, f"line {t.line}: a tag needs an id or a reason"
        for erratum_id in t.ids:
            assert erratum_id in known, f"line {t.line}: no entry {erratum_id}"
            fragments = by_id(erratum_id).fixed_in(listing)
            assert any(f in t.code for f in fragments), \
                f"line {t.line} carries '# fixes {erratum_id}' but is none of the lines {erratum_id} names: {t.code!r}"


@pytest.mark.parametrize("listing", LISTINGS)
def test_every_departure_from_the_article_carries_a_tag(listing):
    article_statements = EXCERPTS["statements"][listing]
    missing = listings.unaccounted(listings.source(listing), article_statements, EXCERPTS["functions"][listing])
    assert not missing, f"untagged changes to the article's code (tag them or revert them): {missing}"


@pytest.mark.parametrize("listing", LISTINGS)
def test_every_statement_of_the_article_is_kept_or_named_by_its_entry(listing):
    article_statements = EXCERPTS["statements"][listing]
    deleted = listings.unaccounted_deletions(listings.source(listing), article_statements, listing)
    assert not deleted, (f"article statements (by article line) that the {listing} listing no longer has and no "
                         f"entry in listings.REWRITTEN names: {deleted}")


@pytest.mark.parametrize("listing", LISTINGS)
def test_rewritten_names_only_article_statements_that_are_gone(listing):
    article_fingerprints = {fp for _, fp in EXCERPTS["statements"][listing]}
    gone = {fp for _, fp in listings.not_kept(listings.source(listing), EXCERPTS["statements"][listing])}
    for key, named in listings.REWRITTEN[listing].items():
        assert key == listings.CHANGE or key in {e.id for e in ERRATA}, key
        if key != listings.CHANGE:
            entry = by_id(key)
            assert key[0] in "MV" or SECTION_OF[listing] in entry.where, f"{key} is not about the {listing} listing"
        for statement in named:
            assert len(listings.statements(statement)) == 1, f"{key}: name one statement at a time: {statement!r}"
            fp = listings.fingerprint(listings.statements(statement)[0][2])
            assert fp in article_fingerprints, f"{key}: not in the article's {listing} listing: {statement!r}"
            assert fp in gone, f"{key}: the {listing} listing keeps {statement!r}; naming it would hide its deletion"


SECTION_OF = {"gan": "4.1.1", "vae": "4.2.1"}


def test_departure_check_catches_an_untagged_change():
    text = listings.source("gan")
    article_statements, functions = EXCERPTS["statements"]["gan"], EXCERPTS["functions"]["gan"]
    untagged = text.replace("  # fixes G4: MNIST is grey", "")
    assert [s for _, s in listings.unaccounted(untagged, article_statements, functions)] == \
        ["input_layer = Input ( shape = ( 28 , 28 , 1 , ) )"]
    narrowed = text.replace("Conv2D(128, (5, 5)", "Conv2D(32, (5, 5)")  # an article line, changed silently
    assert len(listings.unaccounted(narrowed, article_statements, functions)) == 1
    assert not listings.unaccounted(text, article_statements, functions)
    doubled = text.replace("    x = Flatten()(x)\n", "    x = Dropout(0.3)(x)\n    x = Flatten()(x)\n")
    assert len(listings.unaccounted(doubled, article_statements, functions)) == 1, "a third Dropout is no article line"


@pytest.mark.parametrize("line", ["    x = Dropout(0.3)(x)\n", "    x = LeakyReLU(0.2)(x)\n",
                                  "    img = img.astype(np.uint8)\n"])
def test_departure_check_catches_a_deleted_article_line(line):
    """Deleting an article statement (the first of two Dropouts, of two LeakyReLUs, the uint8 cast) is caught."""
    text = listings.source("gan")
    assert line in text
    deleted = text.replace(line, "", 1)
    article_statements = EXCERPTS["statements"]["gan"]
    assert len(listings.unaccounted_deletions(deleted, article_statements, "gan")) == 1
    assert not listings.unaccounted(deleted, article_statements, EXCERPTS["functions"]["gan"])
    assert not listings.unaccounted_deletions(text, article_statements, "gan")


def test_departure_check_catches_a_deletion_hidden_behind_a_tag():
    """A kept article line that is tagged no longer counts as kept: the article's statement must be named."""
    text = listings.source("gan")
    tagged = text.replace("    x = Flatten()(x)\n", "    x = Flatten()(x)  # fixes G4: pretend\n")
    assert len(listings.unaccounted_deletions(tagged, EXCERPTS["statements"]["gan"], "gan")) == 1


def test_side_by_side_pairs_each_quote_with_its_fixed_lines():
    for listing in LISTINGS:
        table = listings.side_by_side(listing)
        for erratum_id in listings.entries_fixed_in(listing):
            assert f"<b>{erratum_id}</b>" in table
        assert table.count("<tr>") == 1 + len(listings.entries_fixed_in(listing)) + sum(
            not t.ids for t in listings.tags(listings.source(listing)))
    gan = listings.side_by_side("gan")
    row = next(r for r in gan.split("<tr>") if "<b>G3</b>" in r)
    assert "Dense(4*4*256" in row and "Dense(7*7*256" in row and "L" in row
    row = next(r for r in gan.split("<tr>") if "<b>G5</b>" in r)
    assert "(deleted)" in row and "<code>x = BatchNormalization(momentum=0.8)(x)</code><br><code>output_layer" in row


def test_render_shows_each_entry_with_its_reproduction():
    crash = render.group_markdown("crash")
    assert "**G6**" in crash and "Argument(s) not recognized" in crash
    fatal = render.fatal_markdown()
    assert all(f"**{i}**" in fatal for i in FATAL) and "Why it is fatal" in fatal
    assert "one image fills the whole batch from step 251" in fatal
    assert render.escape("mu * sigma, z_mean, `a*b`") == r"mu \* sigma, z\_mean, `a*b`"


@pytest.mark.parametrize("listing", ["article_gan_fixed", "article_vae_fixed"])
def test_corrected_listings_run_end_to_end(listing, tmp_path):
    import importlib

    module = importlib.import_module(f"course_utils.errata.{listing}")
    _, row = module.main(epochs=1, n_train=256, save_dir=str(tmp_path))
    assert row.shape == (28, 11 * 28) and row.dtype.name == "uint8"  # ten samples, then a real image
    assert len(list(tmp_path.glob("*_epoch_0.weights.h5"))) >= 1 and len(list(tmp_path.glob("*.png"))) == 1


def test_gan_step_trains_each_network_on_its_own_loss_with_the_updated_discriminator():
    """M3's fix: D's update first, then G's loss from a second forward pass through the updated D."""
    import keras
    import numpy as np
    import tensorflow as tf

    from course_utils.errata import article_gan_fixed as gan

    keras.utils.set_random_seed(0)
    g, d = gan.build_generator(), gan.build_discriminator()
    g_opt, d_opt = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    real = tf.constant(np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)), tf.float32)
    g0, d0 = [w.numpy().copy() for w in g.trainable_variables], [w.numpy().copy() for w in d.trainable_variables]
    _, g_loss = gan.train_step(g, d, g_opt, d_opt, real)
    assert all(not np.array_equal(a, w.numpy()) for a, w in zip(d0, d.trainable_variables))
    assert any(not np.array_equal(a, w.numpy()) for a, w in zip(g0, g.trainable_variables))
    source = listings.source("gan")
    step = source[source.index("def train_step"):source.index("def train(")]
    # the article's design: two D steps (its two train_on_batch calls, real then generated), then G's step
    assert step.count("d_optimizer.apply_gradients") == 2
    assert step.index("real_tape") < step.index("fake_tape") < step.rindex("d_optimizer.apply_gradients") \
        < step.index("with tf.GradientTape() as g_tape")
    assert step.count("discriminator(") >= 3, "G's loss needs its own pass through the updated D"
    assert np.isfinite(float(g_loss))


def test_corrected_gan_widths_and_the_weight_count_the_notebook_quotes():
    from course_utils.errata import article_gan_fixed as gan

    g, d = gan.build_generator(), gan.build_discriminator()
    kinds = ("Reshape", "Conv2DTranspose")
    shapes = [tuple(layer.output.shape[1:]) for layer in g.layers if type(layer).__name__ in kinds]
    assert shapes == [(7, 7, 256), (14, 14, 128), (28, 28, 1)]
    assert [layer.filters for layer in d.layers if type(layer).__name__ == "Conv2D"] == [64, 128]  # the article's
    assert f"{g.count_params():,}" == "1,831,425" and "1,831,425" in notebook_markdown()


@pytest.mark.parametrize("listing", ["article_gan_fixed", "article_vae_fixed"])
def test_corrected_listings_print_the_epoch_mean_loss(listing):
    source = listings.source(listing.removeprefix("article_").removesuffix("_fixed"))
    assert "keras.metrics.Mean()" in source and ".update_state(" in source and ".result()" in source
