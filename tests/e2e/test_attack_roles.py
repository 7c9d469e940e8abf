"""Attacks on roles: upload, delete, rebuild and feedback anonymously; credentials that must not count.

Hole 2 of issue 9 (anyone could administer) and the two-role deliverable: the admin with a key or a
login can do each thing, every such action is logged, a read key and a trusted proxy work as set.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from app import exposure_warnings
from assistant.serve.feedback import record_feedback
from tests.e2e.running import (
    ADMIN_KEY,
    ADMIN_PASSWORD,
    READ_KEY,
    Q,
    basic,
    bearer,
    chinese,
    make_settings,
    serve,
)

pytestmark = pytest.mark.e2e

ADMIN_CALLS = [("POST", "/api/index/rebuild"), ("GET", "/api/feedback"), ("GET", "/api/feedback?format=csv"),
               ("DELETE", "/api/documents/2024-putuo-work-plan.txt"), ("POST", "/api/documents"),
               ("GET", "/admin/"), ("GET", "/admin/gradio_api/info"), ("POST", "/admin/gradio_api/call/rebuild"),
               ("POST", "/admin/gradio_api/call/delete_document"), ("POST", "/admin/gradio_api/upload"),
               ("POST", "/api//index/rebuild"), ("POST", "/x/../api/index/rebuild")]


def send(c: httpx.Client, method: str, path: str, **kw) -> httpx.Response:
    if method == "POST" and "call/" in path:
        kw.setdefault("json", {"data": ["2024-putuo-work-plan.txt"] if "delete" in path else []})
    if path == "/api/documents":
        kw.setdefault("files", [("files", ("x.txt", "宝山区2022年新增养老床位100张。".encode()))])
    return c.request(method, path, **kw)


def audit_entries(settings) -> list[dict]:
    path = Path(settings.data_dir) / "admin_audit.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.is_file() else []


def test_read_only_server_refuses_every_admin_action_and_says_why(readonly):
    settings, _, url = readonly
    files = sorted(p.name for p in Path(settings.corpus_dir).iterdir())
    with httpx.Client(base_url=url) as c:
        for method, path in ADMIN_CALLS:
            for headers in ({}, bearer("guess"), basic("admin", "admin"), {"X-Remote-User": "admin"}):
                r = send(c, method, path, headers=headers)
                assert r.status_code == 403, (method, path, r.status_code)
                assert r.json()["error"]["type"] == "read_only" and "只读模式" in chinese(r)
        page = c.get("/")  # the readers' app says so where the admin controls would be
        assert page.status_code == 200
        config = c.get("/config").text
    assert "只读模式" in config and "ASSISTANT_ADMIN_KEY" in config
    assert sorted(p.name for p in Path(settings.corpus_dir).iterdir()) == files
    assert audit_entries(settings) == []


def test_giving_feedback_stays_open_while_reading_it_is_refused(readonly, guarded):
    for _, _, url in (readonly, guarded):
        with httpx.Client(base_url=url) as c:
            given = c.post("/api/feedback", json={"answer_id": "a1b2c3d4e5", "rating": -1, "question": Q,
                                                  "answer": "200张"})
            assert given.status_code == 200 and given.json()["saved"] is True
            assert c.get("/api/feedback").status_code in (401, 403)


def test_gradio_client_cannot_delete_a_document(readonly, guarded):
    for settings, _, url in (readonly, guarded):
        c = Client(url + "/", verbose=False)
        try:
            with pytest.raises(ValueError):  # the readers' app has no such endpoint
                c.predict("2024-putuo-work-plan.txt", api_name="/delete_document")
        finally:
            c.close()
        assert (Path(settings.corpus_dir) / "2024-putuo-work-plan.txt").is_file()
    with pytest.raises(Exception, match="credentials"):
        Client(guarded[2] + "/admin/", verbose=False)


def test_wrong_credentials_do_not_administer(guarded):
    settings, _, url = guarded
    wrong = [{}, bearer("guess"), bearer(READ_KEY), basic("admin", "guess"), basic("root", ADMIN_PASSWORD),
             basic("admin", ""), {"Authorization": "Basic !!!"}, {"Authorization": f"Bearer {ADMIN_KEY[:-1]}"},
             {"X-Admin-Key": ADMIN_KEY}, {"X-Remote-User": "admin", "X-Forwarded-For": "127.0.0.1"}]
    with httpx.Client(base_url=url) as c:
        for method, path in ADMIN_CALLS:
            for headers in wrong:
                r = send(c, method, path, headers=headers)
                assert r.status_code == 401, (method, path, headers, r.status_code)
                assert r.headers["www-authenticate"].startswith("Bearer" if "/api/" in path else "Basic")
                chinese(r)
    assert (Path(settings.corpus_dir) / "2024-putuo-work-plan.txt").is_file()


def test_admin_key_does_each_admin_action_and_each_is_logged(guarded):
    settings, _, url = guarded
    record_feedback(settings, Q, "200张", -1, "=HYPERLINK(\"http://evil\")")
    key = bearer(ADMIN_KEY)
    with httpx.Client(base_url=url) as c:
        up = c.post("/api/documents", headers=key,
                    files=[("files", ("宝山.txt", "宝山区2022年新增养老床位100张。".encode()))])
        assert up.status_code == 200 and up.json()["saved"] == ["宝山.txt"], up.text
        assert (Path(settings.corpus_dir) / "宝山.txt").is_file()
        assert c.post("/api/index/rebuild", headers=key).json()["index"]["documents"] == 1
        fb = c.get("/api/feedback", headers=key).json()
        assert fb["total"] >= 1 and fb["items"][0]["comment"].startswith("=HYPERLINK")
        csv = c.get("/api/feedback?format=csv&rating=-1", headers=key)
        assert csv.headers["content-type"].startswith("text/csv") and "'=HYPERLINK" in csv.text  # no formula
        gone = c.delete("/api/documents/宝山.txt", headers=key)
        assert gone.status_code == 200 and not (Path(settings.corpus_dir) / "宝山.txt").exists()
        missing = c.delete("/api/documents/宝山.txt", headers=key)
        assert missing.status_code == 400 and "没有文件" in chinese(missing)
    log = [(e["who"], e["action"], e["ok"]) for e in audit_entries(settings)]
    for entry in [("admin-key", "upload", True), ("admin-key", "rebuild", True), ("admin-key", "feedback", True),
                  ("admin-key", "delete", True), ("admin-key", "delete", False)]:
        assert entry in log
    assert all(e["client"] == "127.0.0.1" and e["at"].endswith("+00:00") for e in audit_entries(settings))


def test_admin_login_opens_the_admin_app(guarded):
    settings, _, url = guarded
    with httpx.Client(base_url=url) as c:
        assert c.get("/admin/", headers=basic("admin", ADMIN_PASSWORD)).status_code == 200
        assert c.get("/admin/", headers=basic("admin", ADMIN_KEY)).status_code == 401  # own password set
    admin = Client(url + "/admin/", headers=basic("admin", ADMIN_PASSWORD), verbose=False)
    try:
        status, *_ = admin.predict(api_name="/rebuild")
        summary, table = admin.predict("全部", api_name="/feedback")
    finally:
        admin.close()
    assert status.startswith("✓") and summary.startswith("共")
    assert ("admin", "rebuild") in [(e["who"], e["action"]) for e in audit_entries(settings)]


def test_read_key_protects_ask_search_v1_and_the_web_app(tmp_path):
    settings = make_settings(tmp_path, read_key=READ_KEY, rate_limit_per_minute=0)
    with serve(settings) as url, httpx.Client(base_url=url) as c:
        for method, path, body in [("POST", "/api/ask", {"question": Q}), ("POST", "/api/search", {"question": Q}),
                                   ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": Q}]}),
                                   ("GET", "/v1/models", None), ("GET", "/", None), ("GET", "/config", None),
                                   ("POST", "/gradio_api/call/chat", {"data": [Q, []]})]:
            anon = c.request(method, path, json=body)
            assert anon.status_code == 401, (path, anon.status_code)
            assert "访问密钥" in chinese(anon)
            assert c.request(method, path, json=body, headers=bearer("guess")).status_code == 401
            ok = c.request(method, path, json=body, headers=bearer(READ_KEY) if path.startswith(("/api", "/v1"))
                           else basic("任意", READ_KEY))
            assert ok.status_code == 200, (path, ok.status_code, ok.text[:200])
        for open_path in ("/widget.js", "/api/health", "/docs", "/openapi.json"):
            assert c.get(open_path).status_code == 200, open_path
        assert c.post("/api/index/rebuild", headers=bearer(READ_KEY)).status_code == 403  # reading is not admin


def test_trusted_proxy_user_administers_only_through_the_proxy(tmp_path):
    settings = make_settings(tmp_path, proxy_user_header="X-Remote-User", trusted_proxies=["127.0.0.1/32"],
                             proxy_admin_users=["zhang.san"], rate_limit_per_minute=0)
    with serve(settings) as url, httpx.Client(base_url=url) as c:
        r = c.post("/api/index/rebuild", headers={"X-Remote-User": "zhang.san", "X-Forwarded-For": "10.1.2.3"})
        assert r.status_code == 200, r.text
        assert c.post("/api/index/rebuild", headers={"X-Remote-User": "li.si"}).status_code == 403
        assert c.post("/api/index/rebuild").status_code == 401
        assert c.get("/admin/", headers={"X-Remote-User": "zhang.san"}).status_code == 200
    assert [(e["who"], e["client"]) for e in audit_entries(settings)] == [("zhang.san", "10.1.2.3")]
    untrusted = make_settings(tmp_path / "other", proxy_user_header="X-Remote-User", trusted_proxies=["10.0.0.1"],
                              proxy_admin_users=["*"], rate_limit_per_minute=0)
    with serve(untrusted) as url, httpx.Client(base_url=url) as c:  # the header from anyone else counts for nothing
        r = c.post("/api/index/rebuild", headers={"X-Remote-User": "zhang.san", "X-Forwarded-For": "10.0.0.1"})
        assert r.status_code == 401


def test_start_warns_when_exposed_without_an_admin_credential(tmp_path):
    exposed = make_settings(tmp_path, host="0.0.0.0")
    assert any("只读模式" in w for w in exposure_warnings(exposed))
    assert not any("只读模式" in w for w in exposure_warnings(make_settings(tmp_path, host="127.0.0.1")))
    assert not any("只读模式" in w for w in exposure_warnings(make_settings(tmp_path, host="0.0.0.0",
                                                                          admin_key=ADMIN_KEY)))
    assert any("太短" in w for w in exposure_warnings(make_settings(tmp_path, admin_key="short")))


def test_a_browser_refused_at_the_admin_app_reads_why_in_chinese(readonly, guarded):
    html = {"Accept": "text/html,application/xhtml+xml"}
    with httpx.Client(base_url=readonly[2]) as c:
        r = c.get("/admin/", headers=html)
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html") and "只读模式" in r.text
    with httpx.Client(base_url=guarded[2]) as c:
        r = c.get("/admin/", headers=html)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic") and "管理员" in r.text
