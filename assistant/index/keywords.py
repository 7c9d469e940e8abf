"""Keyword side of retrieval: a jieba tokeniser that knows the domain, and a BM25 index (bm25s)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.text.lexicon import DOMAIN_TERMS, QUALIFIERS, SYNONYMS

# Figures and years stay whole: 200张, 2024年, 91.65万人次, 60%.
_FIGURE = re.compile(r"\d+(?:\.\d+)?(?:万|亿)?(?:人次|张|家|个|户|名|人|元|%|年|所|处|项|类|支|次|岁)?")
_WORD = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]+")
STOPWORDS = frozenset(
    "的 了 和 与 及 等 在 是 为 对 把 将 有 个 中 上 下 也 都 就 并 或 其 之 以 于 由 被 这 那 吗 呢 啊 吧 呀 么 什么 多少 几 哪 哪个 哪些 "
    "怎么 怎样 如何 请问 一下 一共 总共 今年 去年 我们 你们 他们 要 会 能 可以 打算 计划 准备 问 告诉 我 你 请 想 知道 "
    "， 。 、 ； ： ？ ！ “ ” （ ） 《 》 ? ! , . : ; ( ) - — + /".split()
)


@lru_cache(maxsize=1)
def _jieba():
    """A private jieba tokenizer with the domain terms added (built once, on first use)."""
    import jieba  # loads its dictionary (about a second): on the first tokenisation, not at import

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    for term in DOMAIN_TERMS:
        tok.add_word(term, freq=200000)
    for words in QUALIFIERS.values():
        for w in words:
            if len(w) >= 2:
                tok.add_word(w, freq=50000)
    for canonical, variants in SYNONYMS.items():
        tok.add_word(canonical, freq=100000)
        for v in variants:
            if len(v) >= 2:
                tok.add_word(v, freq=100000)
    return tok


@lru_cache(maxsize=1)
def pos_tokenizer():
    """A jieba part-of-speech tokenizer over the same domain dictionary (domain terms tag as "x")."""
    import jieba.posseg

    return jieba.posseg.POSTokenizer(_jieba())


def tokenize(text: str) -> list[str]:
    """Search tokens of a text: jieba words with figures kept whole, stopwords dropped."""
    tokens: list[str] = []
    pos = 0
    for m in _FIGURE.finditer(text):
        tokens += _cut(text[pos : m.start()])
        tokens += _figure_tokens(m.group(0))
        pos = m.end()
    tokens += _cut(text[pos:])
    return tokens


def _figure_tokens(fig: str) -> list[str]:
    """200张 -> [200张, 张]; 24年 -> [2024年] (two-digit years as users type them)."""
    m = re.fullmatch(r"(\d{2})年", fig)
    if m and 10 <= int(m.group(1)) <= 40:
        return [f"20{m.group(1)}年"]
    unit = fig.lstrip("0123456789.万亿")
    return [fig, unit] if unit and unit != fig and unit != "年" else [fig]


def _cut(text: str) -> list[str]:
    if not text:
        return []
    out = []
    for w in _jieba().lcut(text, HMM=False):
        if w.strip() and w not in STOPWORDS and _WORD.search(w):
            out.append(w)
            if len(w) >= 4:  # 认知障碍照护床位 also counts as 认知障碍 and 照护床位 for matching
                out += [t for t in _inner_terms() if t != w and t in w]
    return out


_FUNCTION_CHARS = "的了是有在和与及或几吗呢吧啊呀么"


def unknown_runs(text: str, least: int = 3) -> list[str]:
    """Runs of `least` or more characters that jieba's dictionary cuts into single characters: a word it
    does not know (上云率 → 上/云/率), whose characters stand apart in `tokenize` and lose their pairs
    (上 is also a stopword there). Function characters at a run's ends are not part of it."""
    runs, cur = [], ""
    for w in _jieba().lcut(text, HMM=False):
        if len(w) == 1 and "\u4e00" <= w <= "\u9fff":
            cur += w
            continue
        runs.append(cur)
        cur = ""
    runs.append(cur)
    runs = [r.strip(_FUNCTION_CHARS) for r in runs]
    return [r for r in runs if len(r) >= least]


@lru_cache(maxsize=1)
def _inner_terms() -> tuple[str, ...]:
    terms = set(DOMAIN_TERMS) | set(SYNONYMS)
    return tuple(sorted((t for t in terms if 2 <= len(t) <= 8), key=len, reverse=True))


def expand_query(tokens: Sequence[str]) -> list[str]:
    """Add the documents' wording for everyday words (养老院床位 → 养老床位) and vice versa."""
    out = list(tokens)
    for canonical, variants in SYNONYMS.items():
        for tok in tokens:
            if tok in variants or any(len(v) >= 2 and v in tok for v in variants):
                out += tokenize(canonical)
            elif tok == canonical:
                out += [w for v in variants for w in tokenize(v) if len(v) >= 2][:4]
    return out


class KeywordIndex:
    """BM25 over chunk texts (bm25s, Lucene variant), saved as plain .npy/.json files."""

    def __init__(self, retriever, size: int):
        self._bm25 = retriever
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> KeywordIndex:
        import bm25s  # pulls in scipy: only when an index is built or read

        # Token ids as they are produced (not lists of strings): 100,000 chunks stay within memory.
        vocab: dict[str, int] = {"": 0}
        ids = [[vocab.setdefault(w, len(vocab)) for w in tokenize(t)] or [0] for t in texts]
        retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        retriever.index((ids, vocab), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> KeywordIndex:
        import bm25s  # pulls in scipy: only when an index is built or read

        return cls(bm25s.BM25.load(str(folder), show_progress=False), size)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens (unknown tokens are ignored)."""
        known = [t for t in query_tokens if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
