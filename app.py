"""Start the assistant: one server with the web app at / and the REST/OpenAI API under /api and /v1.

    python app.py [--host 127.0.0.1] [--port 7860]

Settings come from the environment (ASSISTANT_*) and .env; the flags go on top.

Start-up, each phase printed with its seconds: the engine (index, then the embedder and one warm-up
question: what the first answer needs), the web framework's import, the web app; then it serves.
Each thing is loaded once. (Loading the engine in a thread beside the web framework's import was
tried: on 2 busy cores it was not faster, both being mostly Python under one GIL.)
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # before the imports below: they are the first phase of a start

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import uvicorn  # noqa: E402

from assistant.core.errors import AssistantError  # noqa: E402
from assistant.core.settings import get_settings  # noqa: E402
from assistant.serve.api import create_api  # noqa: E402
from assistant.serve.auth import admin_configured, secret  # noqa: E402
from assistant.serve.engine import build_engine  # noqa: E402

WARM_UP_QUESTION = "普陀2024年新增多少养老床位？"


def build_app(settings, engine):
    """The FastAPI app from `create_api` with the web apps mounted: readers' at `/`, admin at `/admin/`."""
    # Gradio takes seconds to import: the API-only tests and `assistant` commands never pay for it.
    from assistant.serve.guard import guarded
    from assistant.serve.ui import mount_ui

    engine = guarded(engine, settings)  # one request guard (and one answer pool) for every front end
    return mount_ui(create_api(settings, engine), settings, engine)


def exposure_warnings(settings) -> list[str]:
    """What to tell the operator at start: bound beyond loopback without an admin login, weak keys."""
    out = []
    loopback = settings.host in ("127.0.0.1", "localhost", "::1") or settings.host.startswith("127.")
    if not loopback and not admin_configured(settings):
        out.append(f"警告：服务监听在 {settings.host}，网络上的其他电脑可以访问，但没有设置管理员凭据，"
                   "服务将以只读模式运行（不能上传、删除、重建索引或查看反馈）。如需管理，请设置 ASSISTANT_ADMIN_KEY。")
    if not loopback and not secret(settings.read_key):
        out.append("提示：没有设置访问密钥（ASSISTANT_READ_KEY），网络上的任何人都可以提问和检索。")
    for name in ("admin_key", "admin_password", "read_key"):
        value = secret(getattr(settings, name))
        if value is not None and len(value) < 12:
            out.append(f"警告：ASSISTANT_{name.upper()} 太短（{len(value)} 个字符）：请使用至少 12 个字符的随机字符串。")
    if settings.proxy_user_header and not settings.trusted_proxies:
        out.append("警告：设置了 ASSISTANT_PROXY_USER_HEADER 但没有设置 ASSISTANT_TRUSTED_PROXIES，"
                   "代理传来的用户名不会被采用。")
    return out


class Phases:
    """Prints each start-up phase as it ends, with its own seconds and the time since start."""

    def __init__(self, t0: float):
        self.t0 = t0

    def done(self, name: str, since: float) -> float:
        now = time.perf_counter()
        print(f"  {name}：{now - since:.1f} 秒（启动后 {now - self.t0:.1f} 秒）", flush=True)
        return now


def load_engine(settings, phases: Phases):
    """The engine with its index loaded and the first answer's costs paid (embedder, dictionaries)."""
    t = time.perf_counter()
    engine = build_engine(settings, progress=lambda frac, msg: print(f"  [{frac:4.0%}] {msg}", flush=True))
    docs = engine.documents()
    t = phases.done(f"载入索引（{len(docs)} 份文档，{sum(d.chunks for d in docs)} 个分块）", t)
    engine.embedder.load()
    t = phases.done(f"载入向量模型（{settings.embedder}，{settings.embed_runtime}）", t)
    engine.ask(WARM_UP_QUESTION)  # tokenizer, jieba dictionary, vocabularies: paid here, not by a user
    engine.ask("那2022年呢？", [WARM_UP_QUESTION])  # a follow-up: jieba's part-of-speech tagger too
    phases.done("预热（回答一个问题）", t)
    return engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="民政政策问答助手：网页界面 + API")
    parser.add_argument("--host", help="address to listen on (default from settings: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default from settings: 7860)")
    args = parser.parse_args(argv)

    phases = Phases(_STARTED)
    phases.done("导入程序", _STARTED)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no phoning home
    # Our own messages at INFO; libraries only warn (llama-index logs its loads on the root logger).
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("assistant").setLevel(logging.INFO)
    logging.getLogger("jieba").setLevel(logging.WARNING)  # it has a handler of its own

    overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    settings = get_settings(**overrides)
    print(f"正在启动（索引 {settings.index_dir}；没有索引时会先建立索引，首次约需一两分钟）……", flush=True)
    try:
        engine = load_engine(settings, phases)
        t = time.perf_counter()
        import gradio  # noqa: F401

        import assistant.serve.ui  # noqa: F401

        phases.done("导入网页框架", t)
        t = time.perf_counter()
        app = build_app(settings, engine)
        phases.done("建立网页界面与 API", t)
    except AssistantError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2

    for line in exposure_warnings(settings):
        print(line, file=sys.stderr, flush=True)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    print(f"启动用时 {time.perf_counter() - phases.t0:.1f} 秒。请在浏览器打开 http://{host}:{settings.port}/"
          f"  （API 文档：http://{host}:{settings.port}/docs）", flush=True)
    print(f"管理页面：http://{host}:{settings.port}/admin/（需要管理员登录）" if admin_configured(settings)
          else "未设置管理员凭据：只读模式（见 README“Security / 安全”）。", flush=True)
    # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from any local process as the
    # client's address; the security edge reads it only from ASSISTANT_TRUSTED_PROXIES.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
