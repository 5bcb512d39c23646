"""The corrected listings against the article: their tags, their departures, the side-by-side table.

Every line of a corrected listing (``article_gan_fixed``, ``article_vae_fixed``) that is not
the article's own ends in one of two tags:

- ``# fixes G3, G23: why`` -- the catalogue entries the line corrects (the ids before the first
  colon; without a colon, every id in the comment);
- ``# changed (not a defect): why`` -- a change made for the course's own use.

A function the article does not have (a train step) counts as one change: a ``# fixes`` tag
on its ``def`` line (or a decorator) covers the whole function, and the lines inside it that
carry out a particular fix carry that entry's tag too.

The check goes both ways, with fingerprints of the article's statements (stored in ``tests/data``
by ``tools/article_excerpts.py``, so it runs without the article).  An untagged statement must be
one of the article's (``unaccounted``).  And each of the article's statements must be kept, on an
untagged line, as often as the article has it, or be named in ``REWRITTEN`` under the entry whose
fix rewrites or removes it (``unaccounted_deletions``): so deleting a line is caught too.
``side_by_side`` renders, per entry, the article's defective line beside the fixed line(s).
"""

from __future__ import annotations

import ast
import hashlib
import html
import importlib.util
import io
import re
import textwrap
import tokenize
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from course_utils.errata.catalogue import ERRATA, by_id

MODULES = {"gan": "course_utils.errata.article_gan_fixed", "vae": "course_utils.errata.article_vae_fixed"}
FIXES, CHANGED = "# fixes", "# changed (not a defect):"
SECTIONS = {"gan": "§4.1.1", "vae": "§4.2.1"}
CHANGE = "changed"  # the key in REWRITTEN for changes that fix no defect


# The article's statements (verbatim) that a corrected listing does not keep on an untagged line, under
# the entry whose fix rewrites or removes them (or CHANGE: a change that fixes no defect). A statement
# named once covers each of its occurrences. A statement kept verbatim but tagged, because its role
# changed, is named too (V5).
REWRITTEN: dict[str, dict[str, tuple[str, ...]]] = {
    "gan": {
        "G2": ("from tensorflow.keras.layers import Input, Dense, Flatten, Reshape, Concatenate",),
        "G7": ("z_dim = 100",),
        "G3": ("n_layers = 3", "x = Dense(4*4*256, activation='relu', use_bias=False)(input_layer)",
               "x = Reshape((4, 4, 256))(x)"),
        "G24": ("x = Conv2DTranspose(256, (4, 4), strides=(2, 2), padding='same')(x)",),
        "G4": ("x = Conv2DTranspose(3, (4, 4), strides=(2, 2), padding='same')(x)",
               "input_layer = Input(shape=(28, 28, 3,))"),
        "G5": ("x = BatchNormalization(momentum=0.8)(x)",),
        "G9": ("def train(generator, discriminator, real_images, batch_size=128, epochs=100000, save_interval=500):",
               "if epoch % save_interval == 0:"),
        "G6": ("optimizer = Adam(lr=0.0002, beta_1=0.5)",),
        "G11": ("noise = np.random.normal(0, 1, (batch_size, z_dim))", "generator.optimizer.zero_grad()",
                "d_loss.backward()", "generator.optimizer.step()"),
        "G21": ("generated_images = generator.predict(noise)",),
        "G8": ("real_images = real_images[np.random.randint(0, real_images.shape[0], batch_size)]",),
        "G22": ("discriminator.trainable = True", "discriminator.trainable = False",
                "loss_real = discriminator.train_on_batch(real_images, np.ones((batch_size, 1)))",
                "loss_fake = discriminator.train_on_batch(generated_images, np.zeros((batch_size, 1)))"),
        "G10": ("loss_gan = discriminator.train_on_batch(noise, np.ones((batch_size, 1)))",),
        "G12": ("generator.trainable = True", "generator.trainable = False"),
        "G14": ('generator.save_weights("generator_epoch_{}.h5".format(epoch))',),
        "G15": ('print("Epoch [{}/{}], Loss: {:.4f}".format(epoch + 1, epochs, d_loss))',),
        "G16": ("return generator",),
        "G13": ("generator.compile(optimizer=Adam(lr=0.0002, beta_1=0.5), loss='binary_crossentropy')",
                "discriminator.compile(optimizer=Adam(lr=0.0002, beta_1=0.5), loss='binary_crossentropy')"),
        "G17": ("img = np.hstack([generated_images, x_train[0].reshape(28, 28)])",),
        "G18": ("img = (img * 0.5 + 1) * 255",),
        "G19": ("cv2.imwrite(save_path, img)",),
        CHANGE: ("if __name__ == '__main__':", "(x_train, _), (_, _) = keras.datasets.mnist.load_data()",
                 "generator, discriminator = train(generator, discriminator, x_train)"),
    },
    "vae": {
        "G2": ("from tensorflow.keras.layers import Input, Dense, Flatten, Reshape, Concatenate",),
        "G7": ("z_dim = 100",),
        "V2": ("z = Lambda(lambda x: x[0] * K.exp(x[1] / 2))([z_mean, z_log_var])",),
        "V3": ("return Model(input_layer, z)",),
        "V4": ("x = Reshape((7, 7, 1))(x)",),
        "V5": ("x = Conv2DTranspose(1, (5, 5), strides=(2, 2), padding='same')(x)",),
        "V6": ("x = Activation('tanh')(x)", "x_train = x_train / 127.5 - 1."),
        "V15": ("def train(encoder, decoder, x_train, batch_size=128, epochs=100, save_interval=50):",
                "if epoch % save_interval == 0:"),
        "V16": ("optimizer = Adam(lr=0.0002, beta_1=0.5)",),
        "V7": ("noise = np.random.normal(0, 1, (batch_size, z_dim))", "generated_images = decoder.predict(noise)"),
        "V8": ("x_train = x_train[np.random.randint(0, x_train.shape[0], batch_size)]",),
        "V9": ("reconstruction_loss = mean_squared_error(x_train, generated_images)",),
        "V10": ("kl_divergence = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)",),
        "V11": ("loss = reconstruction_loss + 0.001 * kl_divergence",),
        "V14": ("encoder.trainable = True", "decoder.trainable = True", "encoder.trainable = False",
                "encoder.compile(optimizer=Adam(lr=0.0002, beta_1=0.5), loss='mse')",
                "decoder.compile(optimizer=Adam(lr=0.0002, beta_1=0.5), loss='mse')"),
        "V12": ("loss_value = loss.mean()", "optimizer.zero_grad()", "loss_value.backward()", "optimizer.step()",
                'print("Epoch [{}/{}], Loss: {:.4f}".format(epoch + 1, epochs, loss_value.item()))'),
        "V13": ('encoder.save_weights("encoder_epoch_{}.h5".format(epoch))',
                'decoder.save_weights("decoder_epoch_{}.h5".format(epoch))'),
        "G17": ("img = np.hstack([generated_images, x_train[0].reshape(28, 28)])",),
        "G18": ("img = (img * 0.5 + 1) * 255",),
        "G19": ("cv2.imwrite(save_path, img)",),
        CHANGE: ("if __name__ == '__main__':", "(x_train, _), (_, _) = keras.datasets.mnist.load_data()",
                 "encoder, decoder = train(encoder, decoder, x_train)"),
    },
}


@dataclass(frozen=True)
class Tag:
    line: int                # 1-based line of the corrected listing
    code: str                # that line without its comment
    ids: tuple[str, ...]     # the entries it fixes; () for a change that is not a defect
    reason: str              # the text after the ids' colon (or after "changed (not a defect):")
    comment: str             # the whole tag, without its "# "


_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER}


def statements(code: str) -> list[tuple[int, int, str]]:
    """Each logical line of ``code`` as (first line, last line, normalised text).

    Normalised: its tokens joined by single spaces, without comments, with every string literal
    in one quoting style -- so ``Activation('relu')`` and ``Activation("relu")`` are the same statement.
    """
    found, tokens = [], []
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.NEWLINE and tokens:
            found.append((tokens[0].start[0], token.start[0], " ".join(_text(t) for t in tokens)))
            tokens = []
        elif token.type not in _SKIPPED:
            tokens.append(token)
    return found


def _text(token: tokenize.TokenInfo) -> str:
    if token.type == tokenize.STRING:
        try:
            return repr(ast.literal_eval(token.string))
        except (ValueError, SyntaxError):
            return token.string
    return token.string


def fingerprint(statement_text: str) -> str:
    """A short hash of a normalised statement (``statements``): what is stored of the article's code."""
    return hashlib.sha256(statement_text.encode("utf-8")).hexdigest()[:16]


def function_names(code: str) -> list[str]:
    """The names of the functions ``code`` defines, sorted."""
    return sorted(node.name for node in ast.walk(ast.parse(code)) if isinstance(node, ast.FunctionDef))


def source(listing: str) -> str:
    """The text of a corrected listing, ``"gan"`` or ``"vae"`` (without importing it)."""
    return Path(importlib.util.find_spec(MODULES[listing]).origin).read_text(encoding="utf-8")


def tags(text: str) -> list[Tag]:
    """The tagged lines of a listing's source text."""
    lines, found = text.splitlines(), []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        comment = token.string
        if token.type != tokenize.COMMENT or not comment.startswith((FIXES, CHANGED)):
            continue
        code = lines[token.start[0] - 1][: token.start[1]].rstrip()
        if comment.startswith(CHANGED):
            found.append(Tag(token.start[0], code, (), comment[len(CHANGED):].strip(), comment[2:]))
            continue
        ids_part, _, reason = comment[len(FIXES):].partition(":")
        ids = tuple(re.findall(r"\b[MGV]\d+\b", ids_part))
        found.append(Tag(token.start[0], code, ids, reason.strip(), comment[2:]))
    return found


def fix_lines(listing: str) -> dict[str, list[int]]:
    """Map each erratum id to the lines of a corrected listing whose ``# fixes`` tag names it."""
    found: dict[str, list[int]] = {}
    for tag in tags(source(listing)):
        for erratum_id in tag.ids:
            found.setdefault(erratum_id, []).append(tag.line)
    return found


def _new_function_lines(text: str, article_functions) -> set[int]:
    """Lines of functions the article does not have whose header carries a ``# fixes`` tag."""
    fixes_tagged = {t.line for t in tags(text) if t.ids}
    covered = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name not in article_functions:
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            if fixes_tagged & set(range(first, node.body[0].lineno)):  # decorators and the def line
                covered |= set(range(first, node.end_lineno + 1))
    return covered


def _untagged(text: str):
    """The statements of ``text`` on no tagged line, without the module docstring: (first line, lines, text)."""
    tagged = {t.line for t in tags(text)}
    tree = ast.parse(text)
    docstring = tree.body[0].lineno if isinstance(tree.body[0], ast.Expr) else None
    for first, last, statement in statements(text):
        lines = set(range(first, last + 1))
        if first != docstring and not lines & tagged:
            yield first, lines, statement


def unaccounted(text: str, article, article_functions) -> list[tuple[int, str]]:
    """Statements of ``text`` that carry no tag and are not the article's: (first line, statement).

    ``article`` is the article listing's statements, [article line, fingerprint] in order, and
    ``article_functions`` its function names (both stored in ``tests/data/article_excerpts.json``).
    An untagged statement is the article's while the article has more copies of it than the lines
    before it used; inside a new function with a tagged header, untagged lines are covered.
    """
    left = Counter(fp for _, fp in article)
    covered = _new_function_lines(text, article_functions)
    missing = []
    for first, lines, statement in _untagged(text):
        if left[fingerprint(statement)] > 0:
            left[fingerprint(statement)] -= 1
        elif not lines <= covered:
            missing.append((first, statement))
    return missing


def not_kept(text: str, article) -> list[tuple[int, str]]:
    """The article's statements that ``text`` does not keep on an untagged line (as often as the article
    has them): [article line, fingerprint], in the article's order."""
    kept = Counter(fingerprint(statement) for *_, statement in _untagged(text))
    result = []
    for line, fp in article:
        if kept[fp] > 0:
            kept[fp] -= 1
        else:
            result.append((line, fp))
    return result


def rewritten_fingerprints(listing: str, rewritten=None) -> dict[str, str]:
    """Fingerprint -> the entry (or ``CHANGE``) that ``REWRITTEN`` names it under, for one listing."""
    named = {}
    for key, statements_named in (REWRITTEN if rewritten is None else rewritten)[listing].items():
        for statement in statements_named:
            (_, _, normalised), = statements(statement)
            named[fingerprint(normalised)] = key
    return named


def unaccounted_deletions(text: str, article, listing: str, rewritten=None) -> list[tuple[int, str]]:
    """The article's statements that ``text`` neither keeps nor names in ``REWRITTEN``:
    [article line, fingerprint] (the article's code is not stored, so the line says which)."""
    named = rewritten_fingerprints(listing, rewritten)
    return [(line, fp) for line, fp in not_kept(text, article) if fp not in named]


def _cell(code_lines: list[str]) -> str:
    """Lines of code for a table cell: dedented together, inner indentation kept as non-breaking spaces."""
    lines = textwrap.dedent("\n".join(code_lines)).splitlines()
    return "<br>".join("&nbsp;" * (len(x) - len(x.lstrip())) + f"<code>{html.escape(x.lstrip())}</code>" for x in lines)


def _statement_lines(text: str, line: int) -> list[str]:
    """The physical lines of the statement that starts on ``line``, compacted to one line when long."""
    for first, last, _ in statements(text):
        if first <= line <= last:
            lines = text.splitlines()[first - 1:last]
            lines = [re.sub(r"\s+#\s(fixes|changed).*$", "", x).rstrip() for x in lines]
            if len(lines) > 3:
                joined = " ".join(x.strip() for x in lines)
                return [re.sub(r"\(\s+", "(", joined).replace(",)", ")").replace(", )", ")")]
            return lines if line == first else [lines[line - first]]
    return [text.splitlines()[line - 1]]


def side_by_side(listing: str) -> str:
    """An HTML table: for each entry fixed in this listing, the article's line and the fixed line(s).

    Built from the catalogue (the entry's quote) and the tags of the corrected listing; the
    rows are in the order of the corrected listing, then the entries whose fix only deletes
    lines (``REWRITTEN``), and the changes that fix no defect close it.
    """
    text = source(listing)
    all_tags = tags(text)
    rows, seen = [], set()
    tagged_ids = [i for tag in all_tags for i in tag.ids]
    deleting_only = [i for i in REWRITTEN[listing] if i != CHANGE and i not in tagged_ids]
    for erratum_id in tagged_ids + deleting_only:
        if erratum_id in seen:
            continue
        seen.add(erratum_id)
        entry = by_id(erratum_id)
        quote = _cell(entry.quote.splitlines())
        if entry.translation:
            quote += f"<br><i>“{html.escape(entry.translation)}”</i>"
        fixed = [t for t in all_tags if erratum_id in t.ids]
        right = "<br>".join(f"L{t.line}: {_cell(_statement_lines(text, t.line))} <i>({html.escape(t.comment)})</i>"
                            for t in fixed) or "<i>(deleted)</i>"
        rows.append((f"<b>{entry.id}</b><br>{entry.category}", quote, right))
    for tag in all_tags:
        if not tag.ids:
            fixed = f"L{tag.line}: {_cell(_statement_lines(text, tag.line))} <i>({html.escape(tag.reason)})</i>"
            rows.append(("—", "<i>(changed, not a defect)</i>", fixed))
    style = ' style="text-align:left; vertical-align:top"'
    head = (f"<tr><th{style}>entry</th><th{style}>the article ({SECTIONS[listing]})</th>"
            f"<th{style}>the corrected listing</th></tr>")
    body = "".join(f"<tr>{''.join(f'<td{style}>{c}</td>' for c in row)}</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def listing_markdown(listing: str) -> str:
    """The whole corrected listing, with line numbers, as a Markdown code block."""
    numbered = "\n".join(f"{i:3d}  {line}" for i, line in enumerate(source(listing).splitlines(), start=1))
    return f"```python\n{numbered}\n```"


def entries_fixed_in(listing: str) -> list[str]:
    """Ids of the catalogue entries that name a fixed line in this listing, or whose fix deletes lines of it."""
    return [e.id for e in ERRATA if e.fixed_in(listing) or e.id in REWRITTEN[listing]]
