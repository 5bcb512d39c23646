"""The errata of the source article: what is wrong with it, shown, and fixed (notebook 03).

- ``catalogue``: the defects as data, one ``Erratum`` per defect (``ERRATA``), each quoting the short
  fragment of the article it corrects;
- ``reproductions``: minimal runs of the code defects against the installed Keras, with the outcome
  each entry claims (the tests check every claim);
- ``article_gan_fixed``, ``article_vae_fixed``: the article's two listings, corrected, every changed
  line tagged with the entry it fixes.
"""

from course_utils.errata.catalogue import CATEGORIES, ERRATA, Erratum, fix_lines, markdown_table

__all__ = ["CATEGORIES", "ERRATA", "Erratum", "fix_lines", "markdown_table"]
