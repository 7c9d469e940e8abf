"""Issue 11, defects 1–5: the LLM generator against a stand-in that behaves like llama.cpp's server.

Each test is one way a real server misbehaves (pings while busy, `[DONE]` without a finish_reason
when a second request arrives, slow first token, hang, refusal, prompt echo, bare figures) and the
answer the user must get. Defects 6–8 (what front ends show) are in test_llm_frontends.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from assistant.core.types import Answer, Citation, Query
from tests.llm_cases import (
    CHOICE_REPLY,
    GOOD_REPLY,
    OFFLINE,
    PUTUO_TITLE,
    TEXT_GOOD,
    TEXT_OFFLINE,
    fell_back,
    generator,
    run,
)

# --- 1. a reply counts only with finish_reason "stop" ---------------------------------------------


def test_1_stream_ended_by_done_without_finish_reason_falls_back(openai_stub):
    openai_stub.reply = CHOICE_REPLY
    openai_stub.interrupt_after = 1  # "F1\n" and one more piece, then [DONE]: what llama.cpp sends
    _, pieces, final = run(generator(openai_stub))
    fell_back(final, OFFLINE, "没有正常结束", "没有结束标记", "可能不完整")
    assert "".join(pieces) == OFFLINE.text  # the truncated "1." never reached the user


@pytest.mark.parametrize("stream", [True, False])
def test_1_reply_cut_by_the_length_limit_falls_back(openai_stub, stream):
    openai_stub.reply = CHOICE_REPLY
    openai_stub.finish_reason = "length"
    _, _, final = run(generator(openai_stub, llm_stream=stream))
    fell_back(final, OFFLINE, "finish_reason=length")


def test_1_four_users_at_once_are_served_one_at_a_time_and_none_is_cut_short(openai_stub):
    openai_stub.reply = CHOICE_REPLY
    openai_stub.single_slot = True  # like llama.cpp: a second request ends the first with [DONE]
    openai_stub.chunk_delay = 0.02
    gen = generator(openai_stub, llm_timeout=30, llm_max_concurrency=1)
    finals: list[Answer] = []
    threads = [threading.Thread(target=lambda: finals.append(run(gen)[2])) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [f.backend for f in finals] == ["openai"] * 4, [f.notes for f in finals]
    assert openai_stub.max_in_flight == 1


# --- 2. a deadline for the whole answer, which keep-alive pings do not extend -----------------------


def test_2_pings_do_not_extend_the_deadline(openai_stub):
    openai_stub.reply = CHOICE_REPLY
    openai_stub.ping_every = 0.1  # `: ping` all along, as llama.cpp does while a request waits
    openai_stub.first_token_delay = 60  # a per-read timeout would wait for this and take the reply
    t0 = time.monotonic()
    statuses, _, final = run(generator(openai_stub, llm_timeout=1.5))
    print(f"deadline 1.5 s, answered after {time.monotonic() - t0:.2f} s")
    fell_back(final, OFFLINE, "1.5秒内没有给出完整回答")
    assert len(statuses) >= 1


def test_2_a_server_that_hangs_without_a_byte_falls_back_at_the_deadline(openai_stub):
    openai_stub.delay = 60  # no headers, nothing
    _, _, final = run(generator(openai_stub, llm_timeout=1, llm_retries=0))
    fell_back(final, OFFLINE, "1秒内没有给出完整回答")


def test_2_a_request_waiting_for_a_busy_slot_falls_back_at_its_deadline(openai_stub):
    openai_stub.reply = CHOICE_REPLY
    openai_stub.release = threading.Event()  # the first request holds the only slot until released
    gen = generator(openai_stub, llm_timeout=30, llm_max_concurrency=1)
    firsts: list[Answer] = []
    first = threading.Thread(target=lambda: firsts.append(run(gen)[2]))
    first.start()
    while not openai_stub.chat_requests():
        time.sleep(0.01)
    gen.client.timeout = gen.timeout = 1  # the second question's deadline ends while the first holds the slot
    _, _, final = run(gen)
    openai_stub.release.set()
    first.join()
    fell_back(final, OFFLINE, "正忙", "1秒内没有轮到")
    assert len(openai_stub.chat_requests()) == 1  # the second never reached the server
    assert firsts[0].backend == "openai"  # and the first was not disturbed


# --- 3. text answers: supported by the passages, not a refusal, an echo or nothing -----------------


@pytest.mark.parametrize(("reply", "fragment"), [
    ("文件中没有找到相关内容。", "没有作答"),
    ("抱歉，根据提供的原文无法回答这个问题。", "没有作答"),
    ("社区救助顾问", "只复述了问题"),
    ("社区救助顾问是什么？", "只复述了问题"),
    ("原文段落：深化社区救助顾问制度。", "复述了提示词"),
    ("请只根据以上原文段落回答问题", "复述了提示词"),
    ("社区救助顾问由街道长者食堂的志愿者担任，为困难群众提供政策咨询。", "长者食堂"),
    ("社区救助顾问是民政局派驻的律师，负责法律援助。", "律师"),
])
def test_3_unsupported_text_answers_fall_back(openai_stub, reply, fragment):
    openai_stub.reply = reply
    _, _, final = run(generator(openai_stub), TEXT_OFFLINE)
    fell_back(final, TEXT_OFFLINE, fragment)
    assert final.refused is False and final.citations  # the offline answer, which did find it


def test_3_a_reply_echoing_the_whole_prompt_falls_back(openai_stub):
    openai_stub.echo_prompt = True
    _, _, final = run(generator(openai_stub), TEXT_OFFLINE)
    fell_back(final, TEXT_OFFLINE, "复述了提示词")


def test_3_a_supported_rewording_is_accepted(openai_stub):
    openai_stub.reply = TEXT_GOOD
    _, _, final = run(generator(openai_stub), TEXT_OFFLINE)
    assert final.backend == "openai", final.notes


# --- 4. Chinese-numeral figures, with or without a unit ------------------------------------------

ACTIONS = "实施“幸福养老”三大行动，从服务、设施、人才六个维度评估，覆盖五个街镇。"
ACTIONS_OFFLINE = Answer(
    question="普陀养老有哪些行动？", text=f"据《{PUTUO_TITLE}》：{ACTIONS}", query=Query(text="普陀养老有哪些行动？"),
    citations=(Citation(doc_id="d-putuo", doc_title=PUTUO_TITLE, section="二、养老", text=ACTIONS, start=0,
                        end=len(ACTIONS)),),
)


@pytest.mark.parametrize(("reply", "bad"), [
    ("根据《普陀区民政局2024年工作要点》，普陀区实施“幸福养老”四大行动。", "四大"),
    ("根据《普陀区民政局2024年工作要点》，普陀区实施“幸福养老”三大行动，从五个维度评估。", "五个"),
    ("根据《普陀区民政局2024年工作要点》，普陀区实施“幸福养老”4大行动。", "4"),
])
def test_4_a_wrong_chinese_numeral_falls_back(openai_stub, reply, bad):
    openai_stub.reply = reply
    _, _, final = run(generator(openai_stub), ACTIONS_OFFLINE)
    fell_back(final, ACTIONS_OFFLINE, f"（{bad}）", "无法在引用原文中找到")


def test_4_the_right_numerals_pass(openai_stub):
    openai_stub.reply = "根据《普陀区民政局2024年工作要点》，普陀区实施“幸福养老”3大行动，从服务、设施、人才六个维度评估。"
    _, _, final = run(generator(openai_stub), ACTIONS_OFFLINE)
    assert final.backend == "openai", final.notes


# --- 5. a figure restates what it holds for: place, year, qualifier, document ----------------------


@pytest.mark.parametrize(("reply", "missing"), [
    ("F1\n200张", ("地区", "年份", "限定", "文件名称")),
    ("F1\n普陀区新增养老床位200张。", ("年份", "文件名称")),
    ("F1\n普陀区2024年养老床位200张（《普陀区民政局2024年工作要点》）。", ("限定（新增）",)),
    ("F2\n140张", ("地区", "年份", "限定（改建）", "文件名称")),  # the neighbouring clause's count, bare
])
def test_5_a_bare_figure_falls_back(openai_stub, reply, missing):
    openai_stub.reply = reply
    _, _, final = run(generator(openai_stub))
    fell_back(final, OFFLINE, "没有写明数字", *missing)


def test_5_a_figure_with_everything_it_holds_for_passes(openai_stub):
    openai_stub.reply = "F1\n" + GOOD_REPLY
    _, _, final = run(generator(openai_stub))
    assert final.backend == "openai", final.notes
