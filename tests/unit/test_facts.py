"""Fact extraction on hand-made documents in the cleaned-text conventions (the shipped corpus: tests/integration)."""

from __future__ import annotations

import pytest

from assistant.core.types import Chunk, DocMeta, Document, Fact
from assistant.ingest.facts import extract_facts, qualify

PLAN = (
    "普陀区民政局2024年工作要点\n"
    "二、建设高品质普惠养老格局\n"
    "二是推动“普惠共享”多元养老新发展。民心工程和为民办实事加速升级，计划新增200张养老床位、2家智慧养老院、"
    "2家“互联网医院+养老院”，改进建认知障碍照护床位140张，护理型床位不低于养老总床位的60%；"
    "2024年新增1家社区长者食堂，新建2家社区综合为老服务中心、5个家门口养老服务站；"
    "为450户老年人家庭提供居家环境适老化改造，为老服务“一键通”服务新增覆盖1万名老年人。\n"
    "五是完善核对机制建设。完成本市户籍第十批次共有产权保障住房核对任务。加强三支队伍建设。"
    "指导长征、桃浦两镇镇级农村集体经济组织产权制度改革。\n"
    "三是守牢安全底线。抓好12345热线、信访维稳等各项工作，贯彻党的二十大和区第十一次党代会精神，"
    "实施“十四五”规划，落实“一人一专班”，培育一批星级救助顾问。\n"
    "1、长民〔2022〕2号，2022年2月21日印发。\n"
)

REVIEW = (
    "3、加大养老服务供给力度。“十四五”上半期，共完成新增床位518张，落实护理型床位改建3464张，"
    "占总床位数的比重达到50%。目前，全区共有养老机构和长者照护之家53家，养老床位总数6928张，"
    "约占户籍老年人口的3%。截止6月底，已完成信用承诺的社会救助对象共3794户5158人。\n"
    "截至2022年底，长宁户籍老年人口23.11万人，占户籍人口的40.2%。2021年以来累计新增助餐点12家。"
    "开展各类社会救助共惠及约91.65万人次，支出救助资金5.37亿元，组织1000余名从业者参与。\n"
)


def _doc(text: str, years: tuple[int, ...], district: str = "普陀区") -> Document:
    return Document(doc_id="d1", source="t.txt", meta=DocMeta(title="t", district=district, years=years),
                    text=text)


def _chunks(doc: Document, cut: int) -> list[Chunk]:
    spans = [(0, cut), (cut, len(doc.text))]
    return [Chunk(chunk_id=f"c{i}", doc_id=doc.doc_id, doc_title="t", source="t.txt", section=(),
                  text=doc.text[a:b],
                  start=a, end=b, district=doc.meta.district, years=doc.meta.years, doc_type=None)
            for i, (a, b) in enumerate(spans)]


def _by_written(facts: list[Fact]) -> dict[str, Fact]:
    out: dict[str, Fact] = {}
    for f in facts:
        out.setdefault(f.as_written, f)
    return out


@pytest.fixture(scope="module")
def plan_facts() -> list[Fact]:
    doc = _doc(PLAN, (2024,))
    return extract_facts(doc, _chunks(doc, PLAN.index("五是")))


@pytest.fixture(scope="module")
def review_facts() -> list[Fact]:
    return extract_facts(_doc(REVIEW, (2021, 2022, 2023, 2024, 2025), "长宁区"), [])


@pytest.mark.parametrize(
    "written, value, unit, qualifier, subject",
    [
        ("200张", 200, "张", "新增", "养老床位"),
        ("140张", 140, "张", "改建", "认知障碍照护床位"),
        ("60%", 0.6, "%", "不低于", "护理型床位"),
        ("1家", 1, "家", "新增", "社区长者食堂"),
        ("5个", 5, "个", "新增", "家门口养老服务站"),
        ("450户", 450, "户", None, "老年人家庭"),
        ("1万名", 10000, "名", "新增", "老年人"),
        ("第十批次", 10, "批次", "完成", None),
        ("三支", 3, "支", None, "队伍"),
        ("两镇", 2, "镇", None, None),
    ],
)
def test_plan_figures(plan_facts, written, value, unit, qualifier, subject):
    f = _by_written(plan_facts)[written]
    assert (f.value, f.unit, f.qualifier) == (value, unit, qualifier)
    if subject:
        assert f.subject == subject
    assert f.year == 2024 and f.district == "普陀区"


def test_list_items_keep_their_own_subject(plan_facts):
    twos = [f for f in plan_facts if f.as_written == "2家"]
    assert [f.subject for f in twos] == ["智慧养老院", "互联网医院+养老院", "社区综合为老服务中心"]
    assert all(f.qualifier == "新增" for f in twos)
    assert twos[0].planned and twos[0].qualifiers == ("计划", "新增")
    assert not twos[2].planned


def test_non_figures_are_skipped(plan_facts):
    written = {f.as_written for f in plan_facts}
    assert written == {"200张", "2家", "140张", "60%", "1家", "5个", "450户", "1万名", "第十批次", "三支",
                       "两镇"}


def test_spans_sentences_chunks_and_uniqueness(plan_facts):
    cut = PLAN.index("五是")
    assert len({(f.start, f.end) for f in plan_facts}) == len(plan_facts)
    assert len({f.fact_id for f in plan_facts}) == len(plan_facts)
    for f in plan_facts:
        assert PLAN[f.start:f.end] == f.as_written
        assert f.sentence_start <= f.start < f.end <= f.sentence_end
        sentence = PLAN[f.sentence_start:f.sentence_end]
        assert "\n" not in sentence and sentence.count("。") + sentence.count("；") <= 1
        assert f.chunk_id == ("c0" if f.start < cut else "c1")
        assert f.context and f.as_written in f.context


def test_sentence_is_the_semicolon_clause(plan_facts):
    f = _by_written(plan_facts)["1家"]
    assert PLAN[f.sentence_start:f.sentence_end] == (
        "2024年新增1家社区长者食堂，新建2家社区综合为老服务中心、5个家门口养老服务站；")


@pytest.mark.parametrize(
    "written, qualifier, subject, year",
    [
        ("518张", "新增", "床位", None),
        ("3464张", "改建", "护理型床位", None),
        ("50%", "总数", "护理型床位", None),
        ("53家", "总数", "养老机构和长者照护之家", None),
        ("6928张", "总数", "养老床位", None),
        ("3%", None, "养老床位", None),
        ("3794户", "总数", "社会救助对象", None),
        ("5158人", "总数", "社会救助对象", None),
        ("23.11万人", None, "长宁户籍老年人口", 2022),
        ("40.2%", None, "长宁户籍老年人口", 2022),
        ("12家", "新增", "助餐点", 2021),
        ("91.65万人次", "累计", "社会救助", None),
        ("5.37亿元", None, "救助资金", None),
        ("1000余名", None, "从业者", None),
    ],
)
def test_review_figures(review_facts, written, qualifier, subject, year):
    f = _by_written(review_facts)[written]
    assert (f.qualifier, f.subject, f.year) == (qualifier, subject, year)


def test_review_values_and_approximations(review_facts):
    by = _by_written(review_facts)
    assert by["91.65万人次"].value == 916500 and by["91.65万人次"].approx == "约"
    assert by["5.37亿元"].value == 537000000 and by["5.37亿元"].unit == "元"
    assert by["1000余名"].approx == "余"
    assert "累计" in by["518张"].qualifiers and "累计" in by["12家"].qualifiers


@pytest.mark.parametrize(
    "before, after, primary",
    [("计划新增", "养老床位", "新增"), ("共完成新增床位", "", "新增"), ("落实护理型床位改建", "", "改建"),
     ("养老床位总数", "", "总数"), ("护理型床位占养老机构床位总数达到", "以上", "不低于"),
     ("护理型床位不低于养老总床位的", "", "不低于"), ("单个墓穴占地面积不超过", "", "不超过"),
     ("社会组织共", "", "总数"), ("“十四五”以来共发放扶持资金", "", "累计"), ("为", "老年人家庭", None),
     ("公共服务", "", None), ("新增覆盖", "老年人", "新增")],
)
def test_qualify(before, after, primary):
    assert qualify(before, after)[0] == primary


def test_empty_document_has_no_facts():
    assert extract_facts(_doc("", (2024,)), []) == []


# ---- ordinals, classifiers, subjects from neighbours, ages: hand-made text, not the corpus -----

RULES = (
    "举办第三届社区运动会，完成第二轮结对走访，开展第三批智慧社区试点。"
    "构建市区街三级服务网络，推进政社企三方协作。"
    "贯彻党的二十大和二十届三中全会精神，落实区第十二次党代会部署，引入第三方评估，迈向第二个百年目标，"
    "开启新一轮改革，支持二级以上医院，一方面做好服务。\n"
    "在郊区，建设社区睦邻中心（点），年内新增15家。"
    "开展培训讲座6场，参与近300人次。发放助学补贴120万元，惠及800人次。"
    "全区有3人获评市级优秀社工，1人荣获慈善奖。开办初级班、中级班3期，58人毕业。\n"
    "班子平均年龄42.5岁，比上届下降2.1岁；本科学历占60.5%，比上届提高8.2%。"
    "持证率由上年的30%提升至45%。90周岁以上老年人1.2万人，占老年人口的9.8%。\n"
    "完成甲类第三批次及乙类第二批次保障房审核。新增睦邻点、活动室等社区服务阵地20个。"
    "已登记政策覆盖对象800人。提供300万资金支持，服务人次达2.5万。"
    "全市公墓新开区单个墓穴占地面积不超过1平方米。为20名监护缺失或不当的儿童提供服务。"
    "举办“阳光驿站”项目十周年展，以“邻里节”二十周年为契机，推动各方凝聚12家成员单位合力。\n"
)


@pytest.fixture(scope="module")
def rule_facts() -> list[Fact]:
    return extract_facts(_doc(RULES, (2023,), "虹口区"), [])


@pytest.mark.parametrize(
    "written, value, unit, subject",
    [
        ("第三届", 3, "届", "社区运动会"),
        ("第二轮", 2, "轮", "结对走访"),
        ("第三批", 3, "批", "智慧社区试点"),
        ("三级", 3, "级", "服务网络"),
        ("三方", 3, "方", "协作"),
    ],
)
def test_ordinals_and_classifiers_are_figures(rule_facts, written, value, unit, subject):
    f = _by_written(rule_facts)[written]
    assert (f.value, f.unit, f.subject) == (value, unit, subject)


def test_congress_sessions_party_ordinals_and_idioms_are_not_figures(rule_facts):
    first_line = RULES.split("\n")[0]
    written = {f.as_written for f in rule_facts if f.end <= len(first_line)}
    assert written == {"第三届", "第二轮", "第三批", "三级", "三方"}  # not 二十届, 十二次, 三方评估, 二个, 一轮, 二级以上


@pytest.mark.parametrize(
    "written, subject, qualifier",
    [
        ("15家", "社区睦邻中心", "新增"),  # the noun is in the previous clause
        ("300人次", "培训讲座参与", None),  # a bare verb takes its neighbour's thing
        ("800人次", "助学补贴惠及", None),
        ("3人", "获评市级优秀社工", None),  # people named by what they did
        ("1人", "荣获慈善奖", None),
        ("3期", "初级班、中级班", None),  # 、-joined nouns without figures stay together
        ("58人", "初级班、中级班毕业", None),
        ("20个", "社区服务阵地", "新增"),  # X、Y等Z: Z is the head
        ("800人", "政策覆盖对象", "完成"),  # 覆盖对象 is a noun, not the qualifier 覆盖
        ("1平方米", "公墓新开区单个墓穴占地面积", "不超过"),
        ("20名", "监护缺失或不当的儿童", None),
        # 合力 is not what is counted, but only a parser tells (凝聚[12家成员单位的]合力); the word list
        # that stripped it came from one sentence and went: the subject runs to the clause end
        ("12家", "成员单位合力", None),
    ],
)
def test_subjects_from_clause_and_neighbours(rule_facts, written, subject, qualifier):
    f = _by_written(rule_facts)[written]
    assert (f.subject, f.qualifier) == (subject, qualifier)


def test_borrowed_subjects_bring_their_clause_into_the_context(rule_facts):
    by = _by_written(rule_facts)
    assert by["15家"].context == "建设社区睦邻中心（点），年内新增15家。"
    assert by["300人次"].context == "开展培训讲座6场，参与近300人次。"
    assert by["6场"].context == "开展培训讲座6场，"
    for f in rule_facts:  # the clause of the figure, maybe with the one before: never more, never cut
        k = RULES.find(f.context)
        assert k <= f.start < f.end <= k + len(f.context)
        assert f.context[-1] in "，。；" and (k == 0 or RULES[k - 1] in "，。；\n")
        assert f.context.count("，") + f.context.count("；") <= 2


@pytest.mark.parametrize(
    "written, subject, qualifier",
    [
        ("42.5岁", "班子平均年龄", None),
        ("2.1岁", "班子平均年龄", None),  # 比上届下降: a change of the same thing
        ("8.2%", "本科学历", None),
        ("30%", "持证率", None),  # 持证率由上年的30%提升至45%
        ("45%", "持证率", None),
        ("90周岁", "年龄", "不低于"),  # an age bound, not a count of people
        ("1.2万人", "90周岁以上老年人", None),
        ("9.8%", "90周岁以上老年人", None),
    ],
)
def test_ages_and_changes(rule_facts, written, subject, qualifier):
    f = _by_written(rule_facts)[written]
    assert (f.subject, f.qualifier) == (subject, qualifier)


def test_ordinals_joined_by_a_conjunction_share_the_noun(rule_facts):
    by = _by_written(rule_facts)
    assert by["第三批次"].subject == by["第二批次"].subject == "保障房审核"
    assert (by["第三批次"].value, by["第二批次"].value) == (3, 2)


def test_bare_wan_amounts_take_the_unit_their_words_name(rule_facts):
    by = _by_written(rule_facts)
    assert (by["300万"].value, by["300万"].unit) == (3000000, "元")
    assert (by["2.5万"].value, by["2.5万"].unit) == (25000, "人次")


def test_anniversaries_belong_to_what_is_named_before_them(rule_facts):
    by = _by_written(rule_facts)
    assert (by["十周年"].value, by["十周年"].subject) == (10, "阳光驿站项目")
    assert (by["二十周年"].value, by["二十周年"].subject) == (20, "邻里节")


def test_a_title_left_open_by_a_damaged_line_ends_at_the_full_stop():
    text = "制定出台《某某系统行政许可、行政检共治共保研讨会等活动。完成合作要点十件事，发放《指南》3万册。"
    doc = _doc(text, (2024,))
    written = [f.as_written for f in extract_facts(doc, _chunks(doc, len(text) // 2))]
    assert written == ["十件", "3万册"]


def test_a_title_left_open_by_a_page_break_ends_at_the_next_clause():
    # a title holds no comma: the figure after 《…，is the work's, not part of the title
    text = "开展《某市某某示范区创建计划100%，耕地安全利用率95.82%。发放《关于做好2024年工作的通知》3份。"
    doc = _doc(text, (2024,))
    written = [f.as_written for f in extract_facts(doc, _chunks(doc, len(text) // 2))]
    assert "95.82%" in written and "2024年" not in written


def test_a_bare_wan_amount_counts_the_people_named_after_it():
    text = "年末2.2万城镇居民、7.5万农村居民享受最低生活保障，投入资金7.8亿，惠及3.1万户家庭。"
    doc = _doc(text, (2021,))
    units = {f.as_written: f.unit for f in extract_facts(doc, _chunks(doc, len(text) // 2))}
    assert units == {"2.2万": "人", "7.5万": "人", "7.8亿": "元", "3.1万户": "户"}


@pytest.mark.parametrize("text, written, own, other", [
    ("全年教育、文化投资分别增长11.5%、42.0%。", "42.0%", "文化", "教育"),
    ("全年教育、文化投资分别增长11.5%、42.0%。", "11.5%", "教育", "文化"),
    ("年末城镇、农村和外来人口分别为3.1万人、5.4万人和0.8万人。", "5.4万人", "农村", "城镇"),
    # one name holds a 、 (文化、体育用品): the list's ends still line up
    ("图书、文化、体育用品和乐器零售额分别增长3.2%、8.0%和17.5%。", "17.5%", "乐器", "图书"),
    ("图书、文化、体育用品和乐器零售额分别增长3.2%、8.0%和17.5%。", "3.2%", "图书", "乐器"),
    # no 分别: a figure in brackets is a part of the one before, not the list's second item
    ("其中甲类及其他类疾病7312例（其中甲类7251例）。", "7251例", "甲类", "其他"),
])
def test_a_respective_list_gives_each_figure_its_item(text, written, own, other):
    doc = _doc(text, (2021,), district="上海市")
    subject = _by_written(extract_facts(doc, _chunks(doc, len(text) // 2)))[written].subject
    assert own in subject and other not in subject


def test_a_verb_after_an_attribute_in_xing_is_part_of_the_noun():
    text = "全年居民人均消费性支出20460元，人均经营性收入3100元。"
    doc = _doc(text, (2021,), district="上海市")
    facts = _by_written(extract_facts(doc, _chunks(doc, len(text) // 2)))
    assert facts["20460元"].subject.endswith("消费性支出")
    assert facts["3100元"].subject.endswith("经营性收入")


def test_a_paired_compound_in_a_respective_list_is_read_apart():
    text = "自2025年1月起，城乡低保标准分别提高到740元/月、485元/月。"
    doc = _doc(text, (2025,), district="上海市")
    facts = _by_written(extract_facts(doc, _chunks(doc, len(text) // 2)))
    assert facts["740元/月"].subject == "城市低保标准"
    assert facts["485元/月"].subject == "农村低保标准"


def test_a_share_after_a_year_on_year_change_is_of_the_thing_before_both():
    text = "城镇居民人均经营净收入16815元，同比增长10.1%，占城镇居民人均可支配收入的26.3%。"
    doc = _doc(text, (2019,), district="上海市")
    facts = _by_written(extract_facts(doc, _chunks(doc, len(text) // 2)))
    assert facts["10.1%"].subject == facts["26.3%"].subject == facts["16815元"].subject


def test_a_sentence_that_names_nothing_goes_on_from_the_one_before():
    text = "11月，发放特殊补助对象生活补助金35783.9元。1-11月累计发放405082.9元。\n累计发放12个。"
    doc = _doc(text, (2024,), district="上海市")
    facts = _by_written(extract_facts(doc, _chunks(doc, len(text) // 2)))
    assert facts["405082.9元"].subject == facts["35783.9元"].subject
    assert facts["12个"].subject != facts["35783.9元"].subject  # another paragraph, another unit


@pytest.mark.parametrize("text, written, subject", [
    # a part named by 其中 is all its item says, not only its noun: 机构 alone would match 康复机构
    ("全区共有助残服务站40个，其中12个站点提供上门辅具服务、9个站点提供就业指导。", "12个", "站点提供上门辅具服务"),
    ("全区共有助残服务站40个，其中12个站点提供上门辅具服务、9个站点提供就业指导。", "9个", "站点提供就业指导"),
    # the whole's verb repeated before the part is not the part (其中投入农村 → 农村)
    ("全年救助资金投入3.2亿元，其中投入农村1.1亿元。", "1.1亿元", "农村"),
    # X中 opens a part of X as 其中 does
    ("培训班结业学员300人，学员中45人取得初级证书。", "45人", "学员取得初级证书"),
])
def test_a_part_named_by_qizhong_is_what_its_item_says(text, written, subject):
    doc = _doc(text, (2021,), district="上海市")
    assert _by_written(extract_facts(doc, _chunks(doc, len(text) // 2)))[written].subject == subject


def test_a_year_written_before_a_change_dates_its_start_not_where_it_ended():
    from assistant.ingest.facts import fact_year

    text = "占全国比重由2020年的7.2%提升至7.4%，人均生产总值由7.34万元提升至10.26万元。生产总值从2020年的3.68万亿元增长到2025年的4.93万亿元。"
    assert [fact_year(text, text.index(w), 2025) for w in ("7.2%", "7.4%", "7.34万", "10.26万", "3.68万", "4.93万")] \
        == [2020, 2025, 2020, 2025, 2020, 2025]


def test_a_plan_written_as_its_end_dates_the_figure_in_its_clause_with_the_plans_last_year():
    from assistant.ingest.facts import fact_year

    text = "持证率由“十三五”末期的21.52%提升至27%，目前有持证人员538人。“十四五”期间新增500张。"
    assert [fact_year(text, text.index(w), None) for w in ("21.52%", "27%", "538人", "500张")] \
        == [2020, None, None, None]


def test_value_added_is_a_noun_not_a_qualifier():
    """工业增加值: 增加 is part of the noun (as 覆盖 of 覆盖面), so its figures are not 新增."""
    text = "全年工业增加值提升到1.6万亿元，服务业增加值增长5%。"
    doc = _doc(text, (2025,))
    facts = _by_written(extract_facts(doc, _chunks(doc, len(text))))
    assert facts["1.6万亿元"].qualifier is None and "工业增加值" in facts["1.6万亿元"].subject
    assert facts["5%"].subject.startswith("服务业增加值")


def test_a_change_in_a_clause_of_parts_measures_the_part_before_it():
    text = "其中接待入境游客240万人次、增长19.1%。"
    doc = _doc(text, (2025,))
    facts = _by_written(extract_facts(doc, _chunks(doc, len(text))))
    assert facts["19.1%"].subject == facts["240万人次"].subject == "接待入境游客"


def test_a_verb_used_as_a_noun_before_a_change_stays_in_the_subject():
    text = "就医直接结算全面推进。养老保险支出增长8.7%。"
    d = _doc(text, (2025,))
    (fact,) = extract_facts(d, _chunks(d, len(text)))
    assert fact.subject == "养老保险支出增长"


def test_a_side_before_the_qualifier_says_whose_figure_it_is():
    text = "城镇调查失业率5.5%以内，城镇新增就业50万人以上，居民收入增长。"
    d = _doc(text, (2026,))
    by = _by_written(extract_facts(d, _chunks(d, len(text))))
    assert (by["50万人"].subject, by["50万人"].qualifier) == ("城镇就业", "新增")  # not 城镇调查失业率就业


def test_an_outcome_counted_in_another_unit_is_of_the_things_counted_before():
    text = ("全年共发生生产安全事故125起，比上年下降12.6%；死亡103人，下降2.8%。"
            "其中涉气3135件，占49.3%；噪声2042件，占32.1%；涉水449件，占7.1%。")
    d = _doc(text, (2024,))
    by = _by_written(extract_facts(d, _chunks(d, len(text))))
    assert "生产安全事故死亡" in by["103人"].subject  # the deaths of those accidents
    assert "噪声" not in (by["449件"].subject or "")  # a sibling in the same unit: not 噪声's


def test_a_part_naming_only_people_measures_what_the_whole_measured():
    text = "全市居民恩格尔系数为32.3%，比上年减少0.7个百分点；其中城镇常住居民为32.1%，农村常住居民为35.5%。"
    d = _doc(text, (2023,))
    by = _by_written(extract_facts(d, _chunks(d, len(text))))
    assert by["35.5%"].subject == "农村常住居民恩格尔系数"
    text = "进出口总额13000亿元。其中，出口8897.0亿元，增长5.2%。"
    d = _doc(text, (2024,))
    assert _by_written(extract_facts(d, _chunks(d, len(text))))["8897.0亿元"].subject == "出口"  # names its own measure
