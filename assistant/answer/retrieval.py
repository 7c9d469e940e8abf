"""Hybrid search: dense (FAISS) and keyword (BM25) rankings fused, then metadata boosts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.core.types import Chunk, Hit, Query
from assistant.index.keywords import expand_query, tokenize

RRF_K = 60  # reciprocal-rank-fusion constant (Cormack et al.)
POOL = 60  # candidates taken from each ranking before fusion
OTHER_DISTRICT = 0.35  # weight of a chunk from another district than the one asked about
OTHER_YEAR = 0.6  # weight of a chunk whose document does not speak of the year asked about


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion of several rankings of positions: sum of 1 / (k + rank)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, pos in enumerate(ranking, start=1):
            fused[pos] = fused.get(pos, 0.0) + 1.0 / (k + rank)
    return fused


def _asked_districts(query: Query, known_districts: set[str]) -> set[str]:
    """The places the question names that the corpus holds (one it does not hold filters nothing)."""
    asked = set(query.districts) or ({query.district} if query.district else set())
    return asked & known_districts


def metadata_weight(chunk: Chunk, query: Query, known_districts: set[str]) -> float:
    """How much a chunk's district and year agree with the question's (1.0 when nothing is asked)."""
    weight = 1.0
    asked = _asked_districts(query, known_districts)
    if asked and chunk.district and chunk.district not in asked:
        weight *= OTHER_DISTRICT
    years = set(query.years) or ({query.year} if query.year else set())
    if years and chunk.years and years.isdisjoint(chunk.years):
        weight *= OTHER_YEAR
    return weight


def search(index, embedder, text: str, k: int = 5, query: Query | None = None) -> list[Hit]:
    """The k best chunks for a question, each with its dense, keyword and fused scores."""
    if query is None:
        from assistant.answer.understanding import parse_question

        query = parse_question(text)
    n = len(index.chunks)
    if n == 0:
        return []
    pool = min(POOL, n)

    qvec = embedder.embed([text], kind="query")[0]
    dense_rank, similarities = index.vector_store.search(qvec, pool)
    dense_score = dict(zip(dense_rank, similarities, strict=True))

    kw_scores = index.keyword_index.scores(expand_query(tokenize(text)))
    kw_rank = _top_positions(kw_scores, pool)

    fused = rrf([dense_rank, kw_rank])
    known = set(index.districts())
    if asked := _asked_districts(query, known):
        # among many places' documents, the asked place's best keyword passages may rank below the pool:
        # they come in with their rank among that place's passages (none is added where one place is held)
        inside = np.array([c.district in asked for c in index.chunks])
        for rank, pos in enumerate(_top_positions(np.where(inside, kw_scores, 0), pool), start=1):
            fused.setdefault(pos, 1.0 / (RRF_K + rank))
    scored = [(pos, s * metadata_weight(index.chunks[pos], query, known)) for pos, s in fused.items()]
    scored.sort(key=lambda p: -p[1])
    return [
        Hit(chunk=index.chunks[pos], score=round(s, 6), dense_score=dense_score.get(pos),
            keyword_score=float(kw_scores[pos]) if kw_scores[pos] > 0 else None, rank=r)
        for r, (pos, s) in enumerate(scored[:k], start=1)
    ]


def _top_positions(scores: np.ndarray, k: int) -> list[int]:
    positive = np.flatnonzero(scores > 0)
    if positive.size == 0:
        return []
    order = positive[np.argsort(-scores[positive], kind="stable")]
    return [int(i) for i in order[:k]]
