"""Answer generators: offline passthrough, and the OpenAI-compatible one against a stub server."""

from __future__ import annotations

import time

import pytest

from assistant.answer.generation import OfflineGenerator, OpenAIGenerator, get_generator
from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.core.types import Answer, Citation, Query
from tests.openai_stub import OpenAIStub, openai_stub  # noqa: F401  (fixture)

PUTUO_TEXT = ("二是推动“普惠共享”多元养老新发展。民心工程和为民办实事加速升级，计划新增200张养老床位、"
              "2家智慧养老院、2家“互联网医院+养老院”，改进建认知障碍照护床位140张。")
PUTUO_TITLE = "普陀区民政局2024年工作要点"
PUTUO_SECTION = "二、建设高品质普惠养老格局 › 二是推动“普惠共享”多元养老新发展"
GOOD_REPLY = "根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张。"

OFFLINE = Answer(
    question="普陀2024年新增多少养老床位？",
    text="根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张。",
    value=200.0,
    unit="张",
    as_written="200张",
    citations=(Citation(doc_id="d-putuo", doc_title=PUTUO_TITLE, section=PUTUO_SECTION, text=PUTUO_TEXT,
                        start=1000, end=1000 + len(PUTUO_TEXT), chunk_id="c1",
                        highlight=(PUTUO_TEXT.index("200张"), PUTUO_TEXT.index("200张") + 4)),),
    understood_as="普陀区2024年新增养老床位",
    query=Query(text="普陀2024年新增多少养老床位？", district="普陀区", year=2024, qualifier="新增",
                unit="张", subject="养老床位"),
)
REFUSED = Answer(question="静安2030年新增多少床位？", text="文件中没有找到“静安区2030年新增床位”的具体数字。",
                 refused=True, reason="no_match", understood_as="静安区2030年新增床位")


def run(generator, offline: Answer = OFFLINE) -> tuple[list[str], Answer]:
    """Consume a generator's stream the way the engine does: pieces, then exactly one final Answer."""
    items = list(generator.stream(offline.question, offline, None))
    assert isinstance(items[-1], Answer)
    assert all(isinstance(i, str) for i in items[:-1])
    return items[:-1], items[-1]


def openai(stub: OpenAIStub, stream: bool = True, timeout: float = 5.0) -> OpenAIGenerator:
    settings = Settings(generator="openai", llm_base_url=stub.base_url, llm_model="stub-model",
                        llm_api_key="sk-test", llm_timeout=timeout)
    return OpenAIGenerator(settings, stream=stream)


def offline_with_note(final: Answer, *fragments: str) -> None:
    """The final answer is the offline one, with one note holding every fragment."""
    assert final.text == OFFLINE.text
    assert final.backend == "offline"
    assert final.citations == OFFLINE.citations
    assert len(final.notes) == 1, final.notes
    for fragment in fragments:
        assert fragment in final.notes[0], final.notes[0]


# --- lookup and offline ------------------------------------------------------------------------

def test_get_generator_by_name():
    assert isinstance(get_generator(Settings(generator="offline")), OfflineGenerator)
    assert isinstance(get_generator(Settings(generator="openai")), OpenAIGenerator)


def test_unknown_generator_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="offline, openai") as err:
        get_generator(Settings(generator="gpt"))
    assert "'gpt'" in str(err.value)


def test_offline_generator_yields_the_text_then_the_answer_unchanged():
    pieces, final = run(OfflineGenerator())
    assert "".join(pieces) == OFFLINE.text
    assert final is OFFLINE


def test_missing_prompt_template_is_a_config_error(tmp_path):
    (tmp_path / "system.txt").write_text("只根据原文回答。", encoding="utf-8")
    with pytest.raises(ConfigError, match="user.txt"):
        OpenAIGenerator(Settings(generator="openai", prompts_dir=tmp_path))


def test_unknown_placeholder_in_a_template_is_a_config_error(tmp_path):
    for name, text in {"system.txt": "只根据原文回答。", "user.txt": "问题：$question $nonsense",
                       "passage.txt": "$text"}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    generator = OpenAIGenerator(Settings(generator="openai", prompts_dir=tmp_path))
    with pytest.raises(ConfigError, match="nonsense"):
        generator.messages(OFFLINE.question, OFFLINE)


# --- OpenAI-compatible: good answers -----------------------------------------------------------

@pytest.mark.parametrize("stream", [True, False])
def test_good_llm_answer_replaces_the_text(openai_stub, stream):  # noqa: F811
    openai_stub.reply = GOOD_REPLY
    pieces, final = run(openai(openai_stub, stream=stream))
    assert "".join(pieces) == GOOD_REPLY
    if stream:
        assert len(pieces) > 1  # deltas arrive as they come
    assert final.text == GOOD_REPLY
    assert final.backend == "openai"
    assert final.notes == ()
    assert (final.value, final.unit, final.citations) == (OFFLINE.value, OFFLINE.unit, OFFLINE.citations)


def test_request_carries_model_key_and_grounded_prompt(openai_stub):  # noqa: F811
    run(openai(openai_stub))
    [req] = openai_stub.chat_requests()
    assert req.path == "/v1/chat/completions"
    assert req.headers["Authorization"] == "Bearer sk-test"
    assert req.body["model"] == "stub-model"
    assert req.body["stream"] is True
    system, user = req.body["messages"]
    assert system["role"] == "system" and "只根据" in system["content"]
    assert user["role"] == "user"
    expected = (OFFLINE.question, "普陀区2024年新增养老床位", "200张", PUTUO_TITLE, PUTUO_SECTION, PUTUO_TEXT)
    for part in expected:
        assert part in user["content"]
    assert "$" not in user["content"]  # every placeholder filled


def test_answer_with_a_shown_computation_passes(openai_stub):  # noqa: F811
    openai_stub.reply = "普陀区计划新增养老床位200张，另有2家智慧养老院，合计200张+140张=340张床位。"
    _, final = run(openai(openai_stub))
    assert final.backend == "openai"


# --- OpenAI-compatible: fallbacks ---------------------------------------------------------------

@pytest.mark.parametrize("stream", [True, False])
def test_made_up_figure_falls_back_to_the_offline_answer(openai_stub, stream):  # noqa: F811
    openai_stub.reply = "普陀区2024年计划新增养老床位300张，其中护理型床位120张。"
    _, final = run(openai(openai_stub, stream=stream))
    offline_with_note(final, "300张", "120张", "无法在引用原文中找到", "离线答案")


def test_answer_with_another_cited_figure_falls_back(openai_stub):  # noqa: F811
    openai_stub.reply = "普陀区2024年计划改建认知障碍照护床位140张。"  # cited, but not the figure asked for
    _, final = run(openai(openai_stub))
    offline_with_note(final, "200张", "离线答案")


@pytest.mark.parametrize("stream", [True, False])
def test_timeout_falls_back_with_a_note_within_the_timeout(openai_stub, stream):  # noqa: F811
    openai_stub.delay = 5
    t0 = time.monotonic()
    _, final = run(openai(openai_stub, stream=stream, timeout=0.5))
    elapsed = time.monotonic() - t0
    assert elapsed < 2.0, elapsed
    offline_with_note(final, openai_stub.base_url, "无响应", "超时0.5秒", "已给出离线答案")


def test_stalled_stream_times_out_and_the_final_answer_supersedes_the_partial_text(openai_stub):  # noqa: F811
    openai_stub.reply = GOOD_REPLY
    openai_stub.chunk_delay = 0.05
    openai_stub.chunk_chars = 4
    generator = openai(openai_stub, timeout=0.5)
    items = []
    for item in generator.stream(OFFLINE.question, OFFLINE, None):
        items.append(item)
        if len(items) == 2:
            openai_stub.chunk_delay = 5  # the server stalls after the first deltas
    pieces, final = items[:-1], items[-1]
    assert pieces and "".join(pieces) != GOOD_REPLY
    offline_with_note(final, "超时0.5秒")


@pytest.mark.parametrize("stream", [True, False])
def test_http_500_falls_back(openai_stub, stream):  # noqa: F811
    openai_stub.status = 500
    pieces, final = run(openai(openai_stub, stream=stream))
    assert pieces == []
    offline_with_note(final, "HTTP 500", openai_stub.base_url)


@pytest.mark.parametrize("stream", [True, False])
def test_malformed_json_falls_back(openai_stub, stream):  # noqa: F811
    openai_stub.malformed = True
    _, final = run(openai(openai_stub, stream=stream))
    offline_with_note(final, "格式无法识别")


@pytest.mark.parametrize("body", ['{"choices": []}', '{"object": "chat.completion"}',
                                  '{"choices": [{"message": {"content": null}}]}'])
def test_json_without_a_reply_falls_back(openai_stub, body):  # noqa: F811
    openai_stub.raw_body = body
    _, final = run(openai(openai_stub, stream=False))
    offline_with_note(final, "格式无法识别")


def test_stream_dropped_midway_falls_back_and_the_final_answer_is_authoritative(openai_stub):  # noqa: F811
    openai_stub.reply = GOOD_REPLY
    openai_stub.drop_after = 3
    pieces, final = run(openai(openai_stub))
    assert "".join(pieces) == GOOD_REPLY[:12]  # the preview the UI must replace
    offline_with_note(final, "中途中断")


def test_empty_reply_falls_back(openai_stub):  # noqa: F811
    openai_stub.reply = ""
    _, final = run(openai(openai_stub))
    offline_with_note(final, "空回答")


def test_unreachable_server_falls_back(free_port):
    port = free_port()
    settings = Settings(generator="openai", llm_base_url=f"http://127.0.0.1:{port}/v1", llm_timeout=2)
    _, final = run(OpenAIGenerator(settings))
    offline_with_note(final, "无法连接", f"127.0.0.1:{port}")


def test_refused_offline_answer_makes_no_request(openai_stub):  # noqa: F811
    pieces, final = run(openai(openai_stub), REFUSED)
    assert final is REFUSED
    assert "".join(pieces) == REFUSED.text
    assert openai_stub.requests == []
