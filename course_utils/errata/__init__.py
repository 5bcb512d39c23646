"""The errata of the source article: what is wrong with it, shown, and fixed (notebook 03).

- ``catalogue``: the defects as data, one ``Erratum`` per defect (``ERRATA``), each quoting the short
  fragment of the article it corrects and naming the line of the corrected listing that fixes it; the
  kinds (``CATEGORIES``, defined in ``KINDS``); ``FATAL``, the defects that ``FATAL_RULE`` calls fatal;
  ``STOP_ORDER``, the crashes in the order in which they stop the run; ``FORMULAS``, the article's two
  objectives quoted whole beside the corrected ones; ``SOURCE``, how the course names the article (which
  it does not ship: it quotes only the short lines it corrects);
- ``reproductions``: minimal runs of the code defects (and numerical checks of a few maths claims)
  against the installed Keras, with the outcome each entry claims (the tests check every claim);
- ``article_gan_fixed``, ``article_vae_fixed``: the article's two listings, corrected, every line that
  differs from the article tagged with the entry it fixes (or marked as a change that fixes none);
- ``listings``: those tags; the checks that every added or changed line carries one and that every
  statement of the article is kept or named by the entry that rewrites or removes it (``REWRITTEN``);
  and the side-by-side table of the article's lines and the fixed ones (the article's hash, quoted lines
  and code fingerprints that the tests compare with are stored by ``tools/article_excerpts.py``);
- ``render``: the notebook's views of the catalogue (the fatal defects, then the rest by kind, each
  with its reproduction).
"""

from course_utils.errata.catalogue import (
    CATEGORIES,
    ERRATA,
    FATAL,
    FATAL_RULE,
    FORMULAS,
    KINDS,
    SOURCE,
    STOP_ORDER,
    Erratum,
    Formula,
    by_id,
    grouped,
)

__all__ = ["CATEGORIES", "ERRATA", "FATAL", "FATAL_RULE", "FORMULAS", "KINDS", "SOURCE", "STOP_ORDER", "Erratum",
           "Formula", "by_id", "grouped"]
