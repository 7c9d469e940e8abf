"""Choosing among a passage's figures by place, and the arithmetic answers show (pure functions)."""

from __future__ import annotations

import re

import pytest

from assistant.answer.figures import (
    Candidate,
    _mention_owners,
    difference_text,
    total_text,
    without_averages,
    without_superseded,
)
from assistant.answer.verification import unsupported_figures
from assistant.core.types import Citation, Fact

LIST_SENTENCE = "甲县、乙县和丙市主要污染物为臭氧，超标天数为10天、7天、3天。"
OWN_SENTENCE = "甲县、乙县、丙市的优良天数分别为346天、354天、355天，优良率分别为94.5%、96.7%、97.0%。"


def facts_of(text: str) -> list[Fact]:
    out = []
    for i, m in enumerate(re.finditer(r"\d+(?:\.\d+)?(?:天|%)", text)):
        out.append(Fact(fact_id=f"f{i}", chunk_id="c", doc_id="d", value=float(m.group(0)[:-1]),
                        unit=m.group(0)[-1], as_written=m.group(0), qualifier=None, subject=None,
                        district=None, year=None, start=m.start(), end=m.end(), sentence_start=0,
                        sentence_end=len(text)))
    return out


def written(text: str, ids: set[str]) -> list[str]:
    return [f.as_written for f in facts_of(text) if f.fact_id in ids]


def test_a_list_of_places_owns_the_figures_of_a_later_clause_in_order():
    assert written(LIST_SENTENCE, _mention_owners(LIST_SENTENCE, facts_of(LIST_SENTENCE), "丙市")) == ["3天"]
    assert written(LIST_SENTENCE, _mention_owners(LIST_SENTENCE, facts_of(LIST_SENTENCE), "甲县")) == ["10天"]


def test_each_clause_of_a_respective_list_gives_the_place_its_own_figure():
    owners = _mention_owners(OWN_SENTENCE, facts_of(OWN_SENTENCE), "乙县")
    assert written(OWN_SENTENCE, owners) == ["354天", "96.7%"]


def test_no_place_named_owns_nothing():
    assert _mention_owners(LIST_SENTENCE, facts_of(LIST_SENTENCE), "丁县") == set()
    assert _mention_owners(LIST_SENTENCE, facts_of(LIST_SENTENCE), None) == set()


def fact(value: float, unit: str, as_written: str) -> Fact:
    return Fact(fact_id=as_written, chunk_id="c", doc_id="d", value=value, unit=unit, as_written=as_written,
                qualifier=None, subject=None, district=None, year=None, start=0, end=0, sentence_start=0,
                sentence_end=0)


def cited(*texts: str) -> tuple[Citation, ...]:
    return tuple(Citation(doc_id="d", doc_title="t", section="", text=t, start=0, end=len(t)) for t in texts)


def test_a_difference_is_exact_and_passes_the_figure_check():
    a, b = ("2024年", fact(3269500, "人", "326.95万人")), ("2023年", fact(3078800, "人", "307.88万人"))
    value, fig, text = difference_text(a, b, "人")
    assert (round(value), fig) == (190700, "19.07万人")
    assert unsupported_figures(text, cited("户籍人口326.95万人。", "户籍人口307.88万人。")) == []
    value, fig, text = difference_text(("2021年", fact(0.869, "%", "86.9%")), ("2024年", fact(0.873, "%", "87.3%")), "%")
    assert fig == "0.4%" and "少" in text  # decimal arithmetic: no 0.40000000000000036%


def test_a_sum_is_exact():
    total, fig, _ = total_text([("甲", fact(0.1, "%", "10%")), ("乙", fact(0.2, "%", "20%"))], "%")
    assert total == 0.3 and fig == "30%"


def test_a_figure_per_person_gives_way_to_a_likely_total_only():
    text = "公共图书馆图书总藏量1600万册，人均图书藏量2.9册。"
    total, per_person = [Fact(fact_id=w, chunk_id="c", doc_id="d", value=1.0, unit="册", as_written=w, qualifier=None,
                              subject=None, district=None, year=None, start=0, end=1, sentence_start=0,
                              sentence_end=len(text)) for w in ("1600万册", "2.9册")]
    per = Candidate(per_person, 0.6, {"average_not_asked": 1.0})
    likely_total, unlikely_total = (Candidate(total, p, {"average_not_asked": 0.0}) for p in (0.3, 0.01))
    assert without_averages([per, likely_total], threshold=0.05) == [likely_total]
    # no likely total: 可支配收入 asked without 人均 is still answered by the figure stated per person
    assert without_averages([per, unlikely_total], threshold=0.05) == [per, unlikely_total]


def test_a_whole_gives_way_to_the_side_asked_in_its_sentence():
    from assistant.answer.figures import sides_over_wholes

    def cand(written, p, side_own, contrasted, sentence=0):
        f = Fact(fact_id=written, chunk_id="c", doc_id="d", value=1.0, unit="/10万", as_written=written,
                 qualifier=None, subject=None, district=None, year=None, start=0, end=1,
                 sentence_start=sentence, sentence_end=40)
        return Candidate(f, p, {"side_own": side_own, "side_contrasted": contrasted})

    # 农村孕产妇死亡率 asked: 全国…14.3/10万，其中：城市12.5/10万，农村15.9/10万
    whole, rural = cand("14.3/10万", 0.7, 0.0, 1.0), cand("15.9/10万", 0.5, 1.0, 1.0)
    elsewhere = cand("14.3/10万", 0.4, 0.0, 0.0, sentence=50)  # a sentence that does not split it
    assert sides_over_wholes([whole, rural, elsewhere], threshold=0.05) == [rural, elsewhere]
    unlikely_rural = cand("15.9/10万", 0.01, 1.0, 1.0)
    assert sides_over_wholes([whole, unlikely_rural], threshold=0.05) == [whole, unlikely_rural]


@pytest.mark.parametrize("question, subject, unit, people", [
    ("全国农村特困人员有多少？", "农村特困人员", None, True),
    ("特困人员救助供养资金有多少？", "特困人员救助供养资金", None, False),
    ("低保对象有多少户？", "低保对象", "户", False),          # a unit named: that decides
    ("城镇居民人均可支配收入是多少？", "城镇居民", None, False),  # money asked
    ("农村特困人员比上年增长了多少？", "农村特困人员", None, False),  # a change in no unit: maybe a rate
    ("农村特困人员比上年增加了多少？", "农村特困人员", None, True),
    ("城市特困人员的基本生活费提到多少？", "城市特困人员", None, False),  # 生活费, 护理费: money
])
def test_a_question_counting_people(question, subject, unit, people):
    from assistant.answer.figures import counts_people
    from assistant.core.types import Query

    assert counts_people(Query(text=question, subject=subject, unit=unit)) is people


def test_a_follow_up_counts_people_unless_the_question_it_follows_asks_money():
    from assistant.answer.figures import counts_people
    from assistant.core.types import Query

    def follow_up(context: str) -> Query:
        return Query(text="那农村的呢？", subject="农村常住居民", context=context)
    assert not counts_people(follow_up("城镇常住居民人均消费支出多少？"))
    assert counts_people(follow_up("城镇常住居民有多少？"))


def _in_sentence(text, written, p):
    at = text.index(written)
    f = Fact(fact_id=written, chunk_id="c", doc_id="d", value=1.0, unit="人", as_written=written, qualifier=None,
             subject=None, district=None, year=None, start=at, end=at + len(written), sentence_start=0,
             sentence_end=len(text))
    return Candidate(f, p, {})


@pytest.mark.parametrize("question_words, kept", [
    ("持证 社会工作者", ["73.7万人"]),                            # the whole asked: its parts give way
    ("助理 社会工作师", ["55.9万人", "73.7万人", "17.7万人"]),       # a part named: nothing gives way
])
def test_parts_give_way_to_their_whole_unless_the_question_names_them(question_words, kept):
    from types import SimpleNamespace

    from assistant.answer.features import asked_of
    from assistant.answer.figures import parts_under_wholes
    from assistant.core.types import Query

    text = "全国持证社会工作者共计73.7万人，其中助理社会工作师55.9万人，社会工作师17.7万人。"
    ctx = SimpleNamespace(index=SimpleNamespace(documents={"d": SimpleNamespace(text=text)}))
    cands = [_in_sentence(text, w, p) for w, p in (("55.9万人", 0.8), ("73.7万人", 0.7), ("17.7万人", 0.6))]
    asked = asked_of(Query(text="多少人"), question_words, None)
    assert [c.fact.as_written for c in parts_under_wholes(ctx, cands, asked, 0.05)] == kept


def test_a_list_item_keeps_the_commas_of_its_brackets():
    from assistant.ingest.subjects import respective_item

    clause = "参加养老（不含机关、含离退休退职）、医疗（生育）、失业、工伤保险人数分别为44万人、30万人、24万人和29万人"
    assert respective_item(clause, clause.index("24万人")) == "失业"
    assert respective_item(clause, clause.index("44万人")) == "参加养老（不含机关、含离退休退职）"


@pytest.mark.parametrize("clause, rest", [
    ("其余3个县（市）道路交通噪声64.6分贝", True),
    ("其他区县新增床位200张", True),
    ("杭州市区道路交通噪声66.4分贝", False),
    ("其余资金用于社区服务", False),   # no place named
])
def test_a_figure_of_the_other_places(clause, rest):
    from assistant.answer.figures import _OF_THE_REST

    assert bool(_OF_THE_REST.match(clause)) is rest


@pytest.mark.parametrize("clause, mean_change", [
    ("农村居民收入年均增长7.2%", True),
    ("PM2.5年均浓度28微克/立方米", False),   # one year's mean
])
def test_a_mean_change_over_years(clause, mean_change):
    from assistant.answer.figures import _MEAN_CHANGE

    assert bool(_MEAN_CHANGE.search(clause)) is mean_change


def test_a_figure_its_sentence_says_changed_gives_way_to_what_it_became():
    text = "年末城镇调查失业率从上半年5.5%降到5.3%。"

    def cand(written: str, p: float, superseded: float) -> Candidate:
        start = text.index(written)
        f = Fact(fact_id=written, chunk_id="c", doc_id="d", value=float(written[:-1]), unit="%", as_written=written,
                 qualifier=None, subject=None, district=None, year=None, start=start, end=start + len(written),
                 sentence_start=0, sentence_end=len(text))
        return Candidate(f, p, {"superseded": superseded})

    before, after = cand("5.5%", 0.9, 1.0), cand("5.3%", 0.8, 0.0)
    assert without_superseded([before, after], threshold=0.05) == [after]
    unlikely = cand("5.3%", 0.01, 0.0)  # what it became does not answer: the earlier figure stays
    assert without_superseded([before, unlikely], threshold=0.05) == [before, unlikely]


def test_a_figure_whose_own_words_name_a_place_inside_the_asked_one_is_that_places():
    from types import SimpleNamespace

    from assistant.answer.figures import _of_a_place_inside
    from assistant.core.types import Fact
    from assistant.text.places import gazetteer

    text = "全省接待入境游客增长19.1%，张家界入境游客增长32.5%。"
    hunan = next(p for p in gazetteer().by_code.values() if p.name == "湖南省")
    ctx = SimpleNamespace(held={hunan.code: {2025}})

    def fact(written: str) -> Fact:
        start = text.index(written)
        return Fact(fact_id=written, chunk_id="c", doc_id="d", value=0.0, unit="%", as_written=written,
                    qualifier=None, subject=None, district="湖南省", place=hunan.code, year=2025,
                    start=start, end=start + len(written), sentence_start=0, sentence_end=len(text))
    assert _of_a_place_inside(ctx, text, fact("32.5%"), hunan)
    assert not _of_a_place_inside(ctx, text, fact("19.1%"), hunan)  # 全省 is the asked place itself
    assert not _of_a_place_inside(ctx, text, fact("32.5%"), None)


@pytest.mark.parametrize(
    "question, content, expected",
    [
        ("2024年东莞全年打了多少粮食？", "全年 打 粮食", "全年 粮食"),  # 打 frames the 粮食 asked about
        ("长宁十四五前半段花了多少救助资金？", "前半段 花 救助 资金", "前半段 救助 资金"),
        ("长宁社区工作者持证率现在提到多少了？", "社区 工作者 持证 率", "社区 工作者 持证 率"),  # 率 is no verb here
        ("帮我算一下新增的老年助餐点总共多少家", "老年 助 餐点", "老年 助 餐点"),  # 助 is bound to 餐点
    ],
)
def test_a_light_verb_before_the_question_word_is_an_optional_word(question, content, expected):
    from assistant.answer.figures import without_light_verbs

    assert without_light_verbs(question, content) == expected


def _candidate(subject: str, p: float) -> Candidate:
    fact = Fact(fact_id=subject, chunk_id="c", doc_id="d", value=1.0, unit="元", as_written="1元", qualifier=None,
                subject=subject, district=None, year=None, start=0, end=2, sentence_start=0, sentence_end=2)
    return Candidate(fact, p, {})


def test_a_side_the_question_does_not_say_gives_way_to_a_likely_whole_of_the_same_thing():
    from assistant.answer.figures import wholes_over_sides

    rural, whole = _candidate("农村居民人均可支配收入", 0.5), _candidate("全年全市居民人均可支配收入", 0.4)
    other = _candidate("完整社区试点", 0.4)
    kept = wholes_over_sides([rural, whole], "那2024年呢？ 居民人均可支配收入是多少？", 0.05)
    assert kept == [whole]
    assert wholes_over_sides([rural, whole], "农村的呢？ 居民人均可支配收入", 0.05) == [rural, whole]  # asked
    assert wholes_over_sides([_candidate("城镇老旧小区", 0.5), other], "老旧小区改造了多少个", 0.05)[0].fact.subject == "城镇老旧小区"

