"""Chinese full-text search: words from a Chinese tokenizer, highlighted snippets. Pure.

Chinese is written without spaces, so PostgreSQL's own parsers see a whole sentence as one
"word". The text is segmented by `rjieba` (the jieba-rs dictionary and HMM, maintained; the
Python jieba has not been released since 2020): an item is indexed with the search mode
(`餐饮店` gives 餐饮, 饮店 and 餐饮店, so a shorter query word finds it), a query with the
precise mode (`餐饮` is one word). The words, joined by spaces, are what the `simple`
text-search configuration turns into the tsvector (weights: title A, attachment names B,
body and fields C) and the tsquery, both through the same functions here, so both sides
always agree. docs/search.md says why this beat pg_trgm, with the figures.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence

import rjieba

_PARTS = re.compile(r"\w+")
MAX_QUERY_TERMS = 32


def _fold(text: str) -> str:
    """NFKC: full-width digits and letters are the half-width ones (２０２４ is 2024)."""
    return unicodedata.normalize("NFKC", text)


def _parts(token: str) -> list[str]:
    """A token as the index stores it: lower case, split at anything that is not a word
    character (`ABC-12` → abc, 12)."""
    return _PARTS.findall(token.lower())


def index_words(*texts: str) -> str:
    """The words of `texts` for the index (search mode), joined by spaces."""
    words: list[str] = []
    for text in texts:
        for token in rjieba.cut_for_search(_fold(text)):
            words.extend(_parts(token))
    return " ".join(words)


def query_terms(query: str) -> list[str]:
    """The words of a query (precise mode), each once, in order, at most 32."""
    seen: dict[str, None] = {}
    for token in rjieba.cut(_fold(query)):
        for part in _parts(token):
            seen.setdefault(part, None)
    return list(seen)[:MAX_QUERY_TERMS]


def _spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words of `text` that match a query term, merged."""
    folded = _fold(text)
    # offsets of the folded text are the original's where folding kept every length
    source = folded if len(folded) == len(text) else text
    hits = sorted(
        (start, end)
        for token, start, end in rjieba.tokenize(source, mode="search")
        if terms.intersection(_parts(token))
    )
    merged: list[tuple[int, int]] = []
    for start, end in hits:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _marked(text: str, spans: Sequence[tuple[int, int]], lo: int, hi: int) -> str:
    out: list[str] = []
    at = lo
    for start, end in spans:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        out.append(html.escape(text[at:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        at = end
    out.append(html.escape(text[at:hi]))
    return "".join(out)


def highlight(text: str, terms: Iterable[str]) -> str:
    """The whole text, HTML-escaped, with each matching word in `<mark>…</mark>`."""
    wanted = set(terms)
    return _marked(text, _spans(text, wanted) if wanted else [], 0, len(text))


def snippet(text: str, terms: Iterable[str], *, width: int = 120) -> str:
    """About `width` characters around the first match (HTML-escaped, matches in `<mark>`),
    with `…` where the text was cut; the start of the text when nothing matches."""
    wanted = set(terms)
    spans = _spans(text, wanted) if wanted else []
    first = spans[0][0] if spans else 0
    lo = max(0, min(first - width // 3, len(text) - width))
    hi = min(len(text), lo + width)
    body = _marked(text, spans, lo, hi).replace("\n", " ")
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")
