"""A running app for attacks from outside: `app.build_app` served by uvicorn on a free port, real HTTP.

`serve(settings, engine)` starts the whole server (REST, /v1, the readers' web app at /, the admin
app at /admin/) exactly as `python app.py` assembles it; tests talk to it with httpx and
gradio_client, anonymously unless they say otherwise.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from assistant.core.settings import Settings, get_settings
from tests.fake_engine import PUTUO_TEXT, FakeEngine

ADMIN_KEY = "admin-key-for-tests-0123456789"
ADMIN_PASSWORD = "admin-password-for-tests-42"
READ_KEY = "read-key-for-tests-abcdefgh"
SECRET_TEXT = "机密：这是服务器上的一份内部文件，不应被任何人检索到。"
Q = "普陀2024年新增多少养老床位？"


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_settings(root: Path, **overrides) -> Settings:
    """Settings over a tiny corpus in `root`, every folder inside it; the port chosen free."""
    corpus = root / "corpus"
    if not corpus.is_dir():
        corpus.mkdir(parents=True)
        (corpus / "2024-putuo-work-plan.txt").write_text(PUTUO_TEXT, encoding="utf-8")
    (root / "server-secret.txt").write_text(SECRET_TEXT, encoding="utf-8")
    kw = {"corpus_dir": corpus, "data_dir": root / "data", "eval_dir": root / "eval", "index_dir": root / "index",
          "port": unused_port(), **overrides}
    return get_settings(**kw)


@contextlib.contextmanager
def serve(settings: Settings, engine=None) -> Iterator[str]:
    """The whole app on 127.0.0.1:settings.port in a thread; yields its base URL."""
    import app as entry

    engine = engine if engine is not None else FakeEngine(settings)
    server = uvicorn.Server(uvicorn.Config(entry.build_app(settings, engine), host="127.0.0.1",
                                           port=settings.port, log_level="warning", proxy_headers=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def chinese(response: httpx.Response) -> str:
    """The error message of a response, asserted to be our JSON shape and Chinese."""
    body = response.json()
    message = body["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    return message
