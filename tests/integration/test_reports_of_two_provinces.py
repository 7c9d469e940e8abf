"""Two provincial work reports written for this test (invented figures): a review section headed by a plan
period dates its figures to the period's end, and follow-ups carry what the conversation asked."""

import pytest

from assistant.serve.engine import build_engine

pytestmark = pytest.mark.slow

# a newspaper version: the review is headed by the plan period only, the year it ends with is not written
HEBEI = """2026年河北省政府工作报告（测试用虚构数字）

一、“十四五”时期经济社会发展回顾
全省高速公路总里程达到8000公里，港口通过能力突破10亿吨。
这五年，民生保障扎实稳固。居民人均可支配收入从25000元增长到33000元，城镇新增就业400万人。
刚刚过去的2025年，我们顶住压力、迎难而上，经济回升向好。全省生产总值增长5.7%，一般公共预算收入增长2.5%。全年改造城镇老旧小区1200个。

二、2026年主要工作
主要预期目标是：地区生产总值增长5%以上，一般公共预算收入增长2%左右，城镇新增就业80万人以上。
"""

YUNNAN = """2026年云南省政府工作报告（测试用虚构数字）

一、2025年工作回顾
全省生产总值增长4.2%，从2020年的2.4万亿元增长到2025年的3.6万亿元。开工改造城镇老旧小区9.1万户，新建改造城镇地下管网7000公里。

二、2026年主要工作
地区生产总值增长4.5%左右。
"""


@pytest.fixture(scope="module")
def engine(real_settings, tmp_path_factory):
    corpus = tmp_path_factory.mktemp("provinces-corpus")
    (corpus / "2026年河北省政府工作报告.txt").write_text(HEBEI, encoding="utf-8")
    (corpus / "2026年云南省政府工作报告.txt").write_text(YUNNAN, encoding="utf-8")
    root = tmp_path_factory.mktemp("provinces")
    return build_engine(real_settings.model_copy(update={"corpus_dir": corpus, "index_dir": root / "index"}))


def test_a_review_headed_by_its_plan_period_speaks_of_the_period_s_last_year(engine):
    answer = engine.ask("河北2025年高速公路总里程有多少公里？")
    assert not answer.refused and "8000公里" in answer.text, answer.text


def test_a_paragraph_opening_on_a_span_of_years_holds_no_single_year_s_figure(engine):
    answer = engine.ask("河北2025年城镇新增就业多少人？")
    assert answer.refused and "400万人" not in answer.text.split("相近")[0], answer.text
    answer = engine.ask("河北十四五期间新增就业多少人？")
    assert not answer.refused and "400万人" in answer.text, answer.text


def test_a_target_follow_up_asks_the_change_its_conversation_asked(engine):
    first = engine.ask("河北2025年全省生产总值增长了多少？")
    assert "5.7%" in first.text, first.text
    answer = engine.ask("2026年的目标呢？", ["河北2025年全省生产总值增长了多少？"])
    assert not answer.refused and "5%" in answer.text and "5.7%" not in answer.text, answer.text
    assert "增长不低于5%" in answer.text, answer.text  # a change reads as one, and the target keeps its bound


def test_another_place_may_count_the_carried_subject_in_its_own_unit(engine):
    history = ["河北2025年改造了多少个城镇老旧小区？"]
    assert "1200个" in engine.ask(history[0]).text
    answer = engine.ask("那云南的呢？", history)
    assert not answer.refused and "9.1万户" in answer.text, answer.text


def test_a_year_only_a_figure_s_own_words_date_is_covered(engine):
    answer = engine.ask("那2020年的时候呢？", ["云南2025年全省生产总值是多少？"])
    assert not answer.refused and "2.4万亿元" in answer.text, answer.text
    answer = engine.ask("云南2020年城镇地下管网新建改造了多少公里？")  # 2020 dates one figure, not this one
    assert answer.refused and "7000公里" not in answer.text.split("相近")[0], answer.text


def test_in_a_paragraph_on_five_years_a_change_s_ends_hold_for_its_first_and_last_year(engine):
    answer = engine.ask("河北2025年居民人均可支配收入是多少？")
    assert not answer.refused and "33000元" in answer.text, answer.text
    answer = engine.ask("那2020年呢？", ["河北2025年居民人均可支配收入是多少？"])
    assert not answer.refused and "25000元" in answer.text, answer.text



def test_a_follow_up_naming_its_own_place_year_and_thing_still_asks_a_figure(engine):
    answer = engine.ask("云南2026年的生产总值目标呢？", ["河北2025年全省生产总值增长了多少？"])
    assert not answer.refused and "4.5%" in answer.text and "左右" in answer.text, answer.text


def test_a_part_asked_in_a_follow_up_is_never_answered_by_its_whole(engine):
    history = ["河北2026年城镇新增就业的目标是多少？"]
    assert "80万人" in engine.ask(history[0]).text
    answer = engine.ask("其中高校毕业生有多少？", history)  # the report names no such part
    assert answer.refused and "80万人" not in answer.text.split("相近")[0], answer.text
