"""The HTTP edge every endpoint shares: one JSON error shape, Chinese messages, CORS for the widget."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.core.errors import (
    AssistantError,
    BackendUnavailable,
    BadQuestion,
    ConfigError,
    IndexMismatch,
    IndexNotBuilt,
)
from assistant.core.settings import Settings

log = logging.getLogger(__name__)

CORS_PATHS = ("/api/", "/v1/")
INTERNAL_ERROR = "服务器内部出错，已记录日志：请稍后重试或联系管理员。"

# error class -> (HTTP status, error type)
ERROR_STATUS: dict[type[AssistantError], tuple[int, str]] = {
    BadQuestion: (400, "bad_question"),
    IndexNotBuilt: (503, "index_not_built"),
    IndexMismatch: (503, "index_mismatch"),
    BackendUnavailable: (503, "backend_unavailable"),
    ConfigError: (500, "config_error"),
}


def error_body(kind: str, message: str) -> dict[str, Any]:
    """The one JSON shape of every error: {"error": {"type", "message"}}."""
    return {"error": {"type": kind, "message": message}}


def check_question(question: str, settings: Settings) -> str:
    """Reject a question that is empty or longer than the limit, with a message saying what to do."""
    if not question or not question.strip():
        raise BadQuestion("问题是空的：请输入一个问题，例如“普陀2024年新增多少养老床位？”")
    if len(question) > settings.max_question_chars:
        raise BadQuestion(
            f"问题太长（{len(question)}字）：请把问题缩短到{settings.max_question_chars}字以内，一次只问一件事。"
        )
    return question

def same_host(origin: str, host_header: str) -> bool:
    """True when the page's Origin names the host this server was reached at (any port)."""
    try:
        origin_host = urlsplit(origin).hostname
        server_host = urlsplit(f"//{host_header}").hostname
    except ValueError:
        return False
    return bool(origin_host) and origin_host == server_host


def origin_denied_message(origin: str) -> str:
    return (
        f"来自 {origin} 的网页无权调用本问答服务。如需在该网页嵌入问答窗口，请在服务器上设置环境变量 "
        f"ASSISTANT_ALLOWED_ORIGINS='[\"{origin}\"]'（多个地址用逗号分隔写在方括号内）后重启服务。"
    )


class OriginGuard:
    """CORS for /api and /v1: allowed origins from settings, else the same host only; preflight too."""

    def __init__(self, app, allowed_origins: list[str]):
        self.app = app
        self.allowed = {o.rstrip("/") for o in allowed_origins}

    def allows(self, origin: str, host: str) -> bool:
        return "*" in self.allowed or origin.rstrip("/") in self.allowed or same_host(origin, host)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(CORS_PATHS):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        cors = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if not self.allows(origin, headers.get("host", "")):
            body = json.dumps(error_body("origin_not_allowed", origin_denied_message(origin)),
                              ensure_ascii=False).encode()
            # The CORS header lets the widget read (and show) why it was refused.
            extra = [] if preflight else cors
            await send({"type": "http.response.start", "status": 403, "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()), *extra]})
            await send({"type": "http.response.body", "body": body})
            return
        if preflight:
            req_headers = headers.get("access-control-request-headers", "content-type, authorization")
            await send({"type": "http.response.start", "status": 204, "headers": [
                *cors,
                (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                (b"access-control-allow-headers", req_headers.encode("latin-1")),
                (b"access-control-max-age", b"600"),
            ]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


def validation_message(exc: RequestValidationError) -> str:
    """Pydantic errors as one Chinese line naming each field and what is wrong with it."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "请求体"
        if err.get("type") == "missing":
            parts.append(f"缺少字段 {loc}")
        elif err.get("type") == "json_invalid":
            parts.append("请求体不是合法的 JSON")
        else:
            parts.append(f"字段 {loc} 不对（{err.get('msg', '')}）")
    return "请求格式不对：" + "；".join(parts) + "。示例：{\"question\": \"普陀2024年新增多少养老床位？\"}"


def install_error_handlers(app: FastAPI) -> None:
    """Every error as `error_body` JSON with a Chinese message; unexpected ones logged, never shown."""
    @app.exception_handler(AssistantError)
    async def _domain_error(request: Request, exc: AssistantError):
        status, kind = next(((s, k) for cls, (s, k) in ERROR_STATUS.items() if isinstance(exc, cls)),
                            (400, "bad_request"))
        return JSONResponse(error_body(kind, str(exc)), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return JSONResponse(error_body("invalid_request", validation_message(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = "没有这个地址：请查看 /docs 里的接口列表。" if exc.status_code == 404 else str(exc.detail)
        return JSONResponse(error_body("http_error", message), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse(error_body("internal_error", INTERNAL_ERROR), status_code=500)
