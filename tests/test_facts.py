"""Fact extraction: hand-made documents in the cleaned-text conventions, then the shipped corpus."""

from __future__ import annotations

import pytest

from assistant.facts import extract_facts, qualify
from assistant.types import Chunk, DocMeta, Document, Fact

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


# ---- the shipped corpus ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[Document, list[Fact]]]:
    from assistant.loading import load_corpus
    from assistant.sectioning import chunk_document
    from assistant.settings import get_settings

    docs, _ = load_corpus(get_settings())
    out = {}
    for d in docs:
        chunks = chunk_document(d)
        facts = extract_facts(d, chunks)
        chunk_ids = {c.chunk_id: c for c in chunks}
        for f in facts:
            c = chunk_ids[f.chunk_id]
            assert c.start <= f.start and f.end <= c.end
        out[d.source] = (d, facts)
    return out


def _find(facts: list[Fact], written: str, subject_part: str) -> list[Fact]:
    return [f for f in facts if f.as_written == written and f.subject and subject_part in f.subject]


def test_corpus_spans_are_exact_and_unique(corpus):
    assert len(corpus) == 5
    for doc, facts in corpus.values():
        assert facts
        assert len({(f.start, f.end) for f in facts}) == len(facts)
        assert all(doc.text[f.start:f.end] == f.as_written for f in facts)


def test_putuo_2024_new_beds(corpus):
    doc, facts = corpus["2024-putuo-work-plan.txt"]
    [f] = _find(facts, "200张", "养老床位")
    assert (f.value, f.unit, f.qualifier, f.subject) == (200, "张", "新增", "养老床位")
    assert (f.year, f.district) == (2024, "普陀区")
    assert f.planned


def test_changning_and_baoshan_2022_beds(corpus):
    _, changning = corpus["2022-changning-work-plan.txt"]
    [f] = _find(changning, "200张", "床位")
    assert (f.qualifier, f.year, f.district) == ("新增", 2022, "长宁区")
    _, baoshan = corpus["2022-baoshan-work-plan.txt"]
    [g] = _find(baoshan, "760张", "养老床位")  # the triplicated text yields the figure once
    assert (g.qualifier, g.year, g.district) == ("新增", 2022, "宝山区")
    [h] = _find(baoshan, "180张", "认知障碍照护床位")
    assert h.qualifier == "改建"


def test_midterm_review_qualifiers(corpus):
    _, facts = corpus["2023-changning-14th-fyp-midterm-review.txt"]
    expected = {("518张", "床位"): "新增", ("3464张", "护理型床位"): "改建", ("6928张", "养老床位"): "总数",
                ("53家", "养老机构"): "总数", ("100张", "重度残疾养护床位"): "新增"}
    for (written, subject), qualifier in expected.items():
        [f] = _find(facts, written, subject)
        assert f.qualifier == qualifier and f.year is None
    [planned] = _find(facts, "100张", "重度残疾养护床位")
    assert planned.planned
