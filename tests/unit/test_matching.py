# ruff: noqa: E501
"""Comparing a question's wording with the documents': pure functions, tables of cases."""

import pytest

from assistant.answer.matching import (
    asked_unit,
    bigrams,
    canonicalize,
    gram_weight,
    idf_table,
    question_content,
    unit_matches,
    weighted_coverage,
)


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
    assert bigrams("养老床位") <= bigrams("新增760张养老床位")


def test_weighted_coverage_counts_rare_bigrams_more():
    idf = idf_table(["养老床位 跨省", "养老床位", "养老床位 新增", "养老床位"])
    rare = weighted_coverage(bigrams("养老床位跨省"), bigrams("跨省"), idf)
    common = weighted_coverage(bigrams("养老床位跨省"), bigrams("养老床位"), idf)
    assert rare > len(bigrams("跨省")) / len(bigrams("养老床位跨省"))  # more than its share of bigrams
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


def test_question_content_leaves_out_fillers_and_the_asked_multiplier():
    from assistant.core.types import Query

    content = question_content(Query(text="2024年东莞光出口这一块是多少亿？", district="东莞市", year=2024))
    assert content.split() == ["出口"]


@pytest.mark.parametrize(
    "text, kept",
    [("2022年统计公报注释里说高技术制造业包括几大类？", ["高技术", "制造业"]),
     ("工作要点里提到要建几个服务站？", ["服务站"]),
     ("文件开头说扛起了几大使命？", ["扛起", "大", "使命"]),
     ("报告发病数最多的是什么病？", ["报告", "发病", "数最多", "病"])],  # 报告 here is what is counted
)
def test_question_content_leaves_out_where_the_asker_read_it(text, kept):
    from assistant.core.types import Query

    assert question_content(Query(text=text)).split() == kept


def test_a_one_character_word_is_found_inside_a_longer_one_at_half_weight():
    idf = {"电": 2.0, "全社": 2.0, "": 3.0}
    needle = bigrams("全社") | bigrams("电")
    assert weighted_coverage(needle, bigrams("全社会用电量", chars=True), idf) == 1.0
    assert weighted_coverage(needle, bigrams("全社会用水量", chars=True), idf) == 2.0 / 3.0
    assert gram_weight("电", idf) == 1.0 and gram_weight("全社", idf) == 2.0


def test_a_synonym_is_swapped_only_where_the_corpus_writes_the_replacement():
    assert canonicalize("PM2.5年均浓度") == "细颗粒物年均浓度"
    writes_pm = bigrams("PM2.5年均浓度")
    assert canonicalize("PM2.5年均浓度", known=writes_pm) == "PM2.5年均浓度"
    assert canonicalize("PM2.5年均浓度", known=bigrams("细颗粒物平均浓度")) == "细颗粒物年均浓度"


def test_scaled_idf_weighs_some_grams_less():
    from assistant.answer.matching import ScaledIdf, gram_weight

    idf = {"利润": 4.0, "旅行": 3.0, "": 2.0}
    scaled = ScaledIdf(idf, {"旅行"}, 0.5)
    assert gram_weight("利润", scaled) == 4.0 and gram_weight("旅行", scaled) == 1.5
    assert gram_weight("未知", scaled) == 2.0 and len(scaled) == 3


@pytest.mark.parametrize("content, corpus, expanded", [
    ("三甲 医院", "三级医院40个（其中：三级甲等医院18个），二级医院120个。", "三级甲等 医院"),
    ("未保站 覆盖", "未成年人保护工作站覆盖全部街镇。", "未成年人保护工作站 覆盖"),
    ("医院 数量", "三级甲等医院18个。", "医院 数量"),  # every word is written: nothing to expand
    ("三甲 医院", "三级医院40个，二级医院120个。", "三甲 医院"),  # no full name beside the next word
    ("大洲 出口", "对大洋洲出口增长2.0%。", "大洲 出口"),  # a name not twice as long is another word
])
def test_an_abbreviation_the_corpus_never_writes_is_spelled_out(content, corpus, expanded):
    from assistant.answer.matching import expand_abbreviations

    known = bigrams(corpus)
    assert expand_abbreviations(content, known, corpus) == expanded


@pytest.mark.parametrize(("text", "expected"), [
    ("新增床位", "新增养老床位"),            # nothing says which beds: the default reading
    ("医疗床位", "医疗床位"),                # a noun before the bare head names another kind
    ("乡镇卫生院的床位", "乡镇卫生院的床位"),
    ("养老院床位", "养老床位"),              # a full variant is swapped as before
])
def test_a_bare_head_synonym_is_swapped_only_when_nothing_names_the_kind(text, expected):
    assert canonicalize(text) == expected


def test_question_content_keeps_the_pairs_of_a_word_jieba_splits_into_characters():
    from assistant.core.types import Query

    content = question_content(Query(text="长宁社区云上云率是多少？", district="长宁区"))
    assert "上云" in bigrams(content) and "长宁" not in content


@pytest.mark.parametrize("text", ["二〇二二年长宁呢？", "22年长宁呢？", "2022年长宁呢？"])
def test_question_content_leaves_out_a_year_in_any_writing(text):
    from assistant.core.types import Query

    assert question_content(Query(text=text, district="长宁区")).strip() == ""



def test_a_quoted_plan_period_is_when_not_what():
    """“六个老有” stays whole as a quoted term; “十四五” quoted is still a time, and 已经 a filler."""
    from assistant.core.types import Query

    assert question_content(Query(text="山东“十四五”末已经是多少了？", district="山东省")).strip() == ""
    assert "六个老有" in question_content(Query(text="“六个老有”是什么"))
