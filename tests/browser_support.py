"""What the browser tests share: finding Chromium, a headless driver, a screenshot when asked.

Set MZ_SHOTS=folder to keep screenshots of what the tests see (desktop 1280 and phone 390 wide).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP, PHONE = (1280, 860), (390, 844)
# A clipboard that records what the page writes, installed before any page script runs.
FAKE_CLIPBOARD = ("window.__copied = []; Object.defineProperty(navigator, 'clipboard', {value: {writeText:"
                  " function (t) { window.__copied.push(t); return Promise.resolve(); }}});")


def chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    if not chromium():
        return "chromium is not installed (apt-get install chromium)"
    if not shutil.which("chromedriver"):
        return "chromedriver is not installed (apt-get install chromium-driver)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_driver(size: tuple[int, int] = DESKTOP, lang: str = "zh-CN", clipboard: bool = False):
    """A headless Chromium with its own profile; `clipboard` records copies in window.__copied."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium()
    profile = tempfile.mkdtemp(prefix="mz-chromium-")
    for flag in [*CHROME_FLAGS, f"--window-size={size[0]},{size[1]}", f"--lang={lang}", f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    drv.profile_dir = profile
    if size[0] < 500:  # a desktop window cannot be this narrow: emulate the phone's screen instead
        drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": size[0], "height": size[1],
                                                                    "deviceScaleFactor": 1, "mobile": True})
    if clipboard:
        drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FAKE_CLIPBOARD})
    return drv


def close_driver(drv) -> None:
    drv.quit()
    shutil.rmtree(drv.profile_dir, ignore_errors=True)


def shot(drv, name: str) -> None:
    """Save a screenshot as MZ_SHOTS/name.png when MZ_SHOTS is set."""
    folder = os.environ.get("MZ_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        drv.save_screenshot(str(Path(folder) / f"{name}.png"))


def wait(drv, condition, timeout: float = 15):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, timeout).until(condition)
