"""Request bodies: no bigger than the limits (413); JSON bodies valid UTF-8 without lone surrogates (400)."""

from __future__ import annotations

import json
from typing import Any

from assistant.core.settings import Settings
from assistant.serve.http_edge import SAFE_METHODS, normal_path, send_json

UPLOAD_PATHS = ("/gradio_api/upload", "/admin/gradio_api/upload", "/api/documents")
FILES_PER_UPLOAD = 10  # one upload request may carry this many files of max_upload_bytes


def _surrogate_in(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_surrogate_in(k) or _surrogate_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_surrogate_in(v) for v in value)
    return False


class BodyGuard:
    """Bodies no bigger than the limits (413); JSON bodies valid UTF-8 without lone surrogates (400)."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    def limit(self, path: str) -> int:
        if path in UPLOAD_PATHS:
            return self.settings.max_upload_bytes * FILES_PER_UPLOAD + 1024 * 1024
        return self.settings.max_request_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"].encode() in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        path = normal_path(scope["path"])
        limit = self.limit(path)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        length = headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > limit):
            await self.too_big(send, limit)
            return
        if path in UPLOAD_PATHS:
            await self.counted(scope, receive, send, limit)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await self.too_big(send, limit)
                return
        problem = self.problem(body, headers.get("content-type", ""))
        if problem:
            await send_json(send, 400, "bad_text", problem)
            return
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def problem(self, body: bytes, content_type: str) -> str | None:
        """Why a JSON body cannot be read as text (bad UTF-8, a lone surrogate), or None."""
        if "json" not in content_type and not body.lstrip().startswith((b"{", b"[")):
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            return f"请求内容不是合法的 UTF-8 编码（第 {e.start} 个字节处）：请以 UTF-8 编码发送 JSON。"
        try:
            data = json.loads(text)
        except ValueError:
            return None  # the endpoint says what is wrong with it
        if _surrogate_in(data):
            return "请求里有无法识别的字符（单独的代理码元，例如 \\ud800）：请删除乱码字符后重试。"
        return None

    async def counted(self, scope, receive, send, limit: int) -> None:
        """Pass a streamed upload on, cut off with a 413 once it passes the limit."""
        seen, refused, started = 0, False, False

        async def counting_receive():
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit and not refused:
                refused = True
                if not started:
                    await self.too_big(send, limit)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return  # our 413 went out; whatever the app says after the cut is dropped
            started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def too_big(self, send, limit: int) -> None:
        mb = self.settings.max_upload_bytes / 1048576
        await send_json(send, 413, "too_large",
                        f"请求太大（上限 {limit / 1048576:.1f} MB）：每个上传文件不能超过 {mb:.0f} MB，"
                        "问题和对话历史请控制在规定字数内。")
