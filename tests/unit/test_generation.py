"""Answer generators: offline passthrough, and the OpenAI-compatible one against a stand-in server."""

from __future__ import annotations

import socket

import pytest

from assistant.answer.generation import OfflineGenerator, OpenAIGenerator, get_generator, visible_notes
from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from tests.llm_cases import (
    CANDIDATES,
    CHOICE_REPLY,
    GOOD_REPLY,
    OFFLINE,
    PUTUO_SECTION,
    PUTUO_TITLE,
    REFUSED,
    TEXT_GOOD,
    TEXT_OFFLINE,
    fell_back,
    generator,
    llm_settings,
    run,
)

# --- lookup and offline ------------------------------------------------------------------------

def test_get_generator_by_name():
    assert isinstance(get_generator(Settings(generator="offline")), OfflineGenerator)
    assert isinstance(get_generator(Settings(generator="openai")), OpenAIGenerator)


def test_unknown_generator_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="offline, openai") as err:
        get_generator(Settings(generator="gpt"))
    assert "'gpt'" in str(err.value)


def test_offline_generator_yields_the_text_then_the_answer_unchanged():
    statuses, pieces, final = run(OfflineGenerator())
    assert statuses == []
    assert final is OFFLINE


def test_missing_prompt_template_is_a_config_error(tmp_path):
    (tmp_path / "system.txt").write_text("只根据原文回答。", encoding="utf-8")
    with pytest.raises(ConfigError, match="user.txt"):
        OpenAIGenerator(Settings(generator="openai", prompts_dir=tmp_path))


def test_unknown_placeholder_in_a_template_is_a_config_error(tmp_path):
    for name, text in {"system.txt": "只根据原文回答。", "user.txt": "问题：$question $nonsense",
                       "passage.txt": "$text", "user_choice.txt": "$question $candidates",
                       "candidate.txt": "$id $figure"}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    gen = OpenAIGenerator(Settings(generator="openai", prompts_dir=tmp_path))
    with pytest.raises(ConfigError, match="nonsense"):
        gen.messages(TEXT_OFFLINE.question, TEXT_OFFLINE)


# --- good answers ------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [True, False])
def test_good_choice_replaces_the_text(openai_stub, stream):
    openai_stub.reply = CHOICE_REPLY
    statuses, pieces, final = run(generator(openai_stub, llm_stream=stream))
    assert statuses  # the stream said at once that the LLM was asked
    assert final.text == GOOD_REPLY  # the id line is not part of the answer
    assert final.backend == "openai"
    assert final.notes == ()
    assert (final.value, final.unit, final.citations) == (OFFLINE.value, OFFLINE.unit, OFFLINE.citations)
    assert visible_notes(final) == ["回答由大模型组织语言，数字和说法已与引用原文核对"]


def test_choice_prompt_carries_model_key_and_every_candidate(openai_stub):
    openai_stub.reply = CHOICE_REPLY
    run(generator(openai_stub))
    [req] = openai_stub.chat_requests()
    assert req.path == "/v1/chat/completions"
    assert {k.lower(): v for k, v in req.headers.items()}["authorization"] == "Bearer sk-test"
    assert req.body["model"] == "stub-model"
    assert req.body["stream"] is True
    system, user = req.body["messages"]
    assert system["role"] == "system" and "只根据" in system["content"]
    for part in (OFFLINE.question, "普陀区2024年新增养老床位", "[F1] 200张", "[F2] 140张", PUTUO_TITLE, PUTUO_SECTION,
                 "新增【200张】养老床位", "认知障碍照护床位【140张】"):
        assert part in user["content"], part
    assert "$" not in user["content"]  # every placeholder filled


def test_text_prompt_carries_the_passages(openai_stub):
    openai_stub.reply = TEXT_GOOD
    _, _, final = run(generator(openai_stub), TEXT_OFFLINE)
    assert final.backend == "openai", final.notes
    user = openai_stub.chat_requests()[0].body["messages"][1]["content"]
    assert TEXT_OFFLINE.citations[0].text in user and "$" not in user


def test_another_candidate_chosen_takes_its_figure_and_citation_and_says_so(openai_stub):
    openai_stub.reply = "F2\n根据《普陀区民政局2024年工作要点》，普陀区2024年计划改建认知障碍照护床位140张。"
    _, _, final = run(generator(openai_stub))
    assert final.backend == "openai"
    assert (final.value, final.as_written) == (140.0, "140张")
    assert final.citations == (CANDIDATES[1].citation,)
    assert final.notes == ("大模型在候选数字中选了140张（离线检索首选为200张），数字及出处已与原文核对",)


def test_reply_without_an_id_line_counts_for_the_one_candidate_it_states(openai_stub):
    openai_stub.reply = GOOD_REPLY
    _, _, final = run(generator(openai_stub))
    assert final.backend == "openai" and final.text == GOOD_REPLY


def test_answer_with_a_shown_computation_passes(openai_stub):
    openai_stub.reply = ("F1\n根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张，"
                         "连同改进建的140张，合计200张+140张=340张。")
    _, _, final = run(generator(openai_stub))
    assert final.backend == "openai", final.notes


# --- fallbacks -------------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [True, False])
def test_made_up_figure_falls_back(openai_stub, stream):
    openai_stub.reply = "F1\n根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位300张，其中护理型床位120张。"
    _, _, final = run(generator(openai_stub, llm_stream=stream))
    fell_back(final, OFFLINE, "300张", "120张", "无法在引用原文中找到", "离线答案")


def test_choice_that_does_not_state_its_figure_falls_back(openai_stub):
    openai_stub.reply = "F1\n根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增2家智慧养老院。"
    _, _, final = run(generator(openai_stub))
    fell_back(final, OFFLINE, "200张")


@pytest.mark.parametrize(("reply", "fragment"), [
    ("无\n候选数字都不是新增床位。", "都不回答"),
    ("F7\n普陀区2024年新增养老床位200张。", "没有候选F7"),
    ("普陀区新增2家智慧养老院、2家“互联网医院+养老院”。", "没有以候选编号开头"),
])
def test_no_usable_choice_falls_back(openai_stub, reply, fragment):
    openai_stub.reply = reply
    _, _, final = run(generator(openai_stub))
    fell_back(final, OFFLINE, fragment)


@pytest.mark.parametrize("stream", [True, False])
def test_http_500_falls_back(openai_stub, stream):
    openai_stub.status = 500
    _, pieces, final = run(generator(openai_stub, llm_stream=stream, llm_retries=0))
    fell_back(final, OFFLINE, "HTTP 500", openai_stub.base_url)


def test_a_failed_request_is_retried_once(openai_stub):
    openai_stub.status = 503
    run(generator(openai_stub, llm_retries=1))
    assert len(openai_stub.chat_requests()) == 2


@pytest.mark.parametrize("stream", [True, False])
def test_malformed_json_falls_back(openai_stub, stream):
    openai_stub.malformed = True
    _, _, final = run(generator(openai_stub, llm_stream=stream))
    fell_back(final, OFFLINE, "格式无法识别")


@pytest.mark.parametrize("body", ['{"choices": []}', '{"object": "chat.completion"}',
                                  '{"choices": [{"message": {"content": null}}]}'])
def test_json_without_a_reply_falls_back(openai_stub, body):
    openai_stub.raw_body = body
    _, _, final = run(generator(openai_stub, llm_stream=False))
    fell_back(final, OFFLINE, "格式无法识别")


def test_stream_dropped_midway_falls_back_and_nothing_unchecked_was_shown(openai_stub):
    openai_stub.reply = CHOICE_REPLY
    openai_stub.drop_after = 3
    _, pieces, final = run(generator(openai_stub, llm_retries=0))
    assert "".join(pieces) == OFFLINE.text  # no piece of the broken reply reached the user
    fell_back(final, OFFLINE, "中途中断")


def test_empty_reply_falls_back(openai_stub):
    openai_stub.reply = ""
    _, _, final = run(generator(openai_stub))
    fell_back(final, OFFLINE, "空回答")


def test_unreachable_server_falls_back():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    gen = OpenAIGenerator(llm_settings(f"http://127.0.0.1:{port}/v1", llm_timeout=2, llm_retries=0))
    _, _, final = run(gen)
    fell_back(final, OFFLINE, "无法连接", f"127.0.0.1:{port}")
    assert gen.health()["reachable"] is False
    assert "无法连接" in gen.health()["last_error"]


def test_refused_offline_answer_makes_no_request(openai_stub):
    statuses, pieces, final = run(generator(openai_stub), REFUSED)
    assert final is REFUSED and statuses == []
    assert openai_stub.requests == []


def test_one_connection_pool_serves_every_call(openai_stub):
    openai_stub.reply = CHOICE_REPLY
    gen = generator(openai_stub)
    for _ in range(3):
        assert run(gen)[2].backend == "openai"
    assert gen.client._http is gen.client._openai._client  # the same httpx client, not one per call
