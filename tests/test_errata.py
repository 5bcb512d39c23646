"""The errata catalogue is data: check it is complete, well-formed and quotes the article exactly."""

import re

import pytest

from course_utils.config import REPO_ROOT
from course_utils.errata import CATEGORIES, ERRATA

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
