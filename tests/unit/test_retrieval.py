"""Hybrid retrieval: rank fusion and metadata weights by table, search on a tiny corpus with the
hand-checkable fake embedder (the real corpus and embedder: tests/integration)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer.retrieval import OTHER_DISTRICT, OTHER_YEAR, RRF_K, metadata_weight, rrf, search
from assistant.core.settings import Settings
from assistant.core.types import Chunk, Query
from assistant.index.keywords import expand_query, tokenize
from assistant.index.store import LoadedIndex, build_index, load_index, passage_text
from tests.fakes import CharHashEmbedder

# ------------------------------------------------------------------------------------------- rrf


@pytest.mark.parametrize(
    "rankings, k, expected",
    [
        ([], 60, {}),
        ([[]], 60, {}),
        ([[4, 2, 7]], 60, {4: 1 / 61, 2: 1 / 62, 7: 1 / 63}),
        ([[0, 1], [1, 0]], 60, {0: 1 / 61 + 1 / 62, 1: 1 / 62 + 1 / 61}),
        ([[0, 1], [2, 0]], 1, {0: 1 / 2 + 1 / 3, 1: 1 / 3, 2: 1 / 2}),
        ([[5], [], [5, 3]], 0, {5: 1 / 1 + 1 / 1, 3: 1 / 2}),
        ([[1, 2, 3], [3]], 10, {1: 1 / 11, 2: 1 / 12, 3: 1 / 13 + 1 / 11}),
    ],
)
def test_rrf_against_a_hand_computed_table(rankings, k, expected):
    got = rrf(rankings, k=k)
    assert got.keys() == expected.keys()
    for pos, score in expected.items():
        assert got[pos] == pytest.approx(score)


def test_rrf_default_constant_is_60():
    assert RRF_K == 60
    assert rrf([[9]])[9] == pytest.approx(1 / 61)


# -------------------------------------------------------------------------------- metadata weight


def chunk(district: str | None, years: tuple[int, ...] = ()) -> Chunk:
    return Chunk(chunk_id="c", doc_id="d", doc_title="t", source="s.txt", section=(), text="新增200张养老床位",
                 start=0, end=9, district=district, years=years, doc_type=None)


KNOWN = {"普陀区", "宝山区", "长宁区", "上海市"}
Q = "问题"


@pytest.mark.parametrize(
    "query, chunk_, weight",
    [
        (Query(Q), chunk("普陀区", (2024,)), 1.0),  # nothing asked: nothing weighed
        (Query(Q, district="普陀区"), chunk("普陀区", (2024,)), 1.0),
        (Query(Q, district="普陀区"), chunk("宝山区", (2022,)), OTHER_DISTRICT),
        (Query(Q, district="普陀区"), chunk("上海市", (2022,)), OTHER_DISTRICT),
        (Query(Q, district="普陀区"), chunk(None), 1.0),  # a chunk of unknown district is not penalised
        (Query(Q, district="徐汇区"), chunk("宝山区"), 1.0),  # a district the corpus lacks filters nothing
        (Query(Q, districts=("长宁区", "宝山区")), chunk("宝山区"), 1.0),
        (Query(Q, districts=("长宁区", "宝山区")), chunk("普陀区"), OTHER_DISTRICT),
        (Query(Q, year=2024), chunk("普陀区", (2024,)), 1.0),
        (Query(Q, year=2022), chunk("普陀区", (2024,)), OTHER_YEAR),
        (Query(Q, year=2022), chunk("长宁区", (2021, 2022, 2023, 2024, 2025)), 1.0),
        (Query(Q, year=2022), chunk("长宁区", ()), 1.0),  # a chunk of unknown years is not penalised
        (Query(Q, district="普陀区", year=2022), chunk("宝山区", (2024,)), OTHER_DISTRICT * OTHER_YEAR),
        (Query(Q, district="普陀区", year=2022), chunk("普陀区", (2024,)), OTHER_YEAR),
        (Query(Q, years=(2021, 2022)), chunk("长宁区", (2022,)), 1.0),
        (Query(Q, years=(2021, 2022)), chunk("普陀区", (2024,)), OTHER_YEAR),
    ],
)
def test_metadata_weight_table(query, chunk_, weight):
    assert metadata_weight(chunk_, query, KNOWN) == pytest.approx(weight)


def test_metadata_weights_are_penalties_below_one():
    assert 0 < OTHER_DISTRICT < OTHER_YEAR < 1


# ------------------------------------------------------------------------------- a tiny corpus

SAME = "一是推动普惠养老。计划新增200张养老床位，新建2家社区长者食堂。"

DOCS = {
    "putuo.txt": f"普陀区民政局2024年工作要点\n\n上海市普陀区民政局\n\n一、建设养老格局\n\n{SAME}\n\n"
                 "二、社会救助\n\n一是优化救助。推进社区救助顾问建设，覆盖10个街镇。\n",
    "baoshan.txt": f"2022年宝山民政工作要点\n\n上海市宝山区民政局\n\n一、建设养老格局\n\n{SAME}\n\n"
                   "二、儿童福利\n\n一是关爱困境儿童。开展困境儿童监护评估。\n",
    "changning.txt": "2022年长宁民政工作要点\n\n上海市长宁区民政局\n\n一、婚姻登记\n\n"
                     "一是优化婚姻登记服务。新增1家婚姻登记处，推进颁证仪式。\n",
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The three documents indexed with the fake embedder: (index, embedder)."""
    root = tmp_path_factory.mktemp("retrieval")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    embedder = CharHashEmbedder()
    build_index(settings, embedder)
    return load_index(settings, embedder), embedder


def _same_chunks(index) -> dict[str, Chunk]:
    found = {c.district: c for c in index.chunks if c.text == SAME}
    assert set(found) == {"普陀区", "宝山区"}  # the same words in two districts' documents
    return found


@pytest.mark.parametrize(
    "question, district",
    [
        ("普陀新增多少养老床位？", "普陀区"),
        ("宝山新增多少养老床位？", "宝山区"),
        ("宝山区计划新增200张养老床位", "宝山区"),
        ("普陀区计划新增200张养老床位", "普陀区"),
    ],
)
def test_the_district_named_ranks_its_chunk_first(tiny, question, district):
    index, embedder = tiny
    same = _same_chunks(index)
    hits = search(index, embedder, question, k=5)
    assert hits[0].chunk.chunk_id == same[district].chunk_id
    other = next(h for h in hits if h.chunk.text == SAME and h.chunk.district != district)
    assert other.rank > 1 and other.score < hits[0].score


@pytest.mark.parametrize(
    "question, district",
    [
        ("2024年新增多少养老床位？", "普陀区"),
        ("2022年新增多少养老床位？", "宝山区"),
        ("24年新增多少养老床位？", "普陀区"),
    ],
)
def test_a_year_in_the_question_ranks_that_years_chunk_first(tiny, question, district):
    index, embedder = tiny
    same = _same_chunks(index)
    hits = search(index, embedder, question, k=5)
    assert hits[0].chunk.chunk_id == same[district].chunk_id


def _reference_search(index, embedder, text: str, query: Query) -> list[tuple[str, float]]:
    """The same fusion written out with numpy: dense ranks by dot product, BM25 ranks, RRF, weights."""
    qvec = embedder.embed([text], kind="query")[0]
    pvecs = embedder.embed([passage_text(c) for c in index.chunks], kind="passage")
    dense = pvecs @ qvec
    kw = index.keyword_index.scores(expand_query(tokenize(text)))
    dense_rank = {int(p): r for r, p in enumerate(np.argsort(-dense, kind="stable"), start=1)}
    kw_order = [int(p) for p in np.argsort(-kw, kind="stable") if kw[p] > 0]
    kw_rank = {p: r for r, p in enumerate(kw_order, start=1)}
    known = set(index.districts())
    out = []
    for pos, c in enumerate(index.chunks):
        s = 1 / (RRF_K + dense_rank[pos]) + (1 / (RRF_K + kw_rank[pos]) if pos in kw_rank else 0.0)
        out.append((c.chunk_id, s * metadata_weight(c, query, known)))
    return sorted(out, key=lambda p: -p[1])


@pytest.mark.parametrize("question", ["普陀2024年新增多少养老床位？", "婚姻登记处有几家", "困境儿童监护评估"])
def test_fused_scores_match_a_reference_computation(tiny, question):
    from assistant.answer.understanding import parse_question

    index, embedder = tiny
    expected = _reference_search(index, embedder, question, parse_question(question))
    hits = search(index, embedder, question, k=len(index.chunks))
    assert [h.score for h in hits] == pytest.approx([round(s, 6) for _, s in expected], abs=1e-6)
    # ties in the dense ranking aside, the order is the reference order
    assert hits[0].chunk.chunk_id == expected[0][0]


def test_hits_carry_dense_keyword_and_fused_scores_and_ranks(tiny):
    index, embedder = tiny
    question = "普陀2024年新增多少养老床位？"
    embedder.calls.clear()
    hits = search(index, embedder, question, k=3)
    assert embedder.calls == [("query", (question,))]  # the question is embedded as a query, once
    assert [h.rank for h in hits] == [1, 2, 3]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    qvec = embedder.embed([question], kind="query")[0]
    for h in hits:
        assert h.score > 0
        pvec = embedder.embed([passage_text(h.chunk)], kind="passage")[0]
        assert h.dense_score == pytest.approx(float(pvec @ qvec), abs=1e-5)
    top = hits[0]
    assert top.keyword_score is not None and top.keyword_score > 0
    assert "200张养老床位" in top.chunk.text


def test_a_chunk_without_the_questions_words_has_no_keyword_score(tiny):
    index, embedder = tiny
    hits = search(index, embedder, "婚姻登记处有几家", k=len(index.chunks))
    by_text = {h.chunk.text: h for h in hits}
    assert by_text[SAME].keyword_score is None and by_text[SAME].dense_score is not None
    assert "婚姻登记" in hits[0].chunk.text and hits[0].keyword_score > 0


def test_k_larger_than_the_corpus_returns_every_chunk_once(tiny):
    index, embedder = tiny
    hits = search(index, embedder, "养老床位", k=100)
    assert len(hits) == len(index.chunks)
    assert [h.rank for h in hits] == list(range(1, len(index.chunks) + 1))
    assert len({h.chunk.chunk_id for h in hits}) == len(index.chunks)


def test_a_question_with_no_known_words_still_returns_dense_hits(tiny):
    index, embedder = tiny
    question = "量子计算机"
    assert not index.keyword_index.scores(expand_query(tokenize(question))).any()
    hits = search(index, embedder, question, k=3)
    assert len(hits) == 3
    assert all(h.keyword_score is None and h.dense_score is not None for h in hits)
    assert [h.rank for h in hits] == [1, 2, 3]


def test_an_explicit_query_overrides_what_the_text_says(tiny):
    index, embedder = tiny
    same = _same_chunks(index)
    hits = search(index, embedder, "新增多少养老床位？", k=3, query=Query("新增多少养老床位？", district="宝山区"))
    assert hits[0].chunk.chunk_id == same["宝山区"].chunk_id


def test_an_empty_index_returns_no_hits():
    empty = LoadedIndex(manifest={}, documents=[], chunks=[], facts=[], vector_store=None, keyword_index=None)
    assert search(empty, CharHashEmbedder(), "普陀2024年新增多少养老床位？", k=5) == []


def test_the_asked_places_keyword_passages_come_in_below_the_pool(tiny, monkeypatch):
    """Among many places' documents the asked place's passages may rank below the pool taken from each
    ranking; they still come in, with their rank among that place's passages."""
    import assistant.answer.retrieval as retrieval

    index, embedder = tiny
    monkeypatch.setattr(retrieval, "POOL", 1)  # as if every other place's passages filled the pool
    hits = search(index, embedder, "长宁新增多少养老床位？", k=5)
    assert "长宁区" in {h.chunk.district for h in hits}
    hits = search(index, embedder, "新增多少养老床位？", k=5)  # no place asked: the pools alone
    assert len(hits) <= 2
