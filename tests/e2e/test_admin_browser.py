"""The two web apps in headless Chromium, through the whole security edge: readers chat without a login
and see where administration lives; the admin app asks for a login and then works.

Skips, saying what is missing, without chromium, chromedriver or selenium.
"""

from __future__ import annotations

import base64

import pytest

from tests import browser_support as bs
from tests.e2e.running import ADMIN_KEY, ADMIN_PASSWORD, Q, make_settings, serve

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def chrome():
    if reason := bs.missing():
        pytest.skip(reason)
    drv = bs.make_driver()
    yield drv
    bs.close_driver(drv)


def text(driver) -> str:
    return driver.execute_script("return document.body.innerText")


def test_readers_chat_and_the_admin_logs_in(chrome, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    settings = make_settings(tmp_path, admin_key=ADMIN_KEY, admin_password=ADMIN_PASSWORD)
    wait = WebDriverWait(chrome, 90)  # a ceiling, not a timing: the machine may be busy
    with serve(settings) as url:
        chrome.get(url + "/")
        box = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "textarea"))[0]
        box.send_keys(Q)
        box.send_keys(Keys.ENTER)
        wait.until(lambda d: "200张" in text(d))  # the page's own requests pass the cross-site check
        chrome.find_element(By.XPATH, "//button[@role='tab' and contains(., '知识库')]").click()
        wait.until(lambda d: "管理页面" in text(d) and "需要管理员登录" in text(d))

        chrome.get(url + "/admin/")  # no login: the browser is asked for one (headless: declined at once)
        assert "知识库管理" not in text(chrome)

        login = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
        chrome.execute_cdp_cmd("Network.enable", {})  # what the browser sends once the login is typed in
        chrome.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {login}"}})
        chrome.get(url + "/admin/")
        wait.until(lambda d: "知识库管理" in text(d) and "2024-putuo-work-plan.txt" in text(d))
        chrome.find_element(By.XPATH, "//button[normalize-space()='重建索引']").click()
        wait.until(lambda d: "索引已更新" in text(d))
        severe = [e["message"] for e in chrome.get_log("browser")
                  if e["level"] == "SEVERE" and "manifest.json" not in e["message"] and "favicon" not in e["message"]
                  and "401" not in e["message"]]
        assert not severe, severe
