"""Follow-ups: which slots a question takes from the conversation, and which it replaces."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.answer.dialogue import (
    has_followup_marker,
    inherited_slots,
    is_followup,
    resolve,
    resolve_turn,
    understood_as,
)
from assistant.answer.understanding import parse_question
from assistant.core.types import Query, Turn

_ = None
PUTUO = "普陀2024年新增多少养老床位？"
MARRIAGE = "长宁2022年结婚登记多少对"
SUM = "长宁跟宝山22年一共新增多少养老床位"
COMPARE = "2022年哪个区新增养老床位最多"
TEXT = "普陀在哪个街道试点家庭照护床位"

# history, question, district, districts, year, qualifier, unit, subject, intent
HELPER = "社区老年助餐服务场所"
DEMENTIA = "认知障碍照护床位"
DIALOGUE = [
    ([PUTUO], "那宝山2022年呢？", "宝山区", (), 2022, "新增", "张", "养老床位", "lookup"),
    ([PUTUO], "那宝山呢", "宝山区", (), 2024, "新增", "张", "养老床位", "lookup"),
    ([PUTUO], "那2022年呢", "普陀区", (), 2022, "新增", "张", "养老床位", "lookup"),
    ([PUTUO], "宝山区呢？", "宝山区", (), 2024, "新增", "张", "养老床位", "lookup"),
    ([PUTUO], "那如果是宝山呢", "宝山区", (), 2024, "新增", "张", "养老床位", "lookup"),
    ([PUTUO], "换成长宁", "长宁区", (), 2024, "新增", "张", "养老床位", "lookup"),
    ([PUTUO], "还有呢", "普陀区", (), 2024, "新增", "张", "养老床位", "lookup"),
    ([PUTUO], "那长者食堂呢", "普陀区", (), 2024, "新增", "家", "社区长者食堂", "lookup"),
    ([PUTUO], "认知症床位呢？", "普陀区", (), 2024, "新增", "张", "认知障碍照护床位", "lookup"),
    ([PUTUO], "那改建呢", "普陀区", (), 2024, "改建", "张", "养老床位", "lookup"),
    ([PUTUO], "护理型床位占比要求是多少", "普陀区", (), 2024, _, "%", "护理型床位", "lookup"),  # its own subject, asked where and when the talk is
    ([PUTUO], "上海2022年要建多少个助餐点", "上海市", (), 2022, "新增", "个", HELPER, "lookup"),
    ([PUTUO], "长宁十四五以来改建了多少认知症床位", "长宁区", (), _, "改建", "张", DEMENTIA, "lookup"),
    ([PUTUO, "那宝山呢"], "2022年呢？", "宝山区", (), 2022, "新增", "张", "养老床位", "lookup"),
    ([PUTUO, "那宝山呢", "2022年呢？"], "那长者食堂呢", "宝山区", (), 2022, "新增", "家", "社区长者食堂",
     "lookup"),
    ([MARRIAGE], "离婚登记呢？", "长宁区", (), 2022, _, "对", "离婚登记", "lookup"),
    ([MARRIAGE], "那2022年呢", "长宁区", (), 2022, _, "对", "婚姻登记", "lookup"),
    ([MARRIAGE, "离婚登记呢？"], "那宝山呢", "宝山区", (), 2022, _, "对", "离婚登记", "lookup"),
    ([SUM], "那认知症床位呢", _, ("长宁区", "宝山区"), 2022, "新增", "张", DEMENTIA, "sum"),
    ([SUM], "那宝山呢", "宝山区", (), 2022, "新增", "张", "养老床位", "lookup"),
    ([COMPARE], "那2024年呢", _, (), 2024, "新增", "张", "养老床位", "compare"),
    ([COMPARE], "最少呢", _, (), 2022, "新增", "张", "养老床位", "compare"),
    ([COMPARE], "那宝山呢", "宝山区", (), 2022, "新增", "张", "养老床位", "lookup"),
    ([TEXT], "那宝山呢", "宝山区", (), _, _, _, "家庭照护床位", "text"),
    ([TEXT], "宝山有多少户", "宝山区", (), _, _, "户", "家庭照护床位", "lookup"),
    (["长宁"], "2022年新增多少养老床位", None, (), 2022, "新增", "张", "养老床位", "lookup"),  # names its own subject: a new topic
    ([PUTUO], "长宁和宝山一共呢", _, ("长宁区", "宝山区"), 2024, "新增", "张", "养老床位", "sum"),
    ([PUTUO], "和长宁比哪个多", _, ("普陀区", "长宁区"), 2024, "新增", "张", "养老床位", "compare"),
    ([PUTUO], "加上宝山一共多少", _, ("普陀区", "宝山区"), 2024, "新增", "张", "养老床位", "sum"),
    ([PUTUO], "2024年新增几家长者食堂", None, (), 2024, "新增", "家", "社区长者食堂", "lookup"),  # a new topic
    ([PUTUO], "宝山有多少养老床位", "宝山区", (), _, _, "张", "养老床位", "lookup"),
    ([PUTUO], "2022年哪个区新增认知症床位最多", _, (), 2022, "新增", "张", DEMENTIA, "compare"),
    (["", "   ", PUTUO], "那宝山呢", "宝山区", (), 2024, "新增", "张", "养老床位", "lookup"),
    ([], "那宝山呢", "宝山区", (), _, _, _, _, "lookup"),
    ([PUTUO], "同样的问题问下宝山", "宝山区", (), 2024, "新增", "张", "养老床位", "lookup"),
    ([PUTUO], "具体在哪些街道", "普陀区", (), 2024, "新增", _, "养老床位", "text"),
    ([PUTUO], "跟宝山比呢", _, ("普陀区", "宝山区"), 2024, "新增", "张", "养老床位", "compare"),
    ([PUTUO, "谢谢！"], "那宝山呢", "宝山区", (), 2024, "新增", "张", "养老床位", "lookup"),
    ([PUTUO], "谢谢", _, (), _, _, _, _, "lookup"),
    (["长宁十四五以来改建了多少认知症床位"], "新增呢", "长宁区", (), _, "新增", "张", DEMENTIA, "lookup"),
    (["宝山今年打算新增几家长者食堂"], "那普陀呢", "普陀区", (), _, "新增", "家", "社区长者食堂", "lookup"),
    ([PUTUO], "", _, (), _, _, _, _, "lookup"),
]


@pytest.mark.parametrize(
    "history, question, district, districts, year, qualifier, unit, subject, intent", DIALOGUE
)
def test_resolve(history, question, district, districts, year, qualifier, unit, subject, intent):
    q = resolve(question, history)
    got = (q.district, q.districts, q.year, q.qualifier, q.unit, q.subject, q.intent)
    assert got == (district, districts, year, qualifier, unit, subject, intent)


def test_dialogue_table_is_big_enough():
    assert len(DIALOGUE) >= 20


@pytest.mark.parametrize("history, question, inherited", [
    ([PUTUO], "那宝山2022年呢？", ("subject", "qualifier", "unit")),
    ([PUTUO], "那2022年呢", ("district", "subject", "qualifier", "unit")),
    ([MARRIAGE], "离婚登记呢？", ("district", "year", "context")),  # the last question's words stay as context
    ([PUTUO], "上海2022年要建多少个助餐点", ()),
    ([SUM], "那认知症床位呢", ("district", "year", "context", "qualifier", "intent")),
    ([], PUTUO, ()),
    # a change against the year before, naming no year or place: the conversation's year and place
    (["2024年末全国乡镇卫生院有多少张床位？"], "跟上年比床位变了多少？", ("district", "year", "subject", "context")),
    (["2024年末全国乡镇卫生院有多少张床位？"], "普陀2023年比上年多了多少床位？", ()),
    (["安徽2025年城市低保标准提到了每月多少钱？"], "提高之前是多少？", ("district", "year", "subject")),
    # its own subject and no place or year: asked where and when the conversation is, its subject its own
    (["南京2024年全市有多少所小学？"], "在校学生有多少？", ("district", "year", "setting")),
    (["河北2025年居民人均可支配收入是多少？"], "2026年预期增长多少？", ("district", "subject")),  # 预期增长 names nothing
])
def test_inherited_slots(history, question, inherited):
    assert inherited_slots(question, history) == inherited


def test_understood_as_for_the_brief_example():
    q = resolve("那宝山2022年呢？", [PUTUO])
    assert understood_as(q) == "理解为：宝山区2022年新增养老床位"


def test_understood_as_is_none_for_a_standalone_question_unless_asked():
    q = resolve(PUTUO, [])
    assert understood_as(q) is None
    assert understood_as(q, always=True) == "理解为：普陀区2024年新增养老床位"


def test_turn_with_query_is_used_as_it_is():
    given = Query("自定义", district="闵行区", year=2023, qualifier="新增", unit="家", subject="社区长者食堂")
    q = resolve("那2024年呢", [Turn(PUTUO, query=given)])
    assert (q.district, q.year, q.subject, q.unit) == ("闵行区", 2024, "社区长者食堂", "家")


def test_turns_without_query_are_parsed_turn_by_turn():
    history = [Turn(PUTUO), Turn("那宝山呢", answer_text="宝山2024年……")]
    q = resolve("2022年呢？", history)
    assert (q.district, q.year, q.subject) == ("宝山区", 2022, "养老床位")


def test_strings_and_turns_mix():
    history = [PUTUO, Turn("那宝山呢", query=None)]
    assert resolve("那长者食堂呢", history).district == "宝山区"


def test_a_new_complete_question_resets_the_conversation():
    history = [PUTUO, "上海2022年要建多少个助餐点"]
    q = resolve("那普陀呢", history)
    assert (q.district, q.year, q.subject) == ("普陀区", 2022, "社区老年助餐服务场所")


def test_resolve_turn_without_previous_is_parse():
    assert resolve_turn("那宝山呢", None) == parse_question("那宝山呢")


def test_vocabulary_is_used_for_followups():
    vocabulary = ["综合型乡村长者照护之家"]
    q = resolve("那综合型乡村长者照护之家呢", ["宝山2022年新增几家综合为老服务中心"], vocabulary)
    assert (q.district, q.year, q.subject, q.unit) == ("宝山区", 2022, "综合型乡村长者照护之家", "家")


def test_reference_year_reaches_every_turn():
    q = resolve("那宝山呢", ["普陀今年新增多少养老床位"], reference_year=2024)
    assert (q.district, q.year, q.period) == ("宝山区", 2024, None)


def test_unresolved_relative_year_is_carried_as_period():
    q = resolve("那宝山呢", ["普陀今年新增多少养老床位"])
    assert (q.year, q.period) == (None, "今年")
    assert q.describe() == "宝山区今年新增养老床位"


@pytest.mark.parametrize("question, followup", [
    ("那宝山2022年呢？", True),
    ("离婚登记呢？", True),
    ("那2022年呢", True),
    ("还有哪些措施", True),
    ("换成长宁", True),
    ("2022年的", True),
    ("宝山区", True),
    ("养老床位护理型的占比要求是多少", False),  # names its own subject: a new topic, not a follow-up
    ("普陀2024年新增多少养老床位？", False),
    ("上海2022年要建多少个助餐点", False),
    ("长宁十四五以来改建了多少认知症床位", False),
    ("2022年新增多少养老床位", False),  # names its own subject
    ("宝山二〇二二年新增几家综合为老服务中心", False),
    ("宝山有多少养老床位", False),  # place and subject: a new question
    ("2022年哪个区新增养老床位最多", False),
])
def test_is_followup(question, followup):
    assert is_followup(question) is followup


@pytest.mark.parametrize("question, marked", [
    ("那宝山呢", True), ("那么长宁呢", True), ("宝山的呢", True), ("同样的问题，长宁呢", True),
    ("普陀也是多少张", True), ("长宁怎么样？", True),
    ("普陀2024年新增多少养老床位？", False), ("那些街道开展了试点", False), ("哪里可以办理", False),
])
def test_has_followup_marker(question, marked):
    assert has_followup_marker(question) is marked


@given(st.lists(st.text(max_size=30), max_size=4), st.text(max_size=30))
def test_resolve_never_raises_and_inherits_only_known_slots(history, question):
    q = resolve(question, history)
    assert set(q.inherited) <= {"district", "year", "subject", "qualifier", "unit", "intent"}


def test_a_question_that_only_asks_how_much_it_changed_follows_up():
    q = resolve("比上年增长了多少？", ["2023年东莞规模以上港口货物吞吐量是多少亿吨？"])
    assert q.subject and "吞吐量" in q.subject and "subject" in q.inherited
    assert q.unit is None  # a change is asked in %, not in the last question's 吨


def test_a_follow_up_that_swaps_part_of_the_subject_keeps_the_last_question_as_context():
    q = resolve("农村的呢？", ["23年东莞城镇常住居民人均可支配收入多少钱？"])
    assert "context" in q.inherited and q.year == 2023


def test_a_follow_up_pointing_back_with_zhexie_keeps_the_last_subject():
    q = resolve("那这些户一共多少人？", ["长宁2022年困难家庭有多少户？"])
    assert q.subject == "困难家庭" and q.unit == "人"


def test_a_bare_word_in_a_follow_up_keeps_the_kind_the_last_question_named():
    # 床位 alone reads as 养老床位; after a question about 乡镇卫生院's beds it means those
    query = resolve("跟上年比床位变了多少？", ["2024年末全国乡镇卫生院有多少张床位？"])
    assert query.subject == "床位" and "subject" in query.inherited
    assert resolve("宝山新增多少床位？", ["普陀2024年新增多少养老床位？"]).subject == "养老床位"
