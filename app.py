"""Start the assistant: one server with the web app at / and the REST/OpenAI API under /api and /v1.

    python app.py [--host 127.0.0.1] [--port 7860]

Settings come from the environment (ASSISTANT_*) and .env; the flags go on top.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

import uvicorn

from assistant.core.errors import AssistantError
from assistant.core.settings import get_settings
from assistant.serve.api import create_api
from assistant.serve.auth import admin_configured, secret
from assistant.serve.engine import build_engine

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




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="民政政策问答助手：网页界面 + API")
    parser.add_argument("--host", help="address to listen on (default from settings: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default from settings: 7860)")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no phoning home
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    noisy_loggers = ("httpx", "urllib3", "jieba", "sentence_transformers", "transformers", "faiss", "llama_index",
                     "bm25s")
    for noisy in noisy_loggers:
        logging.getLogger(noisy).setLevel(logging.WARNING)

    overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    settings = get_settings(**overrides)
    print(f"正在加载模型和索引（{settings.index_dir}）；没有索引时会先建立索引，"
          "首次约需一两分钟……", flush=True)
    try:
        engine = build_engine(settings, progress=lambda frac, msg: print(f"  [{frac:4.0%}] {msg}", flush=True))
        app = build_app(settings, engine)
    except AssistantError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    docs = engine.documents()
    print(f"已载入 {len(docs)} 份文档，{sum(d.chunks for d in docs)} 个分块。", flush=True)
    t1 = time.perf_counter()
    engine.ask(WARM_UP_QUESTION)  # first-call costs (tokenizer, dictionaries) paid here, not by a user
    print(f"预热完成（{time.perf_counter() - t1:.1f} 秒）。", flush=True)

    for line in exposure_warnings(settings):
        print(line, file=sys.stderr, flush=True)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    print(f"启动用时 {time.perf_counter() - t0:.1f} 秒。请在浏览器打开 http://{host}:{settings.port}/"
          f"  （API 文档：http://{host}:{settings.port}/docs）", flush=True)
    print(f"管理页面：http://{host}:{settings.port}/admin/（需要管理员登录）" if admin_configured(settings)
          else "未设置管理员凭据：只读模式（见 README“Security / 安全”）。", flush=True)
    # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from any local process as the
    # client's address; the security edge reads it only from ASSISTANT_TRUSTED_PROXIES.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
