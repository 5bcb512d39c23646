"""The errata catalogue is data: check it is complete, well-formed and quotes the article exactly."""

import re

import pytest

from course_utils.config import REPO_ROOT
from course_utils.errata import CATEGORIES, ERRATA, reproductions
from course_utils.errata.reproductions import REPRODUCTIONS

ARTICLE = REPO_ROOT.parent / "shared" / "seed" / "article-gans-vs-vaes.zh.md"
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_entries_are_well_formed():
    ids = [e.id for e in ERRATA]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for e in ERRATA:
        assert re.fullmatch(r"[MGV]\d+", e.id), e.id
        assert e.category in CATEGORIES, (e.id, e.category)
        assert e.where and e.problem and e.fix, e.id
        if HAN.search(e.quote):
            assert e.translation, f"{e.id}: Chinese prose needs an English translation"


def test_every_part_of_the_article_is_covered():
    prefixes = {e.id[0] for e in ERRATA}
    assert prefixes == {"M", "G", "V"}
    assert {e.category for e in ERRATA} == set(CATEGORIES)


@pytest.mark.skipif(not ARTICLE.exists(), reason="the source article is in shared/ beside the repository")
def test_quotes_are_verbatim_from_the_article():
    article = ARTICLE.read_text(encoding="utf-8")
    missing = [e.id for e in ERRATA if e.quote not in article]
    assert not missing, f"quotes not found in the article: {missing}"


@pytest.mark.parametrize("erratum_id", sorted(REPRODUCTIONS))
def test_reproduction_shows_what_the_entry_claims(erratum_id):
    outcome = reproductions.run(erratum_id)
    assert REPRODUCTIONS[erratum_id][1] in outcome, f"{erratum_id}: the article's code now gives: {outcome}"


def test_every_reproduction_belongs_to_an_entry():
    assert set(REPRODUCTIONS) <= {e.id for e in ERRATA}


def test_every_code_defect_is_fixed_on_a_named_line_of_the_corrected_listings():
    from course_utils.errata import article_gan_fixed, article_vae_fixed, fix_lines

    gan_fixes, vae_fixes = fix_lines(article_gan_fixed.__file__), fix_lines(article_vae_fixed.__file__)
    unfixed = [e.id for e in ERRATA if (e.id.startswith("G") and e.id not in gan_fixes)
               or (e.id.startswith("V") and e.id not in vae_fixes)]
    assert not unfixed, f"no '# fixes' line for {unfixed}"


@pytest.mark.parametrize("listing", ["article_gan_fixed", "article_vae_fixed"])
def test_corrected_listings_run_end_to_end(listing, tmp_path):
    import importlib

    module = importlib.import_module(f"course_utils.errata.{listing}")
    _, row = module.main(epochs=1, n_train=256, save_dir=str(tmp_path))
    assert row.shape == (28, 280) and row.dtype.name == "uint8"
    assert len(list(tmp_path.glob("*_epoch_0.weights.h5"))) >= 1 and len(list(tmp_path.glob("*.png"))) == 1
