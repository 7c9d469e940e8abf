"""The widget end to end in headless Chromium: a mock intranet page on one port, the API on another.

Skips, saying what is missing, without chromium, chromedriver or selenium. A question containing
“慢” waits after its first piece until the test opens a gate, so streaming and the stop button are
checked without timing anything. Set MZ_SHOTS=folder to keep screenshots.
"""

from __future__ import annotations

import functools
import http.server
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from assistant.core.settings import get_settings
from assistant.serve.api import create_api
from assistant.serve.feedback import list_feedback
from tests import browser_support as bs
from tests.fake_engine import FakeEngine

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
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
def page_origin_port() -> int:
    """The intranet page's port, chosen first: the API allows exactly that origin (scheme, host, port)."""
    return bs.free_port()


@pytest.fixture(scope="module")
def api(tmp_path_factory, page_origin_port) -> Iterator[tuple]:
    """The real API over the fake engine, served by uvicorn in a thread; feedback in a temporary folder."""
    if reason := bs.missing():
        pytest.skip(reason)
    settings = get_settings(data_dir=tmp_path_factory.mktemp("widget") / "data",
                            allowed_origins=[f"http://127.0.0.1:{page_origin_port}"])
    engine = GatedEngine(settings)
    port = bs.free_port()
    server = uvicorn.Server(uvicorn.Config(create_api(settings, engine), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start within 15 s")
        time.sleep(0.05)
    yield settings, engine, f"http://127.0.0.1:{port}"
    engine.gate.set()
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page_port(api, page_origin_port) -> Iterator[int]:
    """examples/intranet.html, its script tag pointed at the live API, served on another port."""
    html = (ROOT / "examples" / "intranet.html").read_text(encoding="utf-8")
    assert 'src="http://127.0.0.1:7860/widget.js"' in html
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "index.html").write_text(html.replace("http://127.0.0.1:7860", api[2]), encoding="utf-8")
        handler = functools.partial(QuietHandler, directory=tmp)
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", page_origin_port), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield httpd.server_address[1]
        httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def driver():
    drv = bs.make_driver(clipboard=True)
    yield drv
    bs.close_driver(drv)


def widget(driver):
    from selenium.webdriver.common.by import By

    return bs.wait(driver, lambda d: d.find_element(By.ID, "mz-assistant-widget")).shadow_root


def find(shadow, selector: str) -> list:
    return shadow.find_elements("css selector", selector)


def wait_for(driver, shadow, selector: str, count: int = 1, timeout: float = 10):
    return bs.wait(driver, lambda d: (found := find(shadow, selector)) and len(found) >= count and found, timeout)


def opened(driver, page_port: int, host: str = "127.0.0.1"):
    driver.get(f"http://{host}:{page_port}/index.html")
    shadow = widget(driver)
    find(shadow, ".fab")[0].click()
    return shadow


def ask(driver, shadow, question: str, answers_before: int) -> list:
    from selenium.webdriver.common.keys import Keys

    box = find(shadow, "textarea")[0]
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    return wait_for(driver, shadow, ".row.bot .answer", answers_before + 1)


def test_widget_asks_and_shows_answer_with_source(driver, page_port):
    driver.get(f"http://127.0.0.1:{page_port}/index.html")
    shadow = widget(driver)
    panel = find(shadow, ".panel")[0]
    assert not panel.is_displayed()
    find(shadow, ".fab")[0].click()
    assert panel.is_displayed()
    assert find(shadow, ".title")[0].text == "民政政策问答"

    answers = ask(driver, shadow, Q, 0)
    assert "200张" in answers[-1].text
    assert find(shadow, ".figure")[0].text == "200张"
    assert find(shadow, ".src .doc")[0].text == "《普陀区民政局2024年工作要点》"
    assert "二是推动" in find(shadow, ".src .sec")[0].text
    assert find(shadow, ".src mark")[0].text == "200张"
    assert "理解为：普陀区2024年新增养老床位" in find(shadow, ".understood")[0].text
    assert not find(shadow, ".error")
    assert find(shadow, "textarea")[0].get_attribute("value") == ""
    assert find(shadow, "textarea")[0].value_of_css_property("font-size") == "16px"  # no iOS zoom
    chips = wait_for(driver, shadow, ".suggestions .chip")
    assert "普陀区2024年改建多少认知障碍照护床位？" in [c.text for c in chips]
    bs.shot(driver, "widget-desktop")

    # a follow-up goes out with only the conversation id; the server supplies the history
    answers = ask(driver, shadow, "那宝山2022年呢？", 1)
    assert "200张" in answers[-1].text

    # the conversation survives a reload
    driver.refresh()
    shadow = widget(driver)
    assert len(wait_for(driver, shadow, ".row.bot .answer", 2)) == 2
    assert find(shadow, ".panel")[0].is_displayed()


def test_widget_streams_the_answer_and_can_stop(api, driver, page_port):
    engine = api[1]
    engine.gate.clear()
    shadow = opened(driver, page_port)
    box = find(shadow, "textarea")[0]
    box.send_keys("慢" + Q + "\n")
    partial = wait_for(driver, shadow, ".row.bot .partial")[0]
    bs.wait(driver, lambda d: partial.text == "根据《普陀区民政局2")  # the first piece, before the rest exists
    assert not find(shadow, ".row.bot .answer")
    engine.gate.set()
    answers = wait_for(driver, shadow, ".row.bot .answer")
    assert answers[-1].text == "根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张。"

    engine.gate.clear()
    box.send_keys("慢" + Q + "\n")
    wait_for(driver, shadow, ".row.bot .partial")
    send = find(shadow, ".send")[0]
    assert send.text == "停止"
    send.click()
    notice = wait_for(driver, shadow, ".notice")[-1]
    assert notice.text.startswith("已停止回答")
    engine.gate.set()
    assert find(shadow, ".send")[0].text == "发送"


def test_widget_copies_answer_and_sources_as_plain_text(driver, page_port):
    shadow = opened(driver, page_port)
    ask(driver, shadow, Q, 0)
    find(shadow, ".tool.copy")[0].click()
    wait_for(driver, shadow, ".tool-note")
    [text] = bs.wait(driver, lambda d: d.execute_script("return window.__copied"))
    assert text.startswith("理解为：普陀区2024年新增养老床位\n根据《普陀区民政局2024年工作要点》")
    assert "来源：\n[1]《普陀区民政局2024年工作要点》 二、建设高品质普惠养老格局" in text
    assert "改进建认知障碍照护床位140张" in text and "<" not in text


def test_widget_thumbs_share_the_feedback_store_one_record_per_answer(api, driver, page_port):
    settings = api[0]
    before = {f.answer_id for f in list_feedback(settings)}
    shadow = opened(driver, page_port)
    ask(driver, shadow, Q, 0)
    find(shadow, ".tool.up")[-1].click()
    bs.wait(driver, lambda d: find(shadow, ".tool.up")[-1].get_attribute("aria-pressed") == "true")
    find(shadow, ".tool.down")[-1].click()
    bs.wait(driver, lambda d: find(shadow, ".tool.down")[-1].get_attribute("aria-pressed") == "true")
    mine = [f for f in list_feedback(settings) if f.answer_id not in before]
    assert [(f.question, f.rating, f.channel) for f in mine] == [(Q, -1, "widget")]
    assert mine[0].citations[0].doc_title == "普陀区民政局2024年工作要点"
    find(shadow, ".tool.down")[-1].click()  # clicked again: taken back
    bs.wait(driver, lambda d: find(shadow, ".tool.down")[-1].get_attribute("aria-pressed") == "false")
    assert not [f for f in list_feedback(settings) if f.answer_id not in before]


def test_widget_full_screen_and_the_answer_start_in_view_on_a_phone(page_port):
    drv = bs.make_driver(bs.PHONE)
    try:
        shadow = opened(drv, page_port)
        panel = find(shadow, ".panel")[0]
        assert panel.size["width"] == 390  # on a phone the panel takes the screen
        for n, q in enumerate([Q, "那宝山2022年呢？", Q]):
            ask(drv, shadow, q, n)
        in_view = drv.execute_script(
            "const s = arguments[0], box = s.querySelector('.msgs'), users = s.querySelectorAll('.row.user');"
            "const q = users[users.length - 1].getBoundingClientRect(), b = box.getBoundingClientRect();"
            "return q.top >= b.top - 1 && q.bottom <= b.bottom;", shadow)
        assert in_view  # the long answer is read from its start: its question is still in view
        bs.shot(drv, "widget-phone")
    finally:
        bs.close_driver(drv)


def test_widget_full_screen_button(driver, page_port):
    shadow = opened(driver, page_port)
    panel = find(shadow, ".panel")[0]
    assert panel.size["width"] == 400
    find(shadow, ".btn.full")[0].click()
    assert panel.size["width"] == driver.execute_script("return window.innerWidth")
    assert find(shadow, ".btn.full")[0].text == "还原"
    find(shadow, ".btn.full")[0].click()
    assert panel.size["width"] == 400


def test_refused_answer_is_shown_without_sources(driver, page_port):
    shadow = opened(driver, page_port)
    answers = ask(driver, shadow, "今天天气怎么样？", 0)
    assert "没有找到" in answers[-1].text
    assert not find(shadow, ".src")
    assert find(shadow, ".row.bot.refused")


def test_page_on_another_host_shows_visitors_a_short_notice_and_the_console_the_setting(driver, page_port):
    """Page at localhost, API at 127.0.0.1: another host, refused; the setting's name only in the console."""
    shadow = opened(driver, page_port, host="localhost")
    notice = wait_for(driver, shadow, ".notice")[0]
    assert notice.text == "本页面暂未开通政策问答服务，请稍后再试或联系网站管理员。"
    assert "ASSISTANT_ALLOWED_ORIGINS" not in find(shadow, ".msgs")[0].text
    assert find(shadow, "textarea")[0].get_attribute("disabled")
    logs = " ".join(e["message"] for e in driver.get_log("browser"))
    assert "ASSISTANT_ALLOWED_ORIGINS" in logs and "localhost" in logs
    bs.shot(driver, "widget-refused-origin")


def test_an_answer_shows_its_notes(driver, page_port):
    shadow = opened(driver, page_port)
    ask(driver, shadow, "大模型：普陀2024年新增多少养老床位？", 0)
    notes = [n.text for n in find(shadow, ".row.bot .anote")]
    assert notes == ["大模型服务 http://llm.example/v1 在20秒内没有给出完整回答，已给出离线答案"]
