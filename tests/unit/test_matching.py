# ruff: noqa: E501
"""Choosing the figure that answers a question: pure functions, tables of cases."""

import pytest

from assistant.answer.matching import (
    asked_unit,
    bigrams,
    canonicalize,
    coverage,
    idf_table,
    match_fact,
    qualifier_conflicts,
    question_content,
    unit_matches,
    view_fact,
    weighted_coverage,
    year_matches,
)
from assistant.core.types import Fact, Query

TEXT = (
    "落实为民办实事项目，新增760张养老床位，改建180张认知障碍照护床位，护理型床位占养老机构床位总数达到60%以上。"
    "我区社区工作者持证率由“十三五”末期的21.52%提升至27%。"
    "在长宁注册登记的社会组织共805家，其中直接登记292家。"
)


def fact(written: str, unit: str, value: float, qualifier=None, subject=None, year=2022, occurrence=0) -> Fact:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(written, start + 1)
    s0 = max(TEXT.rfind("。", 0, start) + 1, 0)
    s1 = TEXT.index("。", start) + 1
    return Fact(fact_id=written, chunk_id="c", doc_id="d", value=value, unit=unit, as_written=written,
                qualifier=qualifier, subject=subject, district="宝山区", year=year, start=start,
                end=start + len(written), sentence_start=s0, sentence_end=s1)


FACTS = [
    fact("760张", "张", 760, "新增", "养老床位"),
    fact("180张", "张", 180, "改建", "认知障碍照护床位"),
    fact("60%", "%", 0.6, "不低于", "护理型床位"),
    fact("21.52%", "%", 0.2152, None, "社区工作者持证率", year=None),
    fact("27%", "%", 0.27, None, "社区工作者持证率", year=None),
    fact("805家", "家", 805, "总数", "社会组织", year=None),
    fact("292家", "家", 292, None, "直接登记", year=None),
]
VIEWS = [view_fact(f, TEXT, (2022,)) for f in FACTS]
IDF = idf_table(v.item + v.clause for v in VIEWS)


def best(query: Query, subject: str | None = None, unit_explicit: bool = True) -> str | None:
    content = bigrams(question_content(query))
    subj = bigrams(canonicalize(subject)) if subject else None
    scored = [(match_fact(v, query, content, subj, IDF, unit_explicit), v.fact.as_written) for v in VIEWS]
    scored = [(s, w) for s, w in scored if s is not None]
    return max(scored)[1] if scored else None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("养老院床位", "养老床位"),
        ("认知症床位有多少", "认知障碍照护床位有多少"),
        ("老人食堂和助餐点", "社区长者食堂和社区老年助餐服务场所"),
        ("认知障碍照护床位", "认知障碍照护床位"),  # already the documents' wording: untouched
    ],
)
def test_canonicalize_maps_everyday_words_once_longest_first(text, expected):
    assert canonicalize(text) == expected


def test_bigrams_ignore_quotes_so_quoted_names_still_match():
    assert bigrams("窗口“好差评”满意率") == bigrams("窗口好差评满意率")
    assert coverage(bigrams("养老床位"), bigrams("新增760张养老床位")) == 1.0
    assert coverage(set(), bigrams("x")) == 0.0


def test_weighted_coverage_counts_rare_bigrams_more():
    idf = idf_table(["养老床位 跨省", "养老床位", "养老床位 新增", "养老床位"])
    rare = weighted_coverage(bigrams("养老床位跨省"), bigrams("跨省"), idf)
    common = weighted_coverage(bigrams("养老床位跨省"), bigrams("养老床位"), idf)
    assert rare > coverage(bigrams("养老床位跨省"), bigrams("跨省"))
    assert 0 < common < 1


@pytest.mark.parametrize(
    "asked, unit, ok",
    [("张", "张", True), ("个", "家", True), ("人", "名", True), ("元", "万元", True), ("批", "批次", True),
     ("张", "家", False), ("%", "张", False), ("户", "人", False)],
)
def test_unit_matches(asked, unit, ok):
    assert unit_matches(asked, unit) is ok


@pytest.mark.parametrize(
    "text, expected",
    [("上海22年评的是第几届先进社会组织？", "届"), ("做到第几轮了", "轮"), ("能供多少客", "客"),
     ("有几个镇", "个"), ("多少个项目", "个"), ("是多少", None)],
)
def test_asked_unit_takes_the_classifier_after_ji_or_duoshao(text, expected):
    assert asked_unit(text, {"届", "轮", "客", "镇", "个", "家"}) == expected


@pytest.mark.parametrize(
    "asked, fact_qualifier, conflict",
    [("新增", "改建", True), ("改建", "新增", True), ("总数", "新增", True), ("新增", "新增", False),
     ("新增", "完成", False), (None, "改建", False), ("新增", None, False)],
)
def test_qualifier_conflicts(asked, fact_qualifier, conflict):
    f = fact("760张", "张", 760, fact_qualifier, "养老床位")
    assert qualifier_conflicts(asked, f) is conflict


def test_year_matches_only_the_year_a_figure_is_for():
    single = view_fact(fact("760张", "张", 760, "新增", "养老床位", year=None), TEXT, (2022,))
    multi = view_fact(fact("805家", "家", 805, "总数", "社会组织", year=None), TEXT, (2021, 2022, 2023))
    assert year_matches(single, 2022) and not year_matches(single, 2023)
    assert year_matches(multi, None) and not year_matches(multi, 2022)  # a review's undated figure is no year's


@pytest.mark.parametrize(
    "query, subject, expected",
    [
        (Query(text="宝山22年新增多少养老床位", year=2022, qualifier="新增", unit="张", subject="养老床位"), "养老床位", "760张"),
        (Query(text="宝山22年改建了多少认知症床位", year=2022, qualifier="改建", unit="张", subject="认知障碍照护床位"), "认知障碍照护床位", "180张"),
        (Query(text="护理型床位占比要达到多少", unit="%", subject="护理型床位"), "护理型床位", "60%"),
        (Query(text="社区工作者持证率现在提到多少了", unit="%"), None, "27%"),  # the new value, not the old one
        (Query(text="十三五末期社区工作者持证率是多少", unit="%"), None, "21.52%"),
        (Query(text="805家社会组织里直接登记的有几家", unit="家", subject="社会组织"), "社会组织", "292家"),
    ],
)
def test_the_right_figure_among_near_ones(query, subject, expected):
    assert best(query, subject) == expected


@pytest.mark.parametrize(
    "query, subject",
    [
        (Query(text="宝山22年新增多少家庭照护床位", year=2022, qualifier="新增", unit="张", subject="家庭照护床位"), "家庭照护床位"),
        (Query(text="宝山2023年新增多少养老床位", year=2023, qualifier="新增", unit="张", subject="养老床位"), "养老床位"),
        (Query(text="宝山现在养老床位总数是多少", qualifier="总数", unit="张", subject="养老床位"), "养老床位"),
        (Query(text="养老床位有多少张", unit="张", subject="养老床位"), "养老床位"),  # a total, not an increase
        (Query(text="户籍老年人口有多少"), None),
    ],
)
def test_no_figure_when_the_documents_do_not_give_one(query, subject):
    assert best(query, subject) is None
