"""REST administration: add and delete documents, rebuild the index, review and export feedback.

Every route here needs the admin role (serve/auth decides, serve/security refuses before the route
runs) and every call is written to the audit log: who, from where, what, when, whether it worked.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from assistant.core.errors import AssistantError, CorpusError
from assistant.core.settings import Settings
from assistant.core.types import BuildReport
from assistant.ingest.corpus import delete_document, save_upload
from assistant.serve.auth import Identity, audit
from assistant.serve.feedback import EXPORT_FORMATS, count_feedback, export_feedback, list_feedback
from assistant.serve.http_edge import error_body


def _who(request: Request) -> Identity:
    who = getattr(request.state, "identity", None)
    client = request.client.host if request.client else ""
    return who if isinstance(who, Identity) else Identity("admin", "unknown", client)


def report_dict(report: BuildReport) -> dict[str, Any]:
    return {"documents": report.documents, "chunks": report.chunks, "facts": report.facts,
            "embedded": report.embedded, "seconds": round(report.seconds, 2), "skipped": list(report.skipped),
            "rebuilt": report.rebuilt}


def add_admin_routes(app: FastAPI, settings: Settings, engine) -> None:
    """Mount POST/DELETE /api/documents, POST /api/index/rebuild and GET /api/feedback on `app`."""

    def logged(request: Request, action: str, detail: str, fn):
        who = _who(request)
        try:
            result = fn()
        except AssistantError as e:
            audit(settings, who.name, who.client, action, f"{detail}: {e}", ok=False)
            raise
        audit(settings, who.name, who.client, action, detail)
        return result

    @app.post("/api/documents", tags=["管理"])
    async def add_documents(request: Request, files: list[UploadFile] = File(...)):  # noqa: B008
        """Upload documents (multipart, field `files`); the index is rebuilt once for all of them."""
        saved, errors = [], []
        limit = settings.max_upload_bytes
        for f in files:
            data = await f.read(limit + 1)
            try:
                saved.append(save_upload(settings, f.filename or "", data).name)
            except CorpusError as e:
                errors.append(str(e))
        who = _who(request)
        for e in errors:
            audit(settings, who.name, who.client, "upload", e, ok=False)
        if not saved:
            message = "；".join(errors) or "没有收到文件：请用表单字段 files 上传文档。"
            return JSONResponse(error_body("upload_failed", message), status_code=400)
        from starlette.concurrency import run_in_threadpool

        report = await run_in_threadpool(logged, request, "upload", "、".join(saved), engine.rebuild)
        return {"saved": saved, "errors": errors, "index": report_dict(report)}

    @app.delete("/api/documents/{document}", tags=["管理"])
    def remove_document(document: str, request: Request) -> dict[str, Any]:
        """Delete one document, named by its doc_id or its file name, and rebuild the index."""
        source = next((d.source for d in engine.documents() if document in (d.doc_id, d.source)), document)

        def run() -> BuildReport:
            delete_document(settings, source)
            return engine.rebuild()

        return {"deleted": source, "index": report_dict(logged(request, "delete", source, run))}

    @app.post("/api/index/rebuild", tags=["管理"])
    def rebuild(request: Request) -> dict[str, Any]:
        """Re-index the corpus folder (unchanged documents keep their vectors)."""
        return {"index": report_dict(logged(request, "rebuild", "", engine.rebuild))}

    @app.get("/api/feedback", tags=["管理"])
    def feedback(request: Request, rating: int | None = Query(None, description="1 (👍) or -1 (👎)"),  # noqa: B008
                 limit: int = Query(100, ge=1, le=10_000), offset: int = Query(0, ge=0),  # noqa: B008
                 format: Literal["json", "csv", "jsonl"] = "json"):  # noqa: A002
        """Users' ratings, last changed first, as JSON (a page of them) or every one as a CSV/JSONL download."""
        if rating not in (None, 1, -1):
            return JSONResponse(error_body("invalid_request", "rating 只能是 1（👍）或 -1（👎），不填则为全部。"),
                                status_code=422)
        detail = f"rating={rating} limit={limit} offset={offset} format={format}"
        if format in EXPORT_FORMATS:
            body = logged(request, "feedback", detail, lambda: export_feedback(settings, format, rating))
            media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson; charset=utf-8"
            return Response(body, media_type=media,
                            headers={"Content-Disposition": f'attachment; filename="feedback.{format}"'})
        items = logged(request, "feedback", detail, lambda: list_feedback(settings, limit, offset, rating))
        counts = count_feedback(settings)
        return {"total": counts[rating] if rating else sum(counts.values()),
                "counts": {"up": counts[1], "down": counts[-1]}, "items": [asdict(fb) for fb in items]}
