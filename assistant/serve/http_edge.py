"""The HTTP edge every endpoint shares: one JSON error shape, Chinese messages, CORS for the widget."""

from __future__ import annotations

import json
import logging
import posixpath
from collections.abc import Iterable
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
    TooBusy,
)
from assistant.core.settings import Settings
from assistant.serve import guard

log = logging.getLogger(__name__)

CORS_PATHS = ("/api/", "/v1/")
SAFE_METHODS = (b"GET", b"HEAD", b"OPTIONS")
INTERNAL_ERROR = "服务器内部出错，已记录日志：请稍后重试或联系管理员。"

# error class -> (HTTP status, error type)
ERROR_STATUS: dict[type[AssistantError], tuple[int, str]] = {
    BadQuestion: (400, "bad_question"),
    IndexNotBuilt: (503, "index_not_built"),
    IndexMismatch: (503, "index_mismatch"),
    BackendUnavailable: (503, "backend_unavailable"),
    TooBusy: (503, "too_busy"),
    ConfigError: (500, "config_error"),
}


def error_body(kind: str, message: str) -> dict[str, Any]:
    """The one JSON shape of every error: {"error": {"type", "message"}}."""
    return {"error": {"type": kind, "message": message}}


def normal_path(path: str) -> str:
    """The path as routing could resolve it: repeated slashes and dot segments folded."""
    folded = posixpath.normpath("/" + path.lstrip("/"))
    return folded + "/" if path.endswith("/") and folded != "/" else folded


async def send_json(send, status: int, kind: str, message: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """One Chinese JSON error (`error_body`, plus Gradio's `detail`), sent straight from a middleware."""
    body = json.dumps({**error_body(kind, message), "detail": message}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        *headers]})
    await send({"type": "http.response.body", "body": body})


def check_question(question: str, settings: Settings) -> str:
    """The cleaned question, or BadQuestion when it is empty or too long (the rules live in serve/guard)."""
    return guard.check_question(question, settings)


DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin such as "http://host:8080", the default port filled in; else None."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if "://" not in url or not host or parts.scheme not in DEFAULT_PORTS or parts.path not in ("", "/") \
            or parts.query or parts.username or parts.password:
        return None
    return parts.scheme, host.rstrip("."), port or DEFAULT_PORTS[parts.scheme]


def same_origin(origin: str, scheme: str, host_header: str) -> bool:
    """True when the page's Origin is exactly this server as reached: same scheme, host and port."""
    page = origin_of(origin)
    return page is not None and page == origin_of(f"{scheme}://{host_header}")


def origin_denied_message(origin: str) -> str:
    return (
        f"来自 {origin} 的网页无权调用本问答服务。如需在该网页嵌入问答窗口，请在服务器上设置环境变量 "
        f"ASSISTANT_ALLOWED_ORIGINS='[\"{origin}\"]'（多个地址用逗号分隔写在方括号内）后重启服务。"
    )


class OriginGuard:
    """CORS for /api and /v1: allowed origins from settings, else the same origin only; preflight too."""

    def __init__(self, app, allowed_origins: list[str]):
        self.app = app
        self.any = "*" in allowed_origins
        self.allowed = {o for o in (origin_of(a) for a in allowed_origins if a != "*") if o}

    def allows(self, origin: str, scheme: str, host: str) -> bool:
        return self.any or origin_of(origin) in self.allowed or same_origin(origin, scheme, host)

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
        if not self.allows(origin, scope.get("scheme", "http"), headers.get("host", "")):
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
