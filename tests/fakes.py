"""Fakes at the boundaries, for unit tests of the stages above them.

`CharHashEmbedder` stands in for the real embedder. Its vectors can be worked out by hand: every
non-space character adds 1 to component `ord(ch) % dim`, and the count vector is scaled to unit
length. A text without characters maps to the first unit vector. Query and passage vectors are the
same; `calls` records every call's kind and texts, so tests can check which kind a stage asked for.

    >>> e = CharHashEmbedder(dim=4)
    >>> e.embed(["ab"], "query")        # ord('a')=97 -> 1, ord('b')=98 -> 2
    array([[0.       , 0.7071068, 0.7071068, 0.       ]], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.index.embedding import KINDS, Embedder, Kind


def char_counts(text: str, dim: int) -> np.ndarray:
    """The unnormalised bag of characters: component ord(ch) % dim counts the non-space characters."""
    counts = np.zeros(dim, dtype=np.float32)
    for ch in text:
        if not ch.isspace():
            counts[ord(ch) % dim] += 1
    return counts


class CharHashEmbedder(Embedder):
    """Bag of characters hashed into `dim` components, L2-normalised; deterministic and instant."""

    def __init__(self, dim: int = 16):
        self.dim = dim
        self.name = f"fake-char-hash-{dim}"
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        texts = tuple(texts)
        self.calls.append((kind, texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            counts = char_counts(text, self.dim)
            norm = float(np.linalg.norm(counts))
            if norm == 0.0:
                out[row, 0] = 1.0
            else:
                out[row] = counts / norm
        return out
