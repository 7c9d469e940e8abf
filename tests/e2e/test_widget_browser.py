"""The widget end to end in headless Chromium: a mock intranet page on one port, the API on another.

Skips, saying what is missing, without chromium, chromedriver or selenium. Set WIDGET_SCREENSHOT=path
to keep a screenshot of the open widget.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from assistant.core.settings import Settings
from assistant.serve.api import create_api
from tests.fake_engine import FakeEngine

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
Q = "普陀2024年新增多少养老床位？"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,860", "--lang=zh-CN"]


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    if not _chromium():
        return "chromium is not installed (apt-get install chromium)"
    if not shutil.which("chromedriver"):
        return "chromedriver is not installed (apt-get install chromium-driver)"
    return None


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


@pytest.fixture(scope="module")
def api_base(free_port) -> Iterator[str]:
    """The real API over the fake engine, served by uvicorn in a thread."""
    if reason := _missing():
        pytest.skip(reason)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_api(Settings(), FakeEngine()), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start within 15 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page_port(api_base) -> Iterator[int]:
    """examples/intranet.html, its script tag pointed at the live API, served on another port."""
    html = (ROOT / "examples" / "intranet.html").read_text(encoding="utf-8")
    assert 'src="http://127.0.0.1:7860/widget.js"' in html
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "index.html").write_text(html.replace("http://127.0.0.1:7860", api_base), encoding="utf-8")
        handler = functools.partial(QuietHandler, directory=tmp)
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield httpd.server_address[1]
        httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _chromium()
    profile = tempfile.mkdtemp(prefix="widget-chromium-")
    for flag in [*CHROME_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    drv = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


def widget(driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    host = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "mz-assistant-widget"))
    return host.shadow_root


def wait_for(driver, shadow, selector: str, count: int = 1, timeout: float = 10):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        lambda d: (found := shadow.find_elements(By.CSS_SELECTOR, selector)) and len(found) >= count and found
    )


def ask(driver, shadow, question: str, answers_before: int) -> list:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = shadow.find_element(By.CSS_SELECTOR, "textarea")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    return wait_for(driver, shadow, ".row.bot .answer", answers_before + 1)


def test_widget_asks_and_shows_answer_with_source(driver, page_port, tmp_path):
    from selenium.webdriver.common.by import By

    driver.get(f"http://127.0.0.1:{page_port}/index.html")
    shadow = widget(driver)
    panel = shadow.find_element(By.CSS_SELECTOR, ".panel")
    assert not panel.is_displayed()
    shadow.find_element(By.CSS_SELECTOR, ".fab").click()
    assert panel.is_displayed()
    assert shadow.find_element(By.CSS_SELECTOR, ".title").text == "民政政策问答"

    answers = ask(driver, shadow, Q, 0)
    assert "200张" in answers[-1].text
    assert shadow.find_element(By.CSS_SELECTOR, ".figure").text == "200张"
    assert shadow.find_element(By.CSS_SELECTOR, ".src .doc").text == "《普陀区民政局2024年工作要点》"
    assert "二是推动" in shadow.find_element(By.CSS_SELECTOR, ".src .sec").text
    assert shadow.find_element(By.CSS_SELECTOR, ".src mark").text == "200张"
    assert "理解为：普陀区2024年新增养老床位" in shadow.find_element(By.CSS_SELECTOR, ".understood").text
    assert not shadow.find_elements(By.CSS_SELECTOR, ".error")
    assert shadow.find_element(By.CSS_SELECTOR, "textarea").get_attribute("value") == ""

    shot = Path(os.environ.get("WIDGET_SCREENSHOT") or tmp_path / "widget.png")
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

    # a follow-up goes out with only the conversation id; the server supplies the history
    answers = ask(driver, shadow, "那宝山2022年呢？", 1)
    assert "200张" in answers[-1].text

    # the conversation survives a reload within the page's session
    driver.refresh()
    shadow = widget(driver)
    assert len(wait_for(driver, shadow, ".row.bot .answer", 2)) == 2
    assert shadow.find_element(By.CSS_SELECTOR, ".panel").is_displayed()


def test_refused_answer_is_shown_without_sources(driver, page_port):
    from selenium.webdriver.common.by import By

    driver.get(f"http://127.0.0.1:{page_port}/index.html")
    shadow = widget(driver)
    shadow.find_element(By.CSS_SELECTOR, ".fab").click()
    answers = ask(driver, shadow, "今天天气怎么样？", 0)
    assert "没有找到" in answers[-1].text
    assert not shadow.find_elements(By.CSS_SELECTOR, ".src")
    assert shadow.find_elements(By.CSS_SELECTOR, ".row.bot.refused")


def test_an_answer_shows_its_notes(driver, page_port):
    from selenium.webdriver.common.by import By

    driver.get(f"http://127.0.0.1:{page_port}/index.html")
    shadow = widget(driver)
    shadow.find_element(By.CSS_SELECTOR, ".fab").click()
    ask(driver, shadow, "大模型：普陀2024年新增多少养老床位？", 0)
    notes = [n.text for n in shadow.find_elements(By.CSS_SELECTOR, ".row.bot .anote")]
    assert notes == ["大模型服务 http://llm.example/v1 在20秒内没有给出完整回答，已给出离线答案"]


def test_page_on_another_host_sees_how_to_allow_it(driver, page_port):
    """Page at localhost, API at 127.0.0.1: another host, refused with the setting to change."""
    from selenium.webdriver.common.by import By

    driver.get(f"http://localhost:{page_port}/index.html")
    shadow = widget(driver)
    shadow.find_element(By.CSS_SELECTOR, ".fab").click()
    error = wait_for(driver, shadow, ".error")[0]
    assert "ASSISTANT_ALLOWED_ORIGINS" in error.text and "localhost" in error.text
