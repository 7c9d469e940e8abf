"""The signals that choose a figure: each figure's own words, lists read with 分别, changes."""

from __future__ import annotations

import pytest

from assistant.answer.features import own_stretch


@pytest.mark.parametrize("text, figure, own", [
    ("新增助餐点12个，完成30个睦邻点改造", "12个", "新增助餐点12个，"),
    ("新增助餐点12个，完成30个睦邻点改造", "30个", "完成30个睦邻点改造"),
    ("全年实现地区生产总值18500.81亿元，比上年增长4.5%。", "18500.81亿元", "全年实现地区生产总值18500.81亿元，"),
    ("医疗仪器、工业机器人和电动机等产量分别增长15.6%、7.4%、194.8%。", "7.4%", "工业机器人7.4%"),
    ("桐庐县、淳安县、建德市臭氧超标天数为 10天、7天、3天；", "3天", "建德市臭氧超标天数为 3天"),
    ("全年休闲农业接待人次达4454万、综合收入162.11亿元。", "4454万", "全年休闲农业接待人次达4454万"),
    ("参观人次6217.9万，同比增长86.4%。", "86.4%", "参观人次6217.9万，同比增长86.4%。"),  # leans on its neighbour
    ("每千人口床位数由2023年的7.23张增加到2024年的7.32张。", "7.32张", "每千人口床位数由2023年的7.23张增加到2024年的7.32张。"),
    ("地区生产总值[2]16907.85亿元，", "16907.85亿元", "地区生产总值[2]16907.85亿元，"),  # a footnote is not a figure
    # the words of a bracket after a figure are its part's (含…), not its own
    ("建成绿道线路9条、总长度120.5公里（含滨江段8.2公里）。", "120.5公里", "总长度120.5公里"),
    # a 分别 list with one name more than figures: the middle figure's item cannot be told
    ("图书、文化、体育用品和乐器零售额分别增长3.2%、8.0%和17.5%。", "8.0%", "8.0%"),
    ("图书、文化、体育用品和乐器零售额分别增长3.2%、8.0%和17.5%。", "17.5%", "乐器零售额17.5%"),
    ("建成绿道线路9条、总长度120.5公里（含滨江段8.2公里）。", "8.2公里", "总长度120.5公里（含滨江段8.2公里）"),
    # the digits of a formula are no figures: the list still has as many items as values
    ("甲醛（HCHO）、臭氧（O3）和苯（C6H6）浓度分别为5毫克、9毫克和2毫克。", "9毫克", "臭氧（O3）9毫克"),
    # a part leaning on its whole takes the whole's words, not the brackets saying what the whole holds
    ("年末有医疗卫生机构（含村卫生室）4159个，其中医院231个、基层医疗卫生机构3846个。", "231个", "年末有医疗卫生机构4159个，其中医院231个"),
])
def test_own_stretch(text, figure, own):
    i = text.index(figure)
    assert own_stretch(text, i, i + len(figure)) == own


def test_a_list_of_values_shares_the_words_before_its_first_value():
    text = "细颗粒物平均浓度分别为29微克/立方米、20微克/立方米和24微克/立方米，超标天数为10天、5天、8天。"
    at = text.index("20微克")
    assert own_stretch(text, at, at + len("20微克/立方米")).startswith("细颗粒物平均浓度")
    at = text.index("5天")
    assert own_stretch(text, at, at + 2).startswith("超标天数")


def test_a_new_count_is_not_a_change_and_each_item_of_a_list_owns_its_noun():
    from assistant.answer.features import _CHANGE_BEFORE, own_stretch

    assert not _CHANGE_BEFORE.search("新增") and _CHANGE_BEFORE.search("比上年增长")
    text = "新增3家综合为老服务中心、16家老年人助餐点、3家日间照料中心；"
    at = text.index("16家")
    assert own_stretch(text, at, at + 3) == "16家老年人助餐点"


def test_a_figure_is_matched_against_the_wording_that_suits_it():
    """Synonyms turn 助餐点 into another document's 社区老年助餐服务场所; a document that writes 助餐点
    itself must still match the question in full."""
    from assistant.answer.features import asked_of, features
    from assistant.core.types import Fact, Query

    text = "新增3家日间照料中心、16家老年人助餐点。"
    at = text.index("16家")
    f = Fact(fact_id="f", chunk_id="c", doc_id="d", value=16.0, unit="家", as_written="16家", qualifier=None,
             subject="老年人助餐点", district=None, year=None, start=at, end=at + 3, sentence_start=0,
             sentence_end=len(text))
    query = Query(text="新增多少家老年人助餐点？")
    idf: dict[str, float] = {}

    def signals(*alternatives):
        asked = asked_of(query, "社区老年助餐服务场所", "家", alternatives=alternatives)
        return features(f, text, "", asked, idf, 1, 0.5, False)

    canonical_only, both = signals(), signals("老年人助餐点")
    assert canonical_only["own"] < 0.5 and both["own"] == 1.0
    assert both["rarest_missing"] == 0.0 < canonical_only["rarest_missing"]
    assert both["subject_precision"] == 1.0


def test_a_chain_of_leaning_clauses_reaches_back_to_its_subject():
    text = "接待观众1500万人次，增长12.0%，其中未成年人450万人次，增长20.5%，占接待总人数的30.0%。"
    at = text.index("30.0%")
    own = own_stretch(text, at, at + 5)
    assert own.startswith("其中未成年人450万人次") and own.endswith("30.0%。")


def test_the_paragraph_before_a_figure_says_whose_it_is():
    """人均消费性支出 is written twice; the paragraph before each says whether it is the towns' or the
    villages' (the entity is two sentences back)."""
    from assistant.answer.features import asked_of, features
    from assistant.core.types import Fact, Query

    text = ("城镇居民人均可支配收入52633元，增长8.3%。人均消费性支出31581元。"
            "农村居民人均可支配收入29126元，增长10.2%。人均消费性支出20460元。")
    asked = asked_of(Query(text="农村居民的人均消费性支出是多少？"), "农村居民 人均消费性支出", "元")

    def paragraph_before(written):
        at = text.index(written)
        s0 = text.rfind("。", 0, at) + 1
        f = Fact(fact_id=written, chunk_id="c", doc_id="d", value=1.0, unit="元", as_written=written,
                 qualifier=None, subject="人均消费性支出", district=None, year=None, start=at,
                 end=at + len(written), sentence_start=s0, sentence_end=text.find("。", at) + 1)
        return features(f, text, "", asked, {}, 1, 0.5, False)["paragraph_before"]

    assert paragraph_before("20460元") == 1.0 > paragraph_before("31581元")


@pytest.mark.parametrize("question, change", [
    ("班子平均年龄比上届小了几岁？", True),
    ("比上年多了多少人？", True),
    ("2024年新增多少张床位？", False),
    ("小区平均年龄是多少岁？", False),
])
def test_a_comparison_asks_a_change(question, change):
    from assistant.answer.features import _CHANGE_ASKED

    assert bool(_CHANGE_ASKED.search(question)) is change


@pytest.mark.parametrize("question, written, flagged", [
    ("图书总藏量有多少册？", "2.9册", True),  # a figure per person, no average asked
    ("人均图书藏量是多少册？", "2.9册", False),
    ("平均每人有多少册图书？", "2.9册", False),
    ("图书总藏量有多少册？", "1600万册", False),
])
def test_a_figure_per_person_is_flagged_when_no_average_is_asked(question, written, flagged):
    from assistant.answer.features import asked_of, features
    from assistant.core.types import Fact, Query

    text = "年末公共图书馆图书总藏量1600万册，人均图书藏量2.9册。"
    at = text.index(written)
    f = Fact(fact_id="f", chunk_id="c", doc_id="d", value=1.0, unit="册", as_written=written, qualifier=None,
             subject=None, district=None, year=None, start=at, end=at + len(written), sentence_start=0,
             sentence_end=len(text))
    asked = asked_of(Query(text=question), "图书 藏量", "册")
    assert features(f, text, "", asked, {}, 1, 0.5, False)["average_not_asked"] == float(flagged)


def test_the_closeness_of_a_figures_own_words_is_spread_over_the_band_e5_scores_lie_in():
    from assistant.answer.features import own_dense_signals

    assert own_dense_signals(0.96, 0.96) == (1.0, 0.0)  # close, and the closest candidate
    assert own_dense_signals(0.90, 0.925) == pytest.approx((0.5, 0.5))
    assert own_dense_signals(0.80, 0.95) == (0.0, 1.0)  # far, and far behind


def test_a_total_asked_is_never_a_share():
    from assistant.answer.features import asked_of, features
    from assistant.core.types import Fact, Query

    text = "护理型床位不低于养老总床位的60%。"
    at = text.index("60%")
    f = Fact(fact_id="f", chunk_id="c", doc_id="d", value=0.6, unit="%", as_written="60%", qualifier=None,
             subject="护理型床位", district=None, year=None, start=at, end=at + 3, sentence_start=0,
             sentence_end=len(text))

    def conflict(question, qualifier):
        asked = asked_of(Query(text=question, qualifier=qualifier), "养老 床位", None)
        return features(f, text, "", asked, {}, 1, 0.5, False)["qualifier_conflict"]

    assert conflict("养老床位总数是多少？", "总数") == 1.0
    assert conflict("护理型床位占总数的比例是多少？", "总数") == 0.0


@pytest.mark.parametrize("question, context, sides", [
    ("农村居民人均消费支出是多少？", None, {("农村", "城镇"), ("农村", "城市"), ("农村", "城里"), ("农村", "城区"),
                                             ("支出", "收入")}),
    ("城乡居民收入和支出各是多少？", None, set()),  # both sides said: none taken
    # a follow-up swaps 城镇 for 农村 and keeps the conversation's 收入
    ("那农村呢？", "城镇居民人均可支配收入多少", {("农村", "城镇"), ("农村", "城市"), ("农村", "城里"), ("农村", "城区"),
                                                 ("收入", "支出")}),
    ("养老床位有多少张？", None, set()),
])
def test_sides_taken(question, context, sides):
    from assistant.answer.features import sides_taken

    assert set(sides_taken(question, context)) == sides


@pytest.mark.parametrize("own, conflict", [
    ("城镇常住居民人均消费39255元", True),     # only the other side
    ("农村常住居民人均消费21000元", False),
    ("城乡居民人均消费30000元", False),        # neither side: may still answer
    ("城镇和农村居民人均消费分别为", False),    # both
])
def test_a_figure_of_the_other_side_conflicts(own, conflict):
    from assistant.answer.features import contrast_conflict, sides_taken

    assert contrast_conflict(sides_taken("农村居民人均消费多少？"), own) is conflict


@pytest.mark.parametrize("question, subject, part", [
    ("长宁十四五上半期离婚登记跨省的有几对？", "离婚登记", "跨省"),
    ("普陀老年人80岁以上的有多少？", "老年人", "80岁以上"),
    ("普陀养老床位有多少张？", "养老床位", ""),
    ("普陀养老床位有多少张？", None, ""),
])
def test_a_part_named_after_the_subject(question, subject, part):
    from assistant.answer.features import _narrowed_part
    from assistant.core.types import Query

    assert _narrowed_part(Query(text=question, subject=subject)) == part


@pytest.mark.parametrize("question, written, own, conflict", [
    ("城市低保标准是每人每月多少元？", "1.87亿元", "其中城市1.87亿元", True),   # a sum, not per person
    ("城市低保标准是每人每月多少元？", "1200元", "城市低保标准每人每月1200元", False),
    ("人均地区生产总值多少？", "12.3万元", "人均地区生产总值12.3万元", False),   # says 人均 itself
    ("每年新增多少万元投入？", "1.5亿元", "投入1.5亿元", False),               # 每年 is not per person
])
def test_a_sum_never_answers_per_person(question, written, own, conflict):
    from assistant.answer.features import asked_of, features
    from assistant.core.types import Fact, Query

    text = own + "。"
    at = text.index(written)
    f = Fact(fact_id="f", chunk_id="c", doc_id="d", value=1.0, unit="元", as_written=written, qualifier=None,
             subject=None, district=None, year=None, start=at, end=at + len(written), sentence_start=0,
             sentence_end=len(text))
    asked = asked_of(Query(text=question), "低保 标准", None)
    assert features(f, text, "", asked, {}, 1, 0.5, False)["sum_for_per_person"] == float(conflict)


@pytest.mark.parametrize("asked, written, sentence, question, conflict", [
    ("社区工作者持证率", "养老护理员技能等级证持证率", "计划养老护理员技能等级证持证率不低于30%。",
     "宝山社区工作者持证率是多少？", True),                                   # a sibling of what is asked
    ("养老床位", "重度残疾养护床位", "新增重度残疾养护床位100张。", "长宁新增多少张养老床位？", True),
    ("认知障碍床位", "认知障碍照护床位", "新增认知障碍照护床位48张。", "新增多少认知障碍床位？", False),
    ("助餐点", "老年助餐点", "新增老年助餐点16家。", "新增多少助餐点？", False),   # nothing asked before the head
    ("养老床位", "社会福利机构床位", "社会福利机构拥有床位4.4万张。", "这些机构一共有多少张床位？", False),  # 养老 not said
])
def test_modifier_conflict(asked, written, sentence, question, conflict):
    from assistant.answer.features import modifier_conflict

    assert modifier_conflict(asked, written, sentence, question) is conflict


def test_a_qualifier_word_inside_the_name_is_no_conflict():
    from assistant.answer.features import asked_of, features
    from assistant.core.types import Fact, Query

    text = "特殊困难老年人家庭适老化改造1.5万户。"
    at = text.index("1.5万户")

    def conflict(subject):
        f = Fact(fact_id="f", chunk_id="c", doc_id="d", value=15000.0, unit="户", as_written="1.5万户",
                 qualifier="改建", qualifiers=("改建",), subject=subject, district=None, year=None, start=at,
                 end=at + 5, sentence_start=0, sentence_end=len(text))
        asked = asked_of(Query(text="新增多少户适老化改造", qualifier="新增"), "适老化 改造", None)
        return features(f, text, "", asked, {}, 1, 0.5, False)["qualifier_conflict"]

    assert conflict("特殊困难老年人家庭适老化改造") == 0.0  # 改造 names the work
    assert conflict("养老床位") == 1.0                      # 改建180张 is a conversion, not 新增


def test_a_whole_does_not_answer_for_the_side_a_question_asks():
    from assistant.answer.features import side_unsaid

    sides = (("城镇", "农村"), ("城镇", "乡村"))
    q = "2025年城镇居民人均可支配收入增长了多少？"
    sentence = "城镇调查失业率均值5.2%，居民人均可支配收入增长4.6%。"
    assert side_unsaid(q, sides, "居民人均可支配收入增长4.6%", "某省政府工作报告", sentence)
    assert not side_unsaid(q, sides, "城镇居民人均可支配收入52000元", "某省政府工作报告", sentence)
    assert not side_unsaid(q, sides, "城市居民人均可支配收入52000元", "", "")  # 城市 stands against 农村 too
    # the thing named earlier in the sentence, the title holding the side, or no thing after the side word
    assert not side_unsaid("住户存款余额比年初增加了多少？", (("存款", "贷款"),), "余额比年初增加2163.67亿元", "",
                           "其中住户存款余额15453.12亿元，余额比年初增加2163.67亿元")
    assert not side_unsaid("上半年临时救助多少人次？", (("上半年", "下半年"),), "临时救助3252人次",
                           "某市民政局2025年上半年工作总结", "")
    assert not side_unsaid("农村的婴儿死亡率是多少？", (("农村", "城镇"),), "婴儿死亡率4.6‰", "", "")


@pytest.mark.parametrize("question, share", [
    ("占总人口多少？", True), ("占全省的多少", True), ("占比多少", True),
    ("占地多少亩", False),  # an area
    ("其中女性占多少人", False),  # a count
])
def test_a_share_is_asked_by_zhan_as_by_zhanbi(question, share):
    from assistant.answer.features import SHARE_ASKED

    assert bool(SHARE_ASKED.search(question)) == share


@pytest.mark.parametrize(("question", "focus"), [
    ("长宁结婚登记里面跨省的有多少对？", "跨省"),
    ("信访投诉里涉水的有多少", "涉水"),
    ("其中农村居民的呢", "农村居民"),
])
def test_a_questions_focus_is_the_part_it_asks_of_a_whole(question, focus):
    from assistant.answer.features import _FOCUS

    assert _FOCUS.search(question).group(1) == focus


def test_a_subject_that_only_says_how_it_moved_names_nothing_asked():
    from assistant.answer.features import _precision
    from assistant.answer.matching import bigrams

    content = frozenset(bigrams("社会消费品零售总额增长"))
    assert _precision("增长", content, {}) == 0.0
    assert _precision("社会消费品零售总额增长", content, {}) == 1.0
