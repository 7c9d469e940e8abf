"""The 问答 tab in headless Chromium: reload keeps the chat, copy gives plain text, one rating per answer,
a visible wait and a stop button, suggestions, Chinese labels; the topic switch on the real engine.

The app runs for real over a fake engine; a question containing “慢” waits on a gate the test opens,
so what the page shows while waiting is checked without timing anything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from assistant.core.settings import get_settings
from assistant.serve.feedback import list_feedback
from tests import browser_support as bs
from tests.fake_engine import PUTUO_TEXT, FakeEngine

pytestmark = pytest.mark.browser

Q = "普陀2024年新增多少养老床位？"


class GatedEngine(FakeEngine):
    """The fake engine; a question with “慢” blocks after its first piece until `gate` is set."""

    def __init__(self, settings):
        super().__init__(settings)
        self.gate = threading.Event()

    def ask_stream(self, question, history=()):
        for i, item in enumerate(super().ask_stream(question.replace("慢", ""), history)):
            if i == 1 and "慢" in question:
                self.gate.wait(30)
            yield item


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[tuple]:
    if reason := bs.missing():
        pytest.skip(reason)
    from assistant.serve import ui

    root = tmp_path_factory.mktemp("chat")
    (root / "corpus").mkdir()
    (root / "corpus" / "2024-putuo-work-plan.txt").write_text(PUTUO_TEXT, encoding="utf-8")
    settings = get_settings(corpus_dir=root / "corpus", data_dir=root / "data", eval_dir=root / "eval",
                            index_dir=root / "index")
    engine = GatedEngine(settings)
    demo = ui.build_ui(settings, engine)
    port = bs.free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **ui.launch_kwargs(settings))
    yield settings, engine, f"http://127.0.0.1:{port}/"
    engine.gate.set()
    demo.close()


@pytest.fixture
def browser(app):
    drv = bs.make_driver(lang="en-US", clipboard=True)  # an English browser: the labels must still be Chinese
    drv.get(app[2])
    bs.wait(drv, lambda d: d.find_elements("css selector", "#mz-input textarea"))
    yield drv
    bs.close_driver(drv)


def ask(drv, question: str) -> None:
    from selenium.webdriver.common.keys import Keys

    answers = len(drv.find_elements("css selector", "#mz-chat .mz-msg"))
    box = drv.find_element("css selector", "#mz-input textarea")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    bs.wait(drv, lambda d: len(d.find_elements("css selector", "#mz-chat .mz-msg")) > answers)


def buttons(drv, label_start: str) -> list:
    return [b for b in drv.find_elements("css selector", "#mz-chat button[aria-label]")
            if (b.get_attribute("aria-label") or "").startswith(label_start)]


def test_reload_keeps_the_chat_and_the_list_reopens_it(browser):
    ask(browser, Q)
    ask(browser, "那宝山2022年呢？")
    browser.refresh()
    bs.wait(browser, lambda d: len(d.find_elements("css selector", "#mz-chat .mz-msg")) == 2)
    assert "理解为" in browser.find_element("css selector", "#mz-chat").text
    browser.find_element("xpath", "//button[contains(., '新对话')]").click()
    bs.wait(browser, lambda d: not d.find_elements("css selector", "#mz-chat .mz-msg"))
    [item] = browser.find_elements("css selector", "#mz-history label")
    assert item.text.startswith(Q) and "2问" in item.text
    item.click()
    bs.wait(browser, lambda d: len(d.find_elements("css selector", "#mz-chat .mz-msg")) == 2)
    bs.shot(browser, "chat-desktop")


def test_copy_gives_the_answer_and_its_sources_as_plain_text(browser):
    ask(browser, Q)
    buttons(browser, "复制（纯文本）")[-1].click()  # the answer's own copy button
    buttons(browser, "复制整段对话")[0].click()
    one, everything = bs.wait(browser, lambda d: (c := d.execute_script("return window.__copied")) and
                              len(c) == 2 and c)
    for text in (one, everything):
        assert "<" not in text and "mz-" not in text
        assert "普陀区2024年计划新增养老床位200张" in text
        assert "来源：\n[1]《普陀区民政局2024年工作要点》" in text and "改进建认知障碍照护床位140张" in text
    assert everything.startswith(f"问：{Q}\n\n答：根据")


def test_thumbs_up_then_down_is_one_record_and_stays_after_reload(app, browser):
    settings = app[0]
    before = {f.answer_id for f in list_feedback(settings)}
    ask(browser, Q)
    buttons(browser, "有用")[-1].click()
    bs.wait(browser, lambda d: buttons(d, "已评为有用"))
    buttons(browser, "没用")[-1].click()
    bs.wait(browser, lambda d: buttons(d, "已评为没用"))
    bs.wait(browser, lambda d: [f for f in list_feedback(settings) if f.answer_id not in before
                                and f.rating == -1])
    [mine] = [f for f in list_feedback(settings) if f.answer_id not in before]
    assert (mine.question, mine.rating) == (Q, -1)
    assert mine.citations[0].doc_title == "普陀区民政局2024年工作要点"
    browser.refresh()
    bs.wait(browser, lambda d: buttons(d, "已评为没用"))
    buttons(browser, "已评为没用")[-1].click()  # clicked again: taken back
    bs.wait(browser, lambda d: not [f for f in list_feedback(settings) if f.answer_id == mine.answer_id])


def test_waiting_is_visible_and_the_stop_button_stops(app, browser):
    engine = app[1]
    engine.gate.clear()
    box = browser.find_element("css selector", "#mz-input textarea")
    box.send_keys("慢" + Q + "\n")
    bs.wait(browser, lambda d: "根据《普陀区" in d.find_element("css selector", "#mz-chat").text)  # first piece
    stop = bs.wait(browser, lambda d: [b for b in d.find_elements("css selector", "#mz-input button")
                                       if b.is_displayed() and "停止" in (b.text + (b.get_attribute("aria-label") or ""))])
    stop[0].click()
    bs.wait(browser, lambda d: "已停止回答" in d.find_element("css selector", "#mz-chat").text)
    engine.gate.set()
    assert browser.find_element("css selector", "#mz-input textarea").get_attribute("value") == "慢" + Q


def test_the_wait_before_the_first_piece_says_so(app, browser):
    from assistant.serve.ui.render import chat_messages

    waiting = chat_messages([], pending=Q)[-1]["content"]
    assert "正在查找文件" in waiting and 'role="status"' in waiting  # what the chat shows until a piece comes


def test_a_suggested_follow_up_is_asked_with_one_click(browser):
    ask(browser, Q)
    chip = bs.wait(browser, lambda d: [b for b in d.find_elements("css selector", "#mz-suggest button")
                                       if b.is_displayed() and "认知障碍照护床位" in b.text])
    chip[0].click()
    bs.wait(browser, lambda d: len(d.find_elements("css selector", "#mz-chat .mz-msg")) == 2)


def test_gradio_labels_are_chinese_in_an_english_browser(browser):
    ask(browser, Q)
    labels = {b.get_attribute("aria-label") for b in browser.find_elements("css selector", "#mz-chat button")}
    assert {"复制（纯文本）", "有用", "没用"} <= labels
    assert not labels & {"Copy message", "Like", "Dislike", "Copy conversation", "Clear"}


def test_the_latest_question_stays_in_view_after_a_long_exchange(app):
    drv = bs.make_driver(bs.PHONE)
    try:
        drv.get(app[2])
        bs.wait(drv, lambda d: d.find_elements("css selector", "#mz-input textarea"))
        for q in (Q, "那宝山2022年呢？", Q):
            ask(drv, q)
        drv.execute_script("return window.mzShowLatest()")
        seen = bs.wait(drv, lambda d: d.execute_script(
            "const rows = document.querySelectorAll('#mz-chat .user-row'); const last = rows[rows.length - 1];"
            "const box = last.closest('.bubble-wrap'); const a = last.getBoundingClientRect(),"
            " b = box.getBoundingClientRect(); return a.top >= b.top - 1 && a.top < b.bottom && box.scrollTop > 0;"))
        assert seen
        bs.shot(drv, "chat-phone")
    finally:
        bs.close_driver(drv)


@pytest.mark.slow
def test_a_question_naming_its_own_subject_starts_a_new_topic(tmp_path):
    """After a 徐汇 2024 bed question, “社区救助顾问是什么” must not inherit 徐汇区2024年."""
    from assistant.serve import ui
    from assistant.serve.engine import build_engine

    if reason := bs.missing():
        pytest.skip(reason)
    settings = get_settings(data_dir=tmp_path / "data")
    demo = ui.build_ui(settings, build_engine(settings))
    port = bs.free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **ui.launch_kwargs(settings))
    drv = bs.make_driver()
    try:
        drv.get(f"http://127.0.0.1:{port}/")
        bs.wait(drv, lambda d: d.find_elements("css selector", "#mz-input textarea"))
        ask(drv, "徐汇区2024年新增多少养老床位？")
        ask(drv, "社区救助顾问是什么")
        last = drv.find_elements("css selector", "#mz-chat .mz-msg")[-1]
        assert "徐汇区2024年" not in last.text
        assert not last.find_elements("css selector", ".mz-refused")
    finally:
        bs.close_driver(drv)
        demo.close()
