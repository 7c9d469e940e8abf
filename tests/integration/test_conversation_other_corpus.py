"""Conversations over a document of another city, written for this test (invented figures): a chain
of short questions keeps what the conversation is about, and the follow-up's own words decide."""

import re

import pytest

from assistant.serve.engine import build_engine

pytestmark = pytest.mark.slow

BULLETIN = """嘉兴市2023年教育和旅游统计摘要（测试用虚构数字）

嘉兴市统计局 国家统计局嘉兴调查队

一、教育
年末全市共有幼儿园1200所，在园幼儿35.2万人。普通小学480所，在校学生98.6万人。普通中学300所，在校学生60.1万人。

二、旅游和文化
年末全市共有旅行社820家，全年旅行社营业收入45.3亿元，营业利润2.1亿元。文化市场经营单位1.2万家，营业收入300.5亿元，营业利润20.8亿元。

三、服务业
全年规模以上服务业营业收入500.0亿元，增长6.0%。分行业看，交通运输业增长3.1%，软件业增长15.2%，租赁业下降2.4%，教育服务业增长7.7%。

四、社会保障
年末2.2万城镇居民、7.5万农村居民享受最低生活保障。

五、博物馆
全年博物馆接待观众1500万人次，增长12.0%，其中未成年人450万人次，增长20.5%，占接待总人数的30.0%。

六、工作要求
严格执行文物安全“三个一律”，全面贯彻市第九次党代会精神，扛起两大历史使命。
深入开展“进百村、访百户、解百难”活动，走访群众2.3万人次。
全年养老服务考核排名全省第三、全市第一。
全面推行婚姻登记“跨省通办”，全年办理结婚登记8200对，其中跨区900对，跨省45对。

八、妇幼健康
全年婴儿死亡率1.6‰，孕产妇死亡率5.1/10万，5岁以下儿童死亡率2.2‰。

七、康复服务
全年得到康复服务的残疾人共5.0万人。从服务的残疾类型来看，视力残疾0.4万人，肢体残疾1.8万人，精神残疾2.1万人，0-6岁残疾儿童0.7万人。从服务的内容来看，康复医疗服务2.5万人，功能训练服务1.2万人，辅助器具服务1.3万人。
"""


@pytest.fixture(scope="module")
def engine(real_settings, tmp_path_factory):
    corpus = tmp_path_factory.mktemp("jiaxing-corpus")
    (corpus / "嘉兴市2023年教育和旅游统计摘要.txt").write_text(BULLETIN, encoding="utf-8")
    root = tmp_path_factory.mktemp("jiaxing")
    return build_engine(real_settings.model_copy(update={"corpus_dir": corpus, "index_dir": root / "index",
                                                         "home_place": "嘉兴市"}))


@pytest.mark.parametrize("history, question, figure", [
    (["2023年全市幼儿园有多少所？", "那小学呢？"], "在校学生有多少？", "98.6万人"),
    (["2023年全市旅行社有多少家？", "全年营业收入多少？"], "利润呢？", "2.1亿元"),
    (["2023年全市旅行社有多少家？"], "营业收入多少？", "45.3亿元"),
    (["2023年全市文化市场经营单位有多少家？"], "营业利润多少？", "20.8亿元"),
])
def test_a_chain_of_short_questions_keeps_its_subject(engine, history, question, figure):
    answer = engine.ask(question, history)
    assert not answer.refused and figure in answer.text, answer.text


def test_a_bare_amount_counts_the_people_named_after_it(engine):
    answer = engine.ask("嘉兴2023年有多少农村居民享受低保？")
    assert answer.unit == "人" and "7.5万" in answer.text, answer.text


def test_who_issued_the_document_is_answered_from_its_opening(engine):
    answer = engine.ask("这份统计摘要是哪些单位发布的？")
    assert re.search("由嘉兴市统计局、?国家统计局嘉兴调查队发布", answer.text), answer.text
    assert "嘉兴市统计局" in answer.citations[0].text


@pytest.mark.parametrize("question, item", [
    ("2023年规模以上服务业哪个行业增长最快？", "软件业增长15.2%"),
    ("2023年规模以上服务业哪个行业增长最慢？", "租赁业下降2.4%"),
])
def test_which_item_of_a_list_is_highest_is_read_from_the_list(engine, question, item):
    answer = engine.ask(question)
    assert item in answer.text and "分行业看" in answer.citations[0].text, answer.text


@pytest.mark.parametrize("question, item", [
    # the list whose own words say what the question sorts by, though an age (0-6岁) stands in one item
    ("2023年得到康复服务的残疾人按残疾类型看哪一类人数最多？", "精神残疾2.1万人"),
    ("2023年残疾人康复按服务的内容看哪一项人数最多？", "康复医疗服务2.5万人"),
])
def test_the_list_sorted_by_what_the_question_asks_is_the_one_ranked(engine, question, item):
    answer = engine.ask(question)
    assert item in answer.text, answer.text


def test_a_share_is_answered_with_a_share(engine):
    """30.0% leans on 增长20.5%, which leans on 其中未成年人450万人次: the share is the minors'; a count
    in 人次 cannot answer 占多大比例."""
    answer = engine.ask("2023年博物馆接待的观众里，未成年人占多大比例？")
    assert not answer.refused and "30.0%" in answer.text, answer.text


@pytest.mark.parametrize("question, written, value", [
    ("文物安全要执行几个一律？", "三个", 3),
    ("2023年贯彻的是市第几次党代会精神？", "第九次", 9),
    ("要扛起几大历史使命？", "两大", 2),
])
def test_a_count_asked_in_the_documents_own_phrase_is_read_there(engine, question, written, value):
    answer = engine.ask(question)
    assert not answer.refused and answer.as_written == written and answer.value == value, answer.text
    assert written in answer.citations[0].text


def test_a_list_named_by_its_size_and_shared_character_is_quoted(engine):
    answer = engine.ask("说的三百具体是哪三个百？")  # the text never writes 三百
    assert not answer.refused and "进百村、访百户、解百难" in answer.text, answer.text


def test_a_part_asked_of_a_whole_is_answered_by_the_part(engine):
    answer = engine.ask("2023年结婚登记里面跨省的有多少对？")  # 跨省 is also in the clause before the whole
    assert answer.as_written == "45对", answer.text


def test_a_rank_within_a_place_is_read_where_the_documents_write_it(engine):
    answer = engine.ask("2023年养老服务考核在全省排第几？")
    assert "全省第三" in answer.text and answer.value == 3, answer.text
    answer = engine.ask("那在全市排第几？", ["2023年养老服务考核在全省排第几？"])
    assert "全市第一" in answer.text and answer.value == 1, answer.text
    # a rank of something else is not borrowed
    assert "第三" not in engine.ask("2023年旅行社营业收入在全省排第几？").text


def test_a_rate_per_so_many_answers_a_rate_asked(engine):
    # 5.1/10万 is a rate as 1.6‰ is: the rate of the thing asked wins
    answer = engine.ask("2023年全市孕产妇死亡率是多少？")
    assert "5.1/10万" in answer.text, answer.text
