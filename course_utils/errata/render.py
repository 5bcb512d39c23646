"""Notebook 03's views of the catalogue: the article's two formulas beside the corrected ones, the
fatal defects, then the rest grouped by kind.

Each entry is rendered as Markdown: its id, kind and place, the article's fragment (with an
English translation for Chinese prose), what goes wrong and the fix, and -- where it has one --
its reproduction right below it: the code as run (``reproductions.shown_code``: whole, with the
article's long definitions replaced by one marked line) and what it printed or raised, run
when the view is rendered, against the Keras installed here.
"""

from __future__ import annotations

import collections
import re
import textwrap

from course_utils.errata import reproductions
from course_utils.errata.catalogue import CATEGORIES, ERRATA, FATAL, FORMULAS, KINDS, Erratum, by_id, grouped

_SPECIAL = re.compile(r"([\\*_$<~\[\]])")


def escape(text: str) -> str:
    """Escape Markdown's special characters outside `code spans`, so prose such as ``mu * sigma``,
    ``z_mean`` or ``$`` shows as written."""
    parts = text.split("`")
    return "`".join(part if i % 2 else _SPECIAL.sub(r"\\\1", part) for i, part in enumerate(parts))


def _fence(text: str, language: str = "") -> str:
    return f"```{language}\n{text}\n```"


def reproduction_markdown(erratum_id: str) -> str:
    """The reproduction's code and its outcome, run now."""
    return (f"Reproduction:\n\n{_fence(reproductions.shown_code(erratum_id), 'python')}\n\n"
            f"Outcome:\n\n{_fence(reproductions.run(erratum_id))}")


def entry_markdown(entry: Erratum, fatal_reason: str = "") -> str:
    """One entry, and its reproduction if it has one."""
    parts = [f"**{entry.id}** · {CATEGORIES[entry.category]} · {escape(entry.where)}"]
    if entry.id[0] in "GV":
        parts.append(_fence(textwrap.dedent(entry.quote), "python"))
    else:
        parts.append(f"> `{entry.quote}`" + (f"<br>*“{escape(entry.translation)}”*" if entry.translation else ""))
    if fatal_reason:
        parts.append(f"**Why it is fatal.** {escape(fatal_reason)}")
    parts.append(f"**What goes wrong.** {escape(entry.problem)}")
    parts.append(f"**Fix.** {escape(entry.fix)}")
    if entry.id in reproductions.REPRODUCTIONS:
        parts.append(reproduction_markdown(entry.id))
    return "\n\n".join(parts)


def formulas_markdown() -> str:
    """The article's two objectives (``catalogue.FORMULAS``), each quoted whole and then corrected, with the
    entries that correct it and what changed (LaTeX, which Markdown cells render)."""
    parts = [f"**{f.what}.** The article ({f.where}), verbatim:\n\n$$\n{f.quote}\n$$\n\n"
             f"Corrected ({', '.join(f.entries)}):\n\n$$\n{f.corrected}\n$$\n\n{f.note}" for f in FORMULAS]
    return "\n\n---\n\n".join(parts)


def fatal_markdown() -> str:
    """The fatal defects (``catalogue.FATAL``), each with why it is fatal and its reproduction."""
    return "\n\n---\n\n".join(entry_markdown(by_id(i), reason) for i, reason in FATAL.items())


def group_markdown(category: str) -> str:
    """The non-fatal entries of one category, each followed by its reproduction."""
    entries = grouped()[category]
    return "\n\n---\n\n".join(entry_markdown(e) for e in entries)


def kinds_markdown() -> str:
    """The categories and what puts an entry in each (``catalogue.KINDS``), as a Markdown list."""
    return "\n".join(f"- *{CATEGORIES[c]}*: {escape(rule)}" for c, rule in KINDS.items())


def counts() -> str:
    """One line: how many entries, how many fatal, how many of each kind, how many reproduced."""
    kinds = collections.Counter(e.category for e in ERRATA)
    by_kind = ", ".join(f"{kinds[c]} {name}" for c, name in CATEGORIES.items())
    reproduced = sum(e.id in reproductions.REPRODUCTIONS for e in ERRATA)
    return (f"{len(ERRATA)} defects ({by_kind}); {len(FATAL)} of them fatal; "
            f"{reproduced} with a reproduction")
