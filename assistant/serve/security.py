"""The security edge every request passes: hosts, roles, cross-site requests, rate, size, files, headers.

`install_security(app, settings)` wraps the FastAPI app (and the Gradio apps mounted on it) in
ASGI middleware, outermost first:
    ChineseErrors    every error a user can see in Chinese, the frameworks' own 400/404/413/422 included
    SecurityHeaders  nosniff, frame-ancestors / X-Frame-Options, referrer policy
    HostGuard        only the allowed Host names (DNS rebinding refused)
    OriginGuard      (http_edge) CORS for /api and /v1: exact origins only
    RequestGate      roles (auth), cross-site writes to the web app, per-client rate, served files
    BodyGuard        request size, UTF-8 and lone surrogates in JSON bodies
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import os
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.core.settings import Settings
from assistant.serve.auth import ADMIN, ANONYMOUS, API_PREFIXES, Authenticator, refusal, required_role
from assistant.serve.body_guard import UPLOAD_PATHS, BodyGuard
from assistant.serve.http_edge import (
    INTERNAL_ERROR,
    SAFE_METHODS,
    OriginGuard,
    normal_path,
    origin_of,
    same_origin,
    send_json,
)
from assistant.serve.ratelimit import RateLimiter

log = logging.getLogger(__name__)

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::", "")
ASK_PATHS = ("/api/ask", "/api/search", "/api/feedback", "/v1/")  # /api/ask/stream included
GRADIO_RUN = ("/gradio_api/queue/join", "/gradio_api/call/", "/gradio_api/run/")
FILE_ROUTE = "/gradio_api/file="
OURS = (b"x-error-language", b"zh")  # marks a refusal the edge wrote itself: ChineseErrors passes it on
REFUSED_ROUTES = ("/gradio_api/proxy=", "/gradio_api/mcp", "/gradio_api/vibe")


def _strip_admin(path: str) -> str:
    return path[len("/admin"):] if path.startswith("/admin/") else path


async def send_refusal(send, scope, status: int, kind: str, message: str,
                       headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """A refusal as a small Chinese page for a browser navigating there, as `send_json` for programs."""
    accept = next((v for k, v in scope.get("headers", ()) if k.lower() == b"accept"), b"")
    if b"text/html" not in accept:
        await send_json(send, status, kind, message, headers)
        return
    page = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{status}</title></head>'
            f'<body style="font-family:sans-serif;max-width:40em;margin:4em auto;line-height:1.7">'
            f'<h1 style="font-size:1.3em">民政政策问答助手</h1><p>{html.escape(message)}</p>'
            f'<p><a href="/">返回问答页面</a></p></body></html>').encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(page)).encode()), OURS,
        *headers]})
    await send({"type": "http.response.body", "body": page})


# ---------------------------------------------------------------- Chinese errors

def status_message(status: int, settings: Settings) -> str:
    """The Chinese line for an error status a framework produced on its own."""
    mb = settings.max_upload_bytes / 1048576
    return {
        400: "请求格式不对：请检查请求内容（应为 UTF-8 编码的合法 JSON 或表单）后重试。",
        401: "需要登录：请先登录或在请求头提供密钥。",
        403: "没有权限访问这个地址或文件。",
        404: "没有这个地址：请查看 /docs 里的接口列表。",
        405: "这个地址不支持这种请求方法：请查看 /docs 里的接口说明。",
        413: f"上传的内容太大：每个文件不能超过 {mb:.0f} MB，请拆分成较小的文件后再上传。",
        415: "请求内容的类型不对：接口只接受 JSON（上传接口接受表单文件）。",
        422: "请求内容不对：请检查各字段的名称和类型后重试，接口说明见 /docs。",
        429: "请求太频繁：请稍后再试。",
        500: INTERNAL_ERROR,
        503: "服务暂时不可用：请稍后重试或联系管理员。",
    }.get(status, f"请求没有成功（HTTP {status}）：请稍后重试或联系管理员。")


def _is_ours(body: bytes) -> bool:
    try:
        err = json.loads(body.decode("utf-8")).get("error")
    except (UnicodeDecodeError, ValueError, AttributeError):
        return False
    return isinstance(err, dict) and isinstance(err.get("message"), str)


class ChineseErrors:
    """Rewrites error responses that are not already our Chinese JSON (Gradio's, Starlette's), and turns
    an exception escaping a mounted app into one such response instead of a reset connection."""

    def __init__(self, app, settings: Settings):
        self.app, self.settings = app, settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}
        chunks: list[bytes] = []
        sent = False

        async def holding_send(message):
            nonlocal sent
            if message["type"] == "http.response.start" and message["status"] >= 400:
                held["start"] = message
            elif "start" in held and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            else:
                sent = True
                await send(message)

        try:
            await self.app(scope, receive, holding_send)
        except Exception as exc:
            if sent:
                log.exception("error after the response started on %s", scope.get("path"))
                return
            unknown_api = type(exc).__name__ == "FnIndexInferError"
            if not unknown_api:
                log.exception("unexpected error on %s", scope.get("path"))
            status = 404 if unknown_api else 500
            message = "没有这个接口：请查看页面底部或 /docs 的接口列表。" if unknown_api else INTERNAL_ERROR
            await send_json(send, status, "not_found" if unknown_api else "internal_error", message)
            return
        if "start" not in held:
            return
        start, body = held["start"], b"".join(chunks)
        names = {k.lower() for k, _ in start.get("headers", ())}
        if OURS in start.get("headers", ()) or (b"content-encoding" not in names and _is_ours(body)):
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        status = start["status"]
        keep = [(k, v) for k, v in start.get("headers", ())
                if k.lower() not in (b"content-type", b"content-length", b"content-encoding")]
        await send_json(send, status, "http_error", status_message(status, self.settings), keep)


# ---------------------------------------------------------------- headers and hosts

class SecurityHeaders:
    """nosniff everywhere; the app framed only by itself and the widget's pages; no referrer abroad."""

    def __init__(self, app, settings: Settings):
        self.app = app
        ancestors = " ".join(["'self'", *(o for o in settings.allowed_origins if origin_of(o))])
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"SAMEORIGIN"),
            (b"content-security-policy", f"frame-ancestors {ancestors}".encode()),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in self.headers if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """Host names requests may name; None for any ("*"). Default: the bind address and loopback names."""
    if "*" in settings.allowed_hosts:
        return None
    if settings.allowed_hosts:
        return frozenset(h.strip().lower().rstrip(".") for h in settings.allowed_hosts)
    names = {*LOOPBACK_NAMES, settings.host.strip("[]").lower()}
    if settings.host in WILDCARD_BINDS:
        names.add(socket.gethostname().lower())
    return frozenset(names - {""})


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class HostGuard:
    """Refuses a Host header naming anything else than this server (a DNS-rebinding page's name)."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.hosts = allowed_hosts(settings)
        # Bound to every interface, the server may be reached at any of its addresses: an address
        # cannot be rebound, only a name can.
        self.any_ip = settings.host in WILDCARD_BINDS and not settings.allowed_hosts

    def allows(self, host_header: str) -> bool:
        if self.hosts is None:
            return True
        parsed = origin_of(f"http://{host_header}")
        if parsed is None:
            return False
        host = parsed[1]
        return host in self.hosts or (self.any_ip and _is_ip(host))

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == b"host"), "")
        if self.allows(host):
            await self.app(scope, receive, send)
            return
        log.warning("refused Host %r from %s", host, (scope.get("client") or ("?",))[0])
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send_json(send, 400, "host_not_allowed",
                        f"本服务不接受发往“{host[:100]}”的请求：请用服务器的地址访问。管理员如需用这个名字访问，"
                        f"请设置 ASSISTANT_ALLOWED_HOSTS='[\"{host.split(':')[0][:100]}\"]' 后重启服务。")


# ---------------------------------------------------------------- roles, cross-site writes, rate, files

def upload_folder() -> Path:
    """Gradio's upload folder: the only folder whose files the web app serves."""
    from gradio.utils import get_upload_folder

    return Path(os.path.realpath(get_upload_folder()))


class RequestGate:
    """Role per path, no cross-site writes to the web app, a per-client rate, files from uploads only."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings
        self.auth = Authenticator(settings)
        self.limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope["path"]
        path = normal_path(raw)
        who = self.auth.identify(scope)
        needed = required_role(path, self.settings, scope["method"])
        if not who.at_least(needed):
            status, kind, message, challenge = refusal(path, needed, who, self.settings)
            if needed == ADMIN:
                log.warning("refused %s %s for %s from %s", scope["method"], raw, who.name, who.client)
            await send_refusal(send, scope, status, kind, message,
                               [(b"www-authenticate", challenge)] if challenge else [])
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        origin = headers.get("origin")
        method = scope["method"].encode()
        if (origin is not None and method not in SAFE_METHODS and not path.startswith(API_PREFIXES)
                and not same_origin(origin, self.auth.scheme(scope), headers.get("host", ""))):
            await send_json(send, 403, "cross_site", "不接受来自其他网站的操作请求：请直接在本服务的页面上操作。")
            return
        inner = _strip_admin(path)
        if inner.startswith(REFUSED_ROUTES):
            await send_json(send, 403, "forbidden", status_message(403, self.settings))
            return
        if inner.startswith(FILE_ROUTE) and not self.serves(inner[len(FILE_ROUTE):]):
            log.warning("refused file %r for %s", inner[len(FILE_ROUTE):][:200], who.client)
            await send_json(send, 403, "file_not_allowed", "这个文件不能下载：只能下载本页面生成或上传的文件。")
            return
        # Anonymous uploads (Gradio's file inputs on the public page) count as asks: no one fills the
        # upload folder faster than the rate allows.
        counted = (path.startswith(ASK_PATHS) or inner.startswith(GRADIO_RUN)
                   or (path in UPLOAD_PATHS and who.role == ANONYMOUS))
        if method == b"POST" and counted:
            wait = self.limiter.take(who.client)
            if wait:
                per = self.settings.rate_limit_per_minute
                await send_json(send, 429, "rate_limited",
                                f"请求太频繁：每个用户每分钟最多提问、检索或上传 {per} 次，请 {wait} 秒后再试。",
                                [(b"retry-after", str(wait).encode())])
                return
        scope.setdefault("state", {})["identity"] = who
        await self.app(scope, receive, send)

    def serves(self, requested: str) -> bool:
        """True only for a file inside Gradio's upload folder (uploads and what the app itself produced)."""
        if not requested or "\x00" in requested:
            return False
        target = Path(os.path.realpath(requested))
        root = upload_folder()
        return target != root and target.is_relative_to(root)


def install_security(app, settings: Settings) -> None:
    """Wrap `app` in the security middleware; added innermost first, so ChineseErrors ends outermost."""
    app.add_middleware(BodyGuard, settings=settings)
    app.add_middleware(RequestGate, settings=settings)
    app.add_middleware(OriginGuard, allowed_origins=list(settings.allowed_origins))
    app.add_middleware(HostGuard, settings=settings)
    app.add_middleware(SecurityHeaders, settings=settings)
    app.add_middleware(ChineseErrors, settings=settings)
