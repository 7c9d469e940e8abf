"""Keyword side of retrieval: the jieba tokeniser and BM25 against a naive reference loop."""

import math

import pytest

from assistant.index.keywords import KeywordIndex, expand_query, tokenize


@pytest.mark.parametrize(
    "text, expected",
    [
        ("普陀2024年新增多少养老床位？", ["普陀", "2024年", "新增", "养老床位"]),
        ("计划新增200张养老床位", ["新增", "200张", "张", "养老床位"]),
        ("24年长宁的助餐点", ["2024年", "长宁", "助餐点"]),
        ("为老服务“一键通”覆盖1万名老年人", ["为老服务", "一键通", "覆盖", "1万名", "名", "老年人"]),
        ("护理型床位不低于60%", ["护理型床位", "不低于", "60%", "%"]),
        ("认知障碍照护床位140张", ["认知障碍照护床位", "认知障碍", "140张", "张"]),  # inner domain terms too
    ],
)
def test_tokenize_keeps_domain_terms_and_figures_whole(text, expected):
    assert tokenize(text) == expected


def test_everyday_words_expand_to_document_wording():
    assert "养老床位" in expand_query(tokenize("养老院床位有多少"))
    assert "认知障碍" in expand_query(tokenize("认知症床位"))
    assert "社区老年助餐服务场所" in expand_query(tokenize("助餐点"))


def _naive_bm25(docs: list[list[str]], query: list[str], k1=1.2, b=0.75) -> list[float]:
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    out = []
    for d in docs:
        s = 0.0
        for t in set(query):
            df = sum(1 for x in docs if t in x)
            if df == 0:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = d.count(t)
            s += idf * tf / (tf + k1 * (1 - b + b * len(d) / avgdl))
        out.append(s)
    return out


def test_bm25_scores_match_a_naive_reference_loop():
    texts = [
        "计划新增200张养老床位，新建2家社区综合为老服务中心",
        "新增1家社区长者食堂，养老床位护理型床位不低于60%",
        "推进社区救助顾问标准化建设",
        "养老床位 养老床位 养老服务 认知障碍照护床位",
        "婚姻登记 离婚登记 服务",
    ]
    index = KeywordIndex.build(texts)
    docs = [tokenize(t) for t in texts]
    for q in ["养老床位", "新增养老床位", "社区救助顾问 长者食堂", "婚姻登记"]:
        qt = tokenize(q)
        expected = _naive_bm25(docs, qt)
        got = index.scores(qt)
        assert list(got) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_unknown_query_words_score_nothing():
    index = KeywordIndex.build(["养老床位", "长者食堂"])
    assert not index.scores(tokenize("量子计算")).any()
    assert not index.scores([]).any()


def test_saved_index_loads_with_the_same_scores(tmp_path):
    texts = ["计划新增200张养老床位", "新增1家社区长者食堂", "婚姻登记"]
    index = KeywordIndex.build(texts)
    index.save(tmp_path / "bm25")
    again = KeywordIndex.load(tmp_path / "bm25", len(texts))
    q = tokenize("新增养老床位")
    assert list(again.scores(q)) == pytest.approx(list(index.scores(q)))


def test_a_word_jieba_does_not_know_is_kept_as_a_run():
    from assistant.index.keywords import unknown_runs

    assert unknown_runs("中期评估的时候社区云上云率是多少？") == ["云上云率"]
    assert unknown_runs("普陀2024年新增多少养老床位？") == []
