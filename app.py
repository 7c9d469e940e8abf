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
from assistant.serve.engine import build_engine

WARM_UP_QUESTION = "普陀2024年新增多少养老床位？"


def build_app(settings, engine):
    """The FastAPI app from `create_api` with the Gradio UI mounted at `/`."""
    # Gradio takes seconds to import: the API-only tests and `assistant` commands never pay for it.
    import gradio as gr

    from assistant.serve.ui import build_ui, launch_kwargs

    app = create_api(settings, engine)
    return gr.mount_gradio_app(app, build_ui(settings, engine), path="/", footer_links=[],
                               max_file_size=settings.max_upload_bytes, **launch_kwargs(settings))


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

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    print(f"启动用时 {time.perf_counter() - t0:.1f} 秒。请在浏览器打开 http://{host}:{settings.port}/"
          f"  （API 文档：http://{host}:{settings.port}/docs）", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
