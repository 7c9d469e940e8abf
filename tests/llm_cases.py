"""Offline answers to hand to the LLM generator in tests: a figure with candidates, a text answer, a refusal."""

from __future__ import annotations

from assistant.answer.generation import OpenAIGenerator
from assistant.core.settings import Settings
from assistant.core.types import Answer, Candidate, Citation, Fact, Query, Status

PUTUO_TEXT = ("二是推动“普惠共享”多元养老新发展。民心工程和为民办实事加速升级，计划新增200张养老床位、"
              "2家智慧养老院、2家“互联网医院+养老院”，改进建认知障碍照护床位140张。")
PUTUO_TITLE = "普陀区民政局2024年工作要点"
PUTUO_SECTION = "二、建设高品质普惠养老格局 › 二是推动“普惠共享”多元养老新发展"
GOOD_REPLY = "根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张。"
CHOICE_REPLY = "F1\n" + GOOD_REPLY


def _fact(fact_id: str, written: str, value: float, unit: str, qualifier: str, subject: str) -> Fact:
    start = 1000 + PUTUO_TEXT.index(written)
    return Fact(fact_id=fact_id, chunk_id="c1", doc_id="d-putuo", value=value, unit=unit, as_written=written,
                qualifier=qualifier, subject=subject, district="普陀区", year=2024, start=start,
                end=start + len(written), sentence_start=1000, sentence_end=1000 + len(PUTUO_TEXT))


def _cite(fact: Fact) -> Citation:
    a = fact.start - 1000
    return Citation(doc_id="d-putuo", doc_title=PUTUO_TITLE, section=PUTUO_SECTION, text=PUTUO_TEXT, start=1000,
                    end=1000 + len(PUTUO_TEXT), chunk_id="c1", highlight=(a, a + len(fact.as_written)))


BEDS = _fact("f-beds", "200张", 200.0, "张", "新增", "养老床位")
CARE_BEDS = _fact("f-care", "140张", 140.0, "张", "改建", "认知障碍照护床位")
CANDIDATES = (Candidate(BEDS, _cite(BEDS)), Candidate(CARE_BEDS, _cite(CARE_BEDS)))

OFFLINE = Answer(
    question="普陀2024年新增多少养老床位？",
    text="根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张。",
    value=200.0, unit="张", as_written="200张",
    citations=(CANDIDATES[0].citation,),
    understood_as="普陀区2024年新增养老床位",
    query=Query(text="普陀2024年新增多少养老床位？", district="普陀区", year=2024, qualifier="新增",
                unit="张", subject="养老床位"),
    candidates=CANDIDATES,
)

HELPER_TEXT = ("深化社区救助顾问制度，在全区各街镇配备社区救助顾问，为困难群众提供政策咨询、"
               "帮办代办和个案跟踪服务。")
TEXT_OFFLINE = Answer(
    question="社区救助顾问是什么",
    text=f"据《{PUTUO_TITLE}》：{HELPER_TEXT}",
    citations=(Citation(doc_id="d-putuo", doc_title=PUTUO_TITLE, section="四、社会救助", text=HELPER_TEXT,
                        start=2000, end=2000 + len(HELPER_TEXT), chunk_id="c2"),),
    query=Query(text="社区救助顾问是什么", intent="text"),
)
TEXT_GOOD = "根据《普陀区民政局2024年工作要点》，社区救助顾问配备在各街镇，为困难群众提供政策咨询、帮办代办和个案跟踪服务。"

REFUSED = Answer(question="静安2030年新增多少床位？", text="文件中没有找到“静安区2030年新增床位”的具体数字。",
                 refused=True, reason="no_match", understood_as="静安区2030年新增床位")


def llm_settings(base_url: str, **overrides) -> Settings:
    """Settings for the OpenAI generator against a stand-in server."""
    values = {"generator": "openai", "llm_base_url": base_url, "llm_model": "stub-model", "llm_api_key": "sk-test",
              "llm_timeout": 5.0, **overrides}
    return Settings(**values)


def generator(stub, **overrides) -> OpenAIGenerator:
    return OpenAIGenerator(llm_settings(stub.base_url, **overrides))


def run(gen, offline: Answer = OFFLINE) -> tuple[list[str], list[str], Answer]:
    """(status lines, text pieces, final answer) of one stream, checking its shape on the way."""
    items = list(gen.stream(offline.question, offline, None))
    assert isinstance(items[-1], Answer)
    statuses = [i.text for i in items[:-1] if isinstance(i, Status)]
    pieces = [i for i in items[:-1] if isinstance(i, str)]
    assert len(statuses) + len(pieces) == len(items) - 1
    assert "".join(pieces) == items[-1].text  # only checked text is ever streamed
    return statuses, pieces, items[-1]


def fell_back(final: Answer, offline: Answer, *fragments: str) -> None:
    """The final answer is the offline one, with one note holding every fragment."""
    assert final.text == offline.text
    assert final.backend == "offline"
    assert final.citations == offline.citations
    assert len(final.notes) == 1, final.notes
    for fragment in fragments:
        assert fragment in final.notes[0], final.notes[0]
