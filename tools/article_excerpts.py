"""Maintainer tool: store what the tests need of the article, so that its checks run on any clone.

The article itself lives beside the repository (``shared/seed/article-gans-vs-vaes.zh.md``)
and is not shipped. ``tests/data/article_excerpts.json`` keeps just enough to check the
catalogue and the corrected listings without it:

- the article's SHA-256, so a changed article is noticed;
- the lines the catalogue's quotes come from (the first occurrence of each quote), so a test
  can check each quote is verbatim;
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


def quoted_lines(article_text: str, quotes) -> dict[int, str]:
    """The lines (numbered from 1) that hold the first occurrence of each quote."""
    lines = {}
    for quote in quotes:
        start = article_text.index(quote)
        first = article_text.count("\n", 0, start) + 1
        for number in range(first, first + quote.count("\n") + 1):
            lines[number] = article_text.splitlines()[number - 1]
    return dict(sorted(lines.items()))


def quote_in_lines(quote: str, lines: dict[int, str]) -> bool:
    """Is ``quote`` in one of the stored lines, or across consecutive ones?"""
    for first in lines:
        text, number = lines[first], first
        while number + 1 in lines and quote.count("\n") > text.count("\n"):
            number += 1
            text += "\n" + lines[number]
        if quote in text:
            return True
    return False


def excerpts(article_text: str) -> dict:
    """Everything ``tests/data/article_excerpts.json`` holds, computed from the article."""
    from course_utils.errata.catalogue import ERRATA

    blocks = code_blocks(article_text)
    return {
        "article": "shared/seed/article-gans-vs-vaes.zh.md",
        "sha256": sha256(article_text),
        "lines": {str(n): line for n, line in quoted_lines(article_text, [e.quote for e in ERRATA]).items()},
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
    print(f"{EXCERPTS_PATH}: {len(written['lines'])} quoted lines, article sha256 {written['sha256'][:12]}...")
