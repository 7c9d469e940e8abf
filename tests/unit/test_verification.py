"""The figure check: every figure in an answer stands in a cited span or is computed from cited ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.answer.verification import find_figures, states_figure, unsupported_figures, unsupported_terms
from assistant.core.types import Citation

PUTUO = ("二是推动“普惠共享”多元养老新发展。民心工程和为民办实事加速升级，计划新增200张养老床位、"
         "2家智慧养老院、2家“互联网医院+养老院”，改进建认知障碍照护床位140张。")
BAOSHAN = "全年新增养老床位760张，培育3A级以上社会组织，在两镇试点，组建三支志愿服务队。"
CITY = "全市发放补贴5.37亿元，招募1万名志愿者，服务91.65万人次，覆盖率达到60%以上，开通12345热线。"


def cite(text: str, title: str = "普陀区民政局2024年工作要点") -> Citation:
    return Citation(doc_id="d1", doc_title=title, section="二、养老", text=text, start=0, end=len(text))


CITATIONS = (cite(PUTUO), cite(BAOSHAN, "2022年宝山民政工作要点"), cite(CITY, "2022年上海民政工作要点"))


@pytest.mark.parametrize(("text", "expected"), [
    ("计划新增200张养老床位、2家智慧养老院", [("200张", 200, "张"), ("2家", 2, "家")]),
    ("补贴5.37亿元，1万名志愿者", [("5.37亿元", 537_000_000, "元"), ("1万名", 10_000, "名")]),
    ("服务91.65万人次，覆盖60%", [("91.65万人次", 916_500, "人次"), ("60%", 0.6, "%")]),
    ("在两镇试点，组建三支队伍", [("两镇", 2, "镇"), ("三支", 3, "支")]),
    ("百分之六十的老人", [("百分之六十", 0.6, "%")]),
    ("床位数为300", [("300", 300, "")]),
    ("合计200张+760张=960张", [("200张", 200, "张"), ("760张", 760, "张"), ("960张", 960, "张")]),
    # not figures: years, dates, ordinals, section numbers, codes, articles, plan names, idioms
    ("2024年是新中国成立75周年", [("75周年", 75, "周年")]),
    ("2023年10月26日发布，2023-10-26，3月28日", []),
    ("第十批次，第3条", []),
    ("1、加强养老服务（2）完善救助", []),
    ("3A级社会组织，5G网络", []),
    ("打造一个平台，培育一批顾问", []),
    ("十四五期间，千家万户", []),
    ("普民〔2024〕4号，2021—2025年", []),
])
def test_find_figures(text, expected):
    assert [(f.text, f.value, f.unit) for f in find_figures(text)] == [
        (t, pytest.approx(v), u) for t, v, u in expected
    ]


@pytest.mark.parametrize(("answer", "unsupported"), [
    # copied figures pass
    ("根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张。", []),
    ("普陀区计划新增2家智慧养老院，改建认知障碍照护床位140张。", []),
    ("宝山区在两镇试点，组建了三支志愿服务队。", []),
    # same value written differently passes
    ("全市招募10000名志愿者。", []),
    ("全市发放补贴53700万元。", []),
    ("宝山区在2镇试点。", []),
    ("普陀区新增两家智慧养老院。", []),
    ("覆盖率达到百分之六十以上。", []),
    ("服务916500人次。", []),
    ("床位数为200。", []),  # a bare number compares by value
    # made-up or altered figures fail
    ("普陀区2024年计划新增养老床位300张。", ["300张"]),
    ("普陀区计划新增200个养老床位。", ["200个"]),  # unit differs
    ("全市招募1万人志愿者。", ["1万人"]),
    ("覆盖率达到70%。", ["70%"]),
    ("宝山区组建四支志愿服务队。", ["四支"]),
    ("床位数为300，其中200张为新增。", ["300"]),
    ("新增300张床位，另有300张在建。", ["300张"]),  # reported once
    # years, dates, ordinals, section numbers are not checked
    ("2024年3月28日，普陀区第十批次新增200张。", []),
    # shown computations over cited figures pass when the arithmetic holds
    ("两区合计：普陀200张+宝山760张=960张。", []),
    ("合计200张+760张=970张。", ["970张"]),
    ("合计200张+700张=900张。", ["700张", "900张"]),
    ("合计200张+2家=202张。", ["202张"]),  # different units do not add
    ("合计200张+760张=960张，宝山占760张÷960张≈79.17%。", []),
    ("宝山占760张÷960张≈79.17%。", ["960张", "79.17%"]),  # 960张 neither cited nor computed here
    ("合计960张。", ["960张"]),
])
def test_unsupported_figures(answer, unsupported):
    assert unsupported_figures(answer, CITATIONS) == unsupported


def test_computation_shown_in_another_text_supports_its_result():
    offline = "普陀区、宝山区新增养老床位合计960张（200张+760张=960张）。"
    assert unsupported_figures("两区共新增960张养老床位。", CITATIONS, computations=(offline,)) == []
    wrong = "合计970张（200张+760张=970张）。"
    assert unsupported_figures("两区共新增970张养老床位。", CITATIONS, computations=(wrong,)) == ["970张"]


def test_figures_of_the_cited_documents_title_and_section_are_supported():
    table = Citation(doc_id="d2", doc_title="2020年2季度民政统计季报", section="（一）提供住宿的民政机构42个",
                     text="养老机构34个。", start=0, end=8)
    assert unsupported_figures("根据《2020年2季度民政统计季报》，养老机构34个。", (table,)) == []
    assert unsupported_figures("（一）提供住宿的民政机构42个：养老机构34个。", (table,)) == []
    assert unsupported_figures("根据《2020年3季度民政统计季报》，养老机构34个。", (table,)) == ["3"]


def test_no_citations_means_every_figure_is_unsupported():
    assert unsupported_figures("新增200张养老床位。", ()) == ["200张"]
    assert unsupported_figures("文件中没有找到相关内容。", ()) == []


@pytest.mark.parametrize(("text", "value", "unit", "expected"), [
    ("普陀区计划新增养老床位200张。", 200.0, "张", True),
    ("普陀区计划新增养老床位200张。", 140.0, "张", False),
    ("全市招募10000名志愿者。", 10_000.0, "名", True),
    ("覆盖率达到60%以上。", 0.6, "%", True),
    ("床位数为200。", 200.0, "张", False),
])
def test_states_figure(text, value, unit, expected):
    assert states_figure(text, value, unit) is expected


UNITS = ["张", "家", "个", "户", "名", "人次", "元", "万元", "亿元", "%", "支", "所"]


@given(st.integers(1, 999_999), st.sampled_from(UNITS))
def test_any_figure_copied_from_a_citation_passes(n, unit):
    figure = f"{n}{unit}"
    citation = cite(f"二是推动养老服务发展，计划完成{figure}，持续推进。")
    assert unsupported_figures(f"根据文件，普陀区2024年计划完成{figure}。", [citation]) == []


@given(st.integers(10, 999_999), st.sampled_from(UNITS), st.data())
def test_a_figure_altered_by_one_digit_fails(n, unit, data):
    digits = str(n)
    pos = data.draw(st.integers(0, len(digits) - 1))
    choices = [d for d in "0123456789" if d != digits[pos] and not (pos == 0 and d == "0")]
    altered = digits[:pos] + data.draw(st.sampled_from(choices)) + digits[pos + 1:]
    citation = cite(f"二是推动养老服务发展，计划完成{digits}{unit}，持续推进。")
    assert unsupported_figures(f"普陀区计划完成{altered}{unit}。", [citation]) == [f"{altered}{unit}"]


@given(st.integers(1, 99_999), st.integers(1, 99_999), st.integers(-1, 3))
def test_a_shown_sum_passes_only_when_it_holds(a, b, error):
    citations = [cite(f"新增养老床位{a}张。"), cite(f"新增养老床位{b}张。")]
    stated = a + b + error
    result = unsupported_figures(f"合计{a}张+{b}张={stated}张。", citations)
    assert result == ([] if error == 0 or stated in (a, b) else [f"{stated}张"])


# --- counted nouns and Chinese numerals without a unit (issue 11, defect 4) -------------------------

COUNTS = cite("实施“幸福养老”三大行动，从服务、设施、人才六个维度评估，覆盖五个街镇，创新“五社联动”。")


@pytest.mark.parametrize(("answer", "unsupported"), [
    ("实施三大行动", []),
    ("实施3大行动", []),
    ("实施四大行动", ["四大"]),
    ("实施4大行动", ["4"]),
    ("从六个维度评估", []),
    ("从6个维度评估", []),
    ("从五个维度评估", ["五个"]),  # 五个 stands in the passage, but before 街镇, not 维度
    ("覆盖五个街镇", []),
    ("创新“六社联动”", ["六社"]),
    ("一是推进，二是落实，十四五期间十分重要", []),  # list markers, periods and words are not counts
])
def test_a_count_is_held_to_the_noun_it_counts(answer, unsupported):
    assert unsupported_figures(answer, [COUNTS]) == unsupported


@pytest.mark.parametrize(("answer", "missing"), [
    ("社区救助顾问为困难群众提供政策咨询。", []),
    ("社区救助顾问在长者食堂为困难群众提供咨询。", ["长者食堂"]),
    ("社区救助顾问由曹杨街道派出。", ["曹杨", "街道"]),  # a name the dictionary does not know, by its parts
    ("“苏河婚典”", ["苏河婚典"]),  # a quoted name must stand in the passages whole
    ("宝山区的社区救助顾问", []),  # a district named by its short form in a support (宝山)
    ("桃浦镇的社区救助顾问", []),  # 桃浦镇 named as “桃浦两镇”
])
def test_unsupported_terms(answer, missing):
    supports = ["在全区各街镇配备社区救助顾问，为困难群众提供政策咨询。长征、桃浦两镇。", "2022年宝山民政工作要点"]
    assert unsupported_terms(answer, supports) == missing
