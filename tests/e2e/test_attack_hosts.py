"""Attacks through hosts and origins: DNS rebinding, another port, cross-site writes, framing.

Hole 4 of issue 9 (rebinding passed, any port of the same host was allowed) and the headers of 8.
"""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.running import ADMIN_PASSWORD, Q, basic, chinese, make_settings, serve

pytestmark = pytest.mark.e2e


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_dns_rebinding_host_is_refused(readonly):
    _, engine, url = readonly
    port = port_of(url)
    asked = len(engine.asked)
    with httpx.Client(base_url=url) as c:
        for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}", f"localhost.:{port}x",
                     "", "[::1"):
            for method, path in (("GET", "/api/health"), ("POST", "/api/ask"), ("GET", "/"),
                                 ("POST", "/gradio_api/call/chat")):
                r = c.request(method, path, json={"question": Q}, headers={"Host": host, "Origin": f"http://{host}"})
                assert r.status_code == 400, (host, path, r.status_code)
                assert "access-control-allow-origin" not in r.headers
                assert r.json()["error"]["type"] == "host_not_allowed" and "ASSISTANT_ALLOWED_HOSTS" in chinese(r)
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
            assert c.get("/api/health", headers={"Host": host}).status_code == 200, host
    assert len(engine.asked) == asked


def test_allowed_hosts_from_settings(tmp_path):
    settings = make_settings(tmp_path, allowed_hosts=["qa.intranet.example"], rate_limit_per_minute=0)
    with serve(settings) as url, httpx.Client(base_url=url) as c:
        assert c.get("/api/health", headers={"Host": "qa.intranet.example"}).status_code == 200
        assert c.get("/api/health", headers={"Host": "evil.example"}).status_code == 400
        assert c.get("/api/health").status_code == 400  # the list replaces the defaults


def test_same_host_other_port_is_not_the_same_origin(readonly):
    _, engine, url = readonly
    port = port_of(url)
    asked = len(engine.asked)
    with httpx.Client(base_url=url) as c:
        for origin in ("http://127.0.0.1:9999", f"https://127.0.0.1:{port}", f"http://localhost:{port}", "null",
                       f"http://127.0.0.1:{port}.evil.example", "http://evil.example"):
            r = c.post("/api/ask", json={"question": Q}, headers={"Origin": origin})
            assert r.status_code == 403, origin
            assert r.json()["error"]["type"] == "origin_not_allowed"
            pre = c.options("/api/ask", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
            assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
        same = c.post("/api/ask", json={"question": Q}, headers={"Origin": f"http://127.0.0.1:{port}"})
        assert same.status_code == 200 and same.headers["access-control-allow-origin"] == f"http://127.0.0.1:{port}"
    assert len(engine.asked) == asked + 1


def test_widget_origin_from_settings_is_matched_exactly(tmp_path):
    settings = make_settings(tmp_path, allowed_origins=["http://oa.example:8000"], rate_limit_per_minute=0)
    with serve(settings) as url, httpx.Client(base_url=url) as c:
        ok = c.post("/api/ask", json={"question": Q}, headers={"Origin": "http://oa.example:8000"})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "http://oa.example:8000"
        for origin in ("http://oa.example", "https://oa.example:8000", "http://oa.example:8001"):
            assert c.post("/api/ask", json={"question": Q}, headers={"Origin": origin}).status_code == 403
        js = c.get("/widget.js", headers={"Origin": "http://anything.example"})
        assert js.status_code == 200 and js.headers["content-type"].startswith("application/javascript")
        assert "frame-ancestors 'self' http://oa.example:8000" in c.get("/").headers["content-security-policy"]


def test_cross_site_writes_to_the_web_app_are_refused(guarded):
    _, engine, url = guarded
    asked = len(engine.asked)
    login = basic("admin", ADMIN_PASSWORD)
    with httpx.Client(base_url=url) as c:
        for path, data in (("/gradio_api/call/chat", [Q, []]), ("/admin/gradio_api/call/rebuild", []),
                           ("/gradio_api/queue/join", {"data": [Q, []], "fn_index": 0, "session_hash": "x"})):
            body = data if isinstance(data, dict) else {"data": data}
            r = c.post(path, json=body, headers={"Origin": "http://evil.example", **login})
            assert r.status_code == 403 and r.json()["error"]["type"] == "cross_site", path
        assert c.post("/gradio_api/call/chat", json={"data": [Q, []]},
                      headers={"Origin": url}).status_code == 200  # the app's own page
    assert len(engine.asked) <= asked + 1


def test_security_headers_on_the_app_the_admin_app_and_the_api(guarded):
    _, _, url = guarded
    with httpx.Client(base_url=url) as c:
        for path, headers in (("/", {}), ("/admin/", basic("admin", ADMIN_PASSWORD)), ("/api/health", {}),
                              ("/widget.js", {}), ("/nowhere", {})):
            r = c.get(path, headers=headers)
            assert r.headers["x-content-type-options"] == "nosniff", path
            assert r.headers["x-frame-options"] == "SAMEORIGIN", path
            assert r.headers["content-security-policy"] == "frame-ancestors 'self'", path
            assert r.headers["referrer-policy"] == "same-origin", path
