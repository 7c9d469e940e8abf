"""Attacks on files: a server path sent as an upload, the data folder downloaded, uploads left behind.

Holes 1, 3 and the temp-folder part of 8 of issue 9, each as HTTP requests against the running app.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from assistant.serve.feedback import db_path, record_feedback
from assistant.serve.security import upload_folder
from tests.e2e.running import ADMIN_PASSWORD, SECRET_TEXT, basic, chinese

pytestmark = pytest.mark.e2e


def file_data(path: Path | str) -> dict:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


def call(c: httpx.Client, prefix: str, api: str, data: list, headers: dict | None = None) -> tuple[int, str]:
    """A Gradio event by its REST route: (status of the call, the event stream it produced or the error)."""
    r = c.post(f"{prefix}/gradio_api/call/{api}", json={"data": data}, headers=headers or {})
    if r.status_code != 200:
        return r.status_code, r.text
    stream = c.get(f"{prefix}/gradio_api/call/{api}/{r.json()['event_id']}", headers=headers or {})
    return stream.status_code, stream.text


def corpus_snapshot(settings) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(settings.corpus_dir).iterdir()}


# ---------------------------------------------------------------- hole 1: a server file as an upload


def test_readers_app_has_no_upload_endpoint(readonly):
    settings, _, url = readonly
    before = corpus_snapshot(settings)
    with httpx.Client(base_url=url) as c:
        status, body = call(c, "", "upload_documents", [[file_data(Path(settings.corpus_dir).parent / "server-secret.txt")]])
    assert status == 404 and "没有这个接口" in body
    assert corpus_snapshot(settings) == before


def test_admin_upload_of_a_server_path_is_refused_even_for_the_admin(guarded):
    """The admin's own session cannot turn a server file into a document: only uploaded files count."""
    settings, _, url = guarded
    before = corpus_snapshot(settings)
    secret = Path(settings.corpus_dir).parent / "server-secret.txt"
    login = basic("admin", ADMIN_PASSWORD)
    with httpx.Client(base_url=url) as c:
        status, body = call(c, "/admin", "upload_documents", [[file_data(secret)]], headers=login)
        assert "event: error" in body and SECRET_TEXT not in body
        hits = c.post("/api/search", json={"question": "机密 内部文件"}).json()["hits"]
    assert corpus_snapshot(settings) == before
    assert all(SECRET_TEXT not in h["text"] for h in hits)


def test_batch_of_a_server_path_is_refused(readonly):
    settings, _, url = readonly
    secret = Path(settings.corpus_dir).parent / "server-secret.txt"
    for target in (secret, "/etc/passwd"):
        with httpx.Client(base_url=url) as c:
            status, body = call(c, "", "batch", [file_data(target)])
        assert "event: error" in body, body
        assert SECRET_TEXT not in body and "root:" not in body
    results = Path(settings.data_dir) / "batch"
    assert all(SECRET_TEXT not in p.read_bytes().decode("utf-8", "replace") for p in results.glob("*")) \
        if results.is_dir() else True


def test_batch_of_a_real_upload_still_works(readonly, tmp_path):
    _, _, url = readonly
    src = tmp_path / "questions.csv"
    src.write_text("问题\n普陀2024年新增多少养老床位？\n", encoding="utf-8")
    c = Client(url + "/", verbose=False)
    try:
        status, files, _ = c.predict(handle_file(str(src)), api_name="/batch")
    finally:
        c.close()
    assert status.startswith("✓"), status
    assert len(files) == 2


# ---------------------------------------------------------------- hole 3: the data folder served


@pytest.mark.parametrize("fixture", ["readonly", "guarded"])
def test_feedback_database_and_batch_results_do_not_download(request, fixture):
    settings, _, url = request.getfixturevalue(fixture)
    record_feedback(settings, "普陀2024年新增多少养老床位？", "200张", 1, "私人评论")
    batch = Path(settings.data_dir) / "batch"
    batch.mkdir(parents=True, exist_ok=True)
    (batch / "问题-结果-20240101-000000.jsonl").write_text('{"question": "x"}\n', encoding="utf-8")
    targets = [db_path(settings), batch / "问题-结果-20240101-000000.jsonl", Path(settings.corpus_dir) / "2024-putuo-work-plan.txt",
               Path(settings.index_dir), Path("/etc/passwd"), Path(settings.eval_dir) / "report.md"]
    login = basic("admin", ADMIN_PASSWORD) if fixture == "guarded" else {}
    with httpx.Client(base_url=url) as c:
        for target in targets:
            for prefix in ("", "/admin"):
                traversal = f"{upload_folder()}/../..{target}".replace("/", "%2F")  # httpx would fold a bare ../
                for spelled in (str(target), str(target).replace("/", "%2F"), traversal):
                    r = c.get(f"{prefix}/gradio_api/file={spelled}", headers=login)
                    assert r.status_code in (401, 403), (prefix, spelled, r.status_code)
                    assert b"SQLite" not in r.content and "私人评论" not in r.text
                    chinese(r)


def test_a_symlink_in_the_upload_folder_does_not_lead_out(readonly):
    settings, _, url = readonly
    folder = upload_folder() / f"mz-test-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    link = folder / "feedback.sqlite3"
    try:
        record_feedback(settings, "问题", "回答", -1)
        os.symlink(db_path(settings), link)
        with httpx.Client(base_url=url) as c:
            r = c.get(f"/gradio_api/file={link}")
        assert r.status_code == 403 and b"SQLite" not in r.content
    finally:
        link.unlink(missing_ok=True)
        folder.rmdir()


def test_the_file_route_still_serves_what_was_uploaded(readonly, tmp_path):
    _, _, url = readonly
    src = tmp_path / "mine.csv"
    src.write_text("问题\n一\n", encoding="utf-8")
    with httpx.Client(base_url=url) as c:
        up = c.post("/gradio_api/upload", files={"files": ("mine.csv", src.read_bytes())})
        assert up.status_code == 200, up.text
        path = up.json()[0]
        r = c.get(f"/gradio_api/file={path}")
    assert r.status_code == 200 and "问题" in r.content.decode("utf-8")
    Path(path).unlink(missing_ok=True)


# ---------------------------------------------------------------- hole 8: uploads left in temp folders


def test_an_uploaded_document_is_removed_from_the_temp_folder(guarded, tmp_path):
    settings, _, url = guarded
    name = f"上传-{uuid.uuid4().hex[:8]}.md"
    doc = tmp_path / name
    doc.write_text("# 新文件\n宝山区2022年新增养老床位100张。", encoding="utf-8")
    c = Client(url + "/admin/", headers=basic("admin", ADMIN_PASSWORD), verbose=False)
    try:
        status, *_ = c.predict([handle_file(str(doc))], api_name="/upload_documents")
        assert "已添加" in status, status
        assert not list(upload_folder().rglob(name)), "the upload is still in Gradio's temp folder"
        status, *_ = c.predict(name, api_name="/delete_document")
        assert status.startswith("✓")
    finally:
        c.close()
    entries = [json.loads(line) for line in (Path(settings.data_dir) / "admin_audit.jsonl").read_text("utf-8").splitlines()]
    assert {(e["who"], e["action"], e["detail"]) for e in entries} >= {("admin", "upload", name), ("admin", "delete", name)}
