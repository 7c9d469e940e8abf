"""The pure rules under the security edge, as tables: scripts, text cleaning, history limits, roles,
rate buckets, paths, and the index integrity check. The attacks themselves are in tests/e2e."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from assistant.core.errors import BadQuestion
from assistant.core.settings import Settings
from assistant.core.types import Turn
from assistant.index.integrity import index_files, integrity_problem
from assistant.serve.auth import ADMIN, ANONYMOUS, READER, Authenticator, admin_configured, required_role
from assistant.serve.guard import check_history, check_language, check_question, clean_text
from assistant.serve.ratelimit import RateLimiter
from assistant.serve.security import HostGuard, normal_path
from assistant.text.scripts import has_letters_of, letter_script, main_scripts

HAN = frozenset({"Han"})


@pytest.mark.parametrize("ch, script", [("普", "Han"), ("a", "Latin"), ("Ａ", "Latin"), ("é", "Latin"),
                                        ("Ж", "Cyrillic"), ("한", "Hangul"), ("1", None), ("１", None), ("+", None),
                                        ("。", None), (" ", None)])
def test_letter_script(ch, script):
    assert letter_script(ch) == script


def test_main_scripts_keep_only_the_scripts_most_letters_use():
    assert main_scripts(["普陀区民政局 GDP 2024年工作要点，共计新增养老床位"]) == HAN
    assert main_scripts(["Annual report of the district", "年度报告"]) == frozenset({"Latin"})
    assert main_scripts(["1234 +-="]) == frozenset()


@pytest.mark.parametrize("text, found", [("普陀2024", True), ("1+1", False), ("=1+1", False), ("GDP?", False),
                                         ("养老 beds", True), ("", False)])
def test_has_letters_of_the_documents_scripts(text, found):
    assert has_letters_of(text, HAN) is found


def test_check_language_refuses_no_letters_and_answers_other_scripts_with_a_refusal():
    assert check_language("普陀2024年", HAN) is None
    with pytest.raises(BadQuestion, match="没有文字"):
        check_language("1+1", HAN)
    assert "中文" in check_language("How many beds?", HAN)
    assert check_language("How many beds?", frozenset()) is None  # no documents yet: any letter will do


@pytest.mark.parametrize("raw, clean", [("普陀\x00区", "普陀区"), ("a\tb\r\nc", "a b c"), ("\ud800普陀", "普陀"),
                                        ("\x1b[31m红", "[31m红"), ("\u0085x\x9f", "x"), ("😀普陀", "😀普陀")])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_check_question_limits_and_cleans():
    s = Settings(max_question_chars=10)
    assert check_question("  普陀\x00区  ", s) == "普陀区"
    for bad in ("", "   ", None, 5, "\x00\x01", "普" * 11, "普" * 1_000_000):
        with pytest.raises(BadQuestion):
            check_question(bad, s)


def test_check_history_refuses_long_items_and_keeps_the_newest_within_the_limits():
    s = Settings(max_question_chars=100, max_history_items=3, max_history_chars=25)
    turn = Turn(question="普陀" * 5)
    assert check_history(["一" * 10, "\x00", turn, "二" * 10, "三" * 10], s) == ["二" * 10, "三" * 10]
    assert check_history([turn, "二" * 10], s) == [turn, "二" * 10]
    assert check_history(None, s) == []
    assert check_history([Turn(question="普" * 101), Turn(question="问", answer_text="答" * 30_000)], s)[0].answer_text \
        == "答" * 20_000  # a damaged turn (a browser may send any) is left out, a long answer cut
    with pytest.raises(BadQuestion, match="第2条太长"):
        check_history(["一", "二" * 101], s)
    with pytest.raises(BadQuestion, match="不是文字"):
        check_history([{"q": 1}], s)


def test_rate_limiter_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a"), limiter.take("a")] == [0, 0, 1]
    assert limiter.take("b") == 0  # another client has its own bucket
    now[0] = 1.0
    assert limiter.take("a") == 0 and limiter.take("a") == 1
    assert RateLimiter(per_minute=0, burst=1).take("a") == 0  # 0 turns it off


def test_rate_limiter_forgets_idle_clients_when_full():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=1, clock=lambda: now[0], max_clients=10)
    for i in range(11):
        limiter.take(f"c{i}")
    now[0] = 100.0
    limiter.take("late")
    assert len(limiter._buckets) <= 2


@pytest.mark.parametrize("path, role", [("/api/ask", READER), ("/", READER), ("/gradio_api/queue/join", READER),
                                        ("/api/health", ANONYMOUS), ("/widget.js", ANONYMOUS),
                                        ("/admin", ADMIN), ("/admin/gradio_api/upload", ADMIN),
                                        ("/api/documents", ADMIN), ("/api/documents/x.txt", ADMIN),
                                        ("/api/index/rebuild", ADMIN), ("/api/feedback", ADMIN),
                                        ("/administration", READER), ("/api/documentsx", READER)])
def test_required_role_with_a_read_key(path, role):
    assert required_role(path, Settings(read_key="r" * 16)) == role


def test_without_a_read_key_reading_is_open():
    assert required_role("/api/ask", Settings()) == ANONYMOUS


def test_giving_feedback_is_reading_and_reading_it_is_administration():
    assert required_role("/api/feedback", Settings(), "POST") == ANONYMOUS
    assert required_role("/api/feedback", Settings(), "GET") == ADMIN
    assert required_role("/api/feedback", Settings(read_key="r" * 16), "post") == READER


@pytest.mark.parametrize("raw, folded", [("/api//index/rebuild", "/api/index/rebuild"), ("/x/../admin/", "/admin/"),
                                         ("//admin", "/admin"), ("/./api/ask", "/api/ask"), ("/", "/")])
def test_normal_path(raw, folded):
    assert normal_path(raw) == folded


def _scope(headers: dict[str, str], client: str = "127.0.0.1") -> dict:
    return {"headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()], "client": (client, 5000)}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_identify_each_credential():
    s = Settings(admin_key="A" * 16, admin_password="P" * 16, read_key="R" * 16, proxy_user_header="X-User",
                 trusted_proxies=["10.0.0.0/8"], proxy_admin_users=["boss"])
    auth = Authenticator(s)
    cases = [({"Authorization": "Bearer " + "A" * 16}, "127.0.0.1", ADMIN),
             ({"Authorization": "bearer " + "R" * 16}, "127.0.0.1", READER),
             ({"Authorization": _basic("admin", "P" * 16)}, "127.0.0.1", ADMIN),
             ({"Authorization": _basic("admin", "A" * 16)}, "127.0.0.1", ANONYMOUS),  # own password is set
             ({"Authorization": _basic("someone", "R" * 16)}, "127.0.0.1", READER),
             ({"X-User": "boss"}, "10.1.1.1", ADMIN), ({"X-User": "clerk"}, "10.1.1.1", READER),
             ({"X-User": "boss"}, "127.0.0.1", ANONYMOUS), ({"Authorization": "Bearer "}, "127.0.0.1", ANONYMOUS),
             ({"Authorization": "Basic ***"}, "127.0.0.1", ANONYMOUS)]
    for headers, client, role in cases:
        assert auth.identify(_scope(headers, client)).role == role, (headers, client)


def test_client_address_behind_a_trusted_proxy_only():
    auth = Authenticator(Settings(trusted_proxies=["10.0.0.1"]))
    hops = {"X-Forwarded-For": "1.2.3.4, 10.0.0.1"}
    assert auth.client_address(_scope(hops, "10.0.0.1")) == "1.2.3.4"
    assert auth.client_address(_scope(hops, "192.168.1.5")) == "192.168.1.5"  # anyone else cannot claim one


def test_admin_configured():
    assert not admin_configured(Settings())
    assert not admin_configured(Settings(admin_key="  "))
    assert admin_configured(Settings(admin_key="k" * 16))
    assert admin_configured(Settings(admin_password="p" * 16))
    assert not admin_configured(Settings(proxy_user_header="X-User", trusted_proxies=["10.0.0.1"]))
    assert admin_configured(Settings(proxy_user_header="X-User", trusted_proxies=["10.0.0.1"], proxy_admin_users=["*"]))


@pytest.mark.parametrize("host, bind, allowed", [("127.0.0.1:7860", "127.0.0.1", True), ("localhost", "127.0.0.1", True),
                                                 ("evil.example:7860", "127.0.0.1", False),
                                                 ("192.168.1.20:7860", "127.0.0.1", False),
                                                 ("192.168.1.20:7860", "0.0.0.0", True),
                                                 ("evil.example", "0.0.0.0", False), ("10.0.0.2", "10.0.0.2", True),
                                                 ("", "127.0.0.1", False)])
def test_host_guard_defaults(host, bind, allowed):
    assert HostGuard(None, Settings(host=bind)).allows(host) is allowed


def test_integrity_problem_names_the_damaged_file(tmp_path):
    (tmp_path / "facts.jsonl").write_text('{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    (tmp_path / "bm25").mkdir()
    np.save(tmp_path / "bm25" / "v.npy", np.zeros(3))
    manifest = {"facts": 2, "files": index_files(tmp_path)}
    assert integrity_problem(tmp_path, manifest) is None
    assert "旧版本" in integrity_problem(tmp_path, {"facts": 2})
    assert "条记录" in integrity_problem(tmp_path, {**manifest, "facts": 3})
    (tmp_path / "facts.jsonl").write_text('{"a": 1}\n{"a": 3}\n', encoding="utf-8")  # same size, other bytes
    assert "facts.jsonl" in integrity_problem(tmp_path, manifest) and "校验值" in integrity_problem(tmp_path, manifest)
    (tmp_path / "bm25" / "v.npy").unlink()
    assert "缺少索引文件 bm25/v.npy" == integrity_problem(tmp_path, manifest)
