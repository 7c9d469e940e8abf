"""Conversations kept in the browser, follow-up suggestions and the plain-text copy: pure functions."""

from __future__ import annotations

import json

import pytest

from assistant.core.types import Answer, Citation, DocMeta, Query
from assistant.serve.engine import DocumentInfo
from assistant.serve.suggestions import districts_with_year, follow_ups
from assistant.serve.ui import conversations as conv
from assistant.serve.ui.render import answer_plain, feedback_values, match_spans, snippet_html
from tests.fake_engine import FakeEngine

Q = "普陀2024年新增多少养老床位？"


def answer() -> Answer:
    return FakeEngine().ask(Q)


def docs(*places: tuple[str, tuple[int, ...]]) -> list[DocumentInfo]:
    return [DocumentInfo(doc_id=str(i), source=f"{i}.txt", meta=DocMeta(title="t", district=d, years=y),
                         chunks=1, facts=1) for i, (d, y) in enumerate(places)]


def test_a_stored_answer_comes_back_equal_after_json():
    a = answer()
    back = conv.answer_from_dict(json.loads(json.dumps(a.to_dict(), ensure_ascii=False)))
    assert back == a  # citations, highlight, query and notes back as their types


def test_exchanges_make_one_conversation_newest_first_and_bounded():
    store, first, _ = conv.add_exchange(conv.empty_store(), None, Q, answer())
    store, same, ex = conv.add_exchange(store, first, "那宝山2022年呢？", answer())
    assert same == first and store["current"] == first
    assert [e.question for e in conv.exchanges(store, first)] == [Q, "那宝山2022年呢？"]
    store, other, _ = conv.add_exchange(store, None, "长宁呢？", answer())
    assert [c[1] for c in conv.choices(store)] == [other, first]
    for i in range(conv.MAX_CONVERSATIONS + 3):
        store, _, _ = conv.add_exchange(store, None, f"q{i}", answer())
    assert len(store["conversations"]) == conv.MAX_CONVERSATIONS


def test_each_answer_gets_its_own_id_and_keeps_its_rating():
    store, cid, ex1 = conv.add_exchange(conv.empty_store(), None, Q, answer())
    store, _, ex2 = conv.add_exchange(store, cid, Q, answer())
    assert ex1.answer_id != ex2.answer_id
    store = conv.set_rating(store, ex2.answer_id, -1)
    assert [e.rating for e in conv.exchanges(store, cid)] == [0, -1]
    assert feedback_values(conv.exchanges(store, cid)) == [None, None, "Dislike", None]  # answer, sources, …


@pytest.mark.parametrize("store", [None, "x", {"conversations": "x"}, {"conversations": [{"id": "a",
                                                                                        "exchanges": [{}]}]}])
def test_a_damaged_store_reads_as_empty_not_as_an_error(store):
    assert conv.exchanges(store, "a") == []
    store, cid, _ = conv.add_exchange(store, "a", Q, answer())
    assert len(conv.exchanges(store, cid)) == 1


def test_removing_a_conversation_forgets_it():
    store, cid, _ = conv.add_exchange(conv.empty_store(), None, Q, answer())
    store = conv.remove_conversation(store, cid)
    assert store == conv.empty_store()


def test_titles_are_the_first_question_cut_short():
    assert conv.title_of("  普陀  养老 ") == "普陀 养老"
    assert conv.title_of("问" * 40) == "问" * conv.TITLE_CHARS + "…"


def test_follow_ups_come_from_the_cited_passage_and_the_documents():
    got = follow_ups(answer(), docs(("普陀区", (2024,)), ("宝山区", (2024,)), ("上海市", (2024,))), n=10)
    assert got[:3] == ["普陀区2024年新增多少智慧养老院？", "普陀区2024年新增多少互联网医院+养老院？",
                       "普陀区2024年改建多少认知障碍照护床位？"]
    assert "那宝山区2024年呢？" in got  # another district whose documents cover 2024
    assert "2024年哪个区新增养老床位最多？" in got
    assert Q not in got


def test_no_follow_up_names_a_district_without_documents_for_that_year():
    got = follow_ups(answer(), docs(("普陀区", (2024,)), ("宝山区", (2022,))), n=10)
    assert not any("宝山" in q for q in got) and not any("哪个区" in q for q in got)
    assert districts_with_year(docs(("普陀区", (2024,)), ("上海市", (2024,))), 2024) == ["普陀区"]


def test_a_refusal_without_citations_suggests_nothing_made_up():
    refused = Answer(question="今天天气怎么样？", text="文件中没有找到。", refused=True,
                     query=Query(text="今天天气怎么样？"))
    assert follow_ups(refused, docs(("普陀区", (2024,)))) == []


def test_plain_copy_has_the_answer_and_numbered_sources_without_html():
    text = answer_plain(answer(), followup=True)
    assert "<" not in text.replace("“", "")
    assert text.startswith("理解为：普陀区2024年新增养老床位\n根据《普陀区民政局2024年工作要点》")
    assert "\n来源：\n[1]《普陀区民政局2024年工作要点》二、建设高品质普惠养老格局" in text
    assert "计划新增200张养老床位" in text


@pytest.mark.parametrize("text, terms, spans", [
    ("普陀区养老床位", ["养老床位", "养老"], [(3, 7)]),  # the longer term wins, no overlap
    ("养老养老", ["养老"], [(0, 2), (2, 4)]),
    ("abc", ["x", ""], []),
])
def test_match_spans(text, terms, spans):
    assert match_spans(text, terms) == spans


def test_snippet_is_taken_around_the_matches_and_escaped():
    text = "<前言>" + "甲" * 300 + "普陀区新增养老床位200张" + "乙" * 300
    out = snippet_html(text, ["普陀", "养老床位"], width=60)
    assert out.startswith("…") and out.endswith("…")
    assert "<mark>普陀</mark>区新增<mark>养老床位</mark>200张" in out
    assert "<前言>" not in out
    assert snippet_html("a<b 养老", ["养老"]) == "a&lt;b <mark>养老</mark>"
    assert snippet_html("短文", []) == "短文"


def test_a_citation_without_highlight_still_suggests_from_its_figures():
    c = Citation(doc_id="d", doc_title="t", section="", text="宝山区新增社区老年助餐服务场所15家。", start=0, end=18)
    a = Answer(question="q", text="x", refused=True, citations=(c,), query=Query(text="q", district="宝山区", year=2022))
    assert follow_ups(a) == ["宝山区2022年新增多少社区老年助餐服务场所？"]


def test_follow_ups_of_a_sum_name_its_districts():
    a = answer()
    a = type(a)(**{**a.__dict__, "query": Query(text="q", districts=("长宁区", "宝山区"), year=2022, intent="sum")})
    assert follow_ups(a)[0] == "长宁区和宝山区2022年新增多少智慧养老院？"
