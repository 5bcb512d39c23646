"""Maintainer tool: store what the tests need of the article, so that its checks run on any clone.

The article itself lives beside the repository (``shared/seed/article-gans-vs-vaes.zh.md``)
and is not shipped. ``tests/data/article_excerpts.json`` keeps just enough to check the
catalogue and the corrected listings without it:

- the article's SHA-256, so a changed article is noticed;
- the quoted fragments of the lines the catalogue's quotes and formulas come from (the first
  occurrence of each quote; ``GAP`` marks where a line's fragments do not touch, and the rest of
  the line is not stored), so a test can check each quote is verbatim;
- a fingerprint (a short hash) of every statement of its two code listings, in order and with the
  article line it starts on, and the names of their functions, so a test can tell which lines of a
  corrected listing depart from the article and which of the article's statements it no longer
  has -- without storing the article's code.

Where the article is present, a test checks the stored file against it. After adding an entry
to the catalogue, ``python tools/article_excerpts.py`` rewrites the file from the article.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import textwrap
import tokenize
from pathlib import Path

from course_utils.errata.listings import fingerprint, function_names, statements

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTICLE_PATH = REPO_ROOT.parent / "shared" / "seed" / "article-gans-vs-vaes.zh.md"
EXCERPTS_PATH = REPO_ROOT / "tests" / "data" / "article_excerpts.json"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_CODE = re.compile(r"```python\n(.*?)\n```", flags=re.DOTALL)


def code_blocks(article_text: str) -> dict[str, str]:
    """The article's two Python listings: ``{"gan": §4.1.1, "vae": §4.2.1}``."""
    gan, vae = _CODE.findall(article_text)
    return {"gan": gan, "vae": vae}


def article_statements(article_text: str) -> dict[str, list[list]]:
    """Each listing's statements in order, as [article line it starts on, fingerprint]."""
    starts = [article_text.count("\n", 0, m.start(1)) + 1 for m in _CODE.finditer(article_text)]
    return {name: [[start + first - 1, fingerprint(text)] for first, _, text in statements(code)]
            for start, (name, code) in zip(starts, code_blocks(article_text).items())}


def shared_characters(a: str, b: str) -> int:
    """How many characters of ``b`` appear in ``a`` in the same order (difflib's matching blocks):
    a measure of how much of one section repeats another."""
    return sum(block.size for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())


def section(article_text: str, heading: str) -> str:
    """The text of the section under ``heading`` (its whole heading line, without the #s), up to the next heading."""
    lines = article_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip("#").strip() == heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    return "\n".join(lines[start:end]).strip()


GAP = " [...] "  # between two quoted fragments of one line (the article has no such text)


def quoted_lines(article_text: str, quotes) -> dict[int, str]:
    """The quoted part of each line (numbered from 1) that holds part of a quote's first occurrence: the
    line's quoted fragments, overlapping ones merged, in order and joined by ``GAP``. Nothing else of the
    line is kept, so what is stored is what the course quotes."""
    lines = article_text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    spans: dict[int, list[tuple[int, int]]] = {}
    for quote in quotes:
        start = article_text.index(quote)
        first = article_text.count("\n", 0, start)
        for n in range(first, first + quote.count("\n") + 1):
            spans.setdefault(n, []).append((max(start, starts[n]) - starts[n],
                                            min(start + len(quote), starts[n] + len(lines[n])) - starts[n]))
    fragments = {}
    for n, found in sorted(spans.items()):
        merged: list[list[int]] = []
        for a, b in sorted(found):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        fragments[n + 1] = GAP.join(lines[n][a:b] for a, b in merged)
    return fragments


def all_quotes() -> list[str]:
    """What the course quotes from the article: the catalogue's quotes and its two formulas."""
    from course_utils.errata.catalogue import ERRATA, FORMULAS

    return [e.quote for e in ERRATA] + [f.quote for f in FORMULAS]


def quote_in_lines(quote: str, lines: dict[int, str]) -> bool:
    """Is ``quote`` in one of the stored fragments, or across consecutive lines' fragments?"""
    for first in lines:
        text, number = lines[first], first
        while number + 1 in lines and quote.count("\n") > text.count("\n"):
            number += 1
            text += "\n" + lines[number]
        if quote in text:
            return True
    return False


def quote_is_article_code(quote: str, stored_statements: dict[str, list[list]]) -> bool:
    """Is ``quote`` one or more whole statements of the article's listings (checked by their fingerprints,
    so it works without the article)? Every untagged line of a corrected listing is such a statement."""
    try:
        found = statements(textwrap.dedent(quote))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return False
    article = {fp for listing in stored_statements.values() for _, fp in listing}
    return bool(found) and all(fingerprint(text) in article for *_, text in found)


def excerpts(article_text: str) -> dict:
    """Everything ``tests/data/article_excerpts.json`` holds, computed from the article."""
    blocks = code_blocks(article_text)
    return {
        "article": "shared/seed/article-gans-vs-vaes.zh.md",
        "sha256": sha256(article_text),
        "lines": {str(n): line for n, line in quoted_lines(article_text, all_quotes()).items()},
        "statements": article_statements(article_text),
        "functions": {k: function_names(code) for k, code in blocks.items()},
    }


def load_excerpts(path: Path = EXCERPTS_PATH) -> dict:
    stored = json.loads(Path(path).read_text(encoding="utf-8"))
    stored["lines"] = {int(n): line for n, line in stored["lines"].items()}
    return stored


def write_excerpts(article_path: Path = ARTICLE_PATH, path: Path = EXCERPTS_PATH) -> dict:
    """Recompute the excerpts from the article and store them (after editing the catalogue)."""
    data = excerpts(Path(article_path).read_text(encoding="utf-8"))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return data


if __name__ == "__main__":
    written = write_excerpts()
    print(f"{EXCERPTS_PATH}: the quoted fragments of {len(written['lines'])} lines, "
          f"article sha256 {written['sha256'][:12]}...")
