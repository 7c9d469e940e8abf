"""The Gradio app end to end through gradio_client, on the fake engine; and its pure renderers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

gr = pytest.importorskip("gradio")
from gradio_client import Client, handle_file  # noqa: E402

from assistant.core.settings import get_settings  # noqa: E402
from assistant.serve import ui  # noqa: E402
from tests.browser_support import free_port  # noqa: E402
from tests.fake_engine import PUTUO_TEXT, FakeEngine  # noqa: E402


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    (root / "corpus").mkdir()
    (root / "corpus" / "2024-putuo-work-plan.txt").write_text(PUTUO_TEXT, encoding="utf-8")
    (root / "eval").mkdir()
    settings = get_settings(corpus_dir=root / "corpus", data_dir=root / "data", eval_dir=root / "eval",
                            index_dir=root / "index")
    engine = FakeEngine(settings)
    demo = ui.build_ui(settings, engine)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **ui.launch_kwargs(settings))
    yield settings, engine, f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture
def client(app):
    """A fresh browser session: its own chat history."""
    c = Client(app[2], verbose=False)
    yield c
    c.close()


@pytest.fixture(scope="module")
def admin_app(app, free_port):
    """The admin app over the same settings and engine (launched bare: the login is the edge's, tested in e2e)."""
    settings, engine, _ = app
    demo = ui.build_admin_ui(settings, engine)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **ui.launch_kwargs(settings))
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture
def admin(admin_app):
    c = Client(admin_app, verbose=False)
    yield c
    c.close()


def _texts(messages) -> str:
    """All text in chatbot messages, whatever shape the client hands back."""
    out = []
    for m in messages:
        content = m["content"]
        if isinstance(content, str):
            out.append(content)
        else:
            out += [c.get("text", "") for c in content if isinstance(c, dict)]
    return "\n".join(out)


def _value(x):
    return x.get("value") if isinstance(x, dict) and x.get("__type__") == "update" else x


def ask(client, question: str, store=None) -> tuple[list, dict, str, dict]:
    """One chat turn through the API: the messages, the browser's stored conversations, the input box, the list."""
    chat, store, box, listed = client.predict(question, store or {"conversations": [], "current": None},
                                              api_name="/chat")
    return _value(chat), _value(store), _value(box), listed


def test_chat_answers_with_figure_and_source(app, client):
    settings, engine, _ = app
    chat, _, box, _ = ask(client, "普陀2024年新增多少养老床位？")
    text = _texts(chat)
    assert "200张" in text
    assert "普陀区民政局2024年工作要点" in text  # the source's document title
    assert "<mark>200张</mark>" in text  # the cited figure, highlighted
    assert "二、建设高品质普惠养老格局" in text  # the section path
    assert box == ""  # the input is cleared for the next question
    assert "mz-copy" in text  # the plain-text copy the copy buttons give
    assert [m["role"] for m in chat] == ["user", "assistant", "assistant"]
    assert chat[2]["metadata"]["title"].startswith("来源")


def test_chat_shows_the_llm_status_line_and_then_the_answer(app, client):
    """With an LLM endpoint the stream opens with status lines: every one of them is a full update."""
    chat, _, box, _ = ask(client, "大模型：普陀2024年新增多少养老床位？")
    assert "200张" in _texts(chat) and box == ""


def test_chat_refusal_is_plain_and_has_no_sources(app, client):
    _, _, _ = app
    chat, _, _, _ = ask(client, "今天天气怎么样？")
    text = _texts(chat)
    assert "没有找到" in text
    assert "mz-refused" in text
    assert len(chat) == 2


def test_chat_passes_earlier_turns_as_history(app, client):
    _, engine, _ = app
    engine.asked.clear()
    _, store, _, _ = ask(client, "普陀2024年新增多少养老床位？")
    chat, store, _, _ = ask(client, "那宝山2022年呢？", store)
    assert len(engine.asked) == 2
    first_history, second_history = engine.asked[0][1], engine.asked[1][1]
    assert first_history == []
    assert [t.question for t in second_history] == ["普陀2024年新增多少养老床位？"]
    assert second_history[0].query.district == "普陀区"
    assert "理解为：普陀区2024年新增养老床位" in _texts(chat)  # follow-ups say how they were read
    assert "理解为" not in _texts(chat[:3])  # the first question does not
    [conversation] = store["conversations"]  # both turns kept in one stored conversation
    assert [e["question"] for e in conversation["exchanges"]] == ["普陀2024年新增多少养老床位？", "那宝山2022年呢？"]
    assert store["current"] == conversation["id"]


def test_empty_question_is_not_sent_to_the_engine(app, client):
    _, engine, _ = app
    engine.asked.clear()
    ask(client, "   ")
    assert engine.asked == []


def test_chat_lists_the_conversation_to_reopen(app, client):
    _, store, _, listed = ask(client, "普陀2024年新增多少养老床位？")
    [(label, conv_id)] = listed["choices"]
    assert label.startswith("普陀2024年新增多少养老床位？ · 1问") and conv_id == store["current"]


def test_batch_csv_gives_xlsx_and_jsonl(client, tmp_path):
    pytest.importorskip("assistant.serve.batch")
    src = tmp_path / "questions.csv"
    src.write_text("问题\n普陀2024年新增多少养老床位？\n今天天气怎么样？\n", encoding="utf-8")
    status, files, preview = client.predict(handle_file(str(src)), api_name="/batch")
    assert status.startswith("✓"), status
    assert "共 2 条问题：找到答案 1 条，文件中未找到 1 条" in status
    names = sorted(Path(f).suffix for f in files)
    assert names == [".jsonl", ".xlsx"]
    assert "200张" in str(preview)


def test_batch_bad_file_gives_a_notice_not_a_crash(app, client, tmp_path):
    _, _, _ = app
    bad = tmp_path / "questions.txt"
    bad.write_text("普陀2024年新增多少养老床位？", encoding="utf-8")
    status, files, _ = client.predict(handle_file(str(bad)), api_name="/batch")
    assert status.startswith("⚠")
    assert ".xlsx" in status
    assert not files


def test_batch_unreadable_xlsx_gives_a_notice(client, tmp_path):
    pytest.importorskip("assistant.serve.batch")
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"this is not a workbook")
    status, files, _ = client.predict(handle_file(str(bad)), api_name="/batch")
    assert status.startswith("⚠"), status
    assert not files


def test_knowledge_base_lists_documents(app, client):
    _, _, _ = app
    table = client.predict(api_name="/documents")
    assert table["headers"] == ui.DOC_HEADERS
    row = table["data"][0]
    assert row[0] == "普陀区民政局2024年工作要点"
    assert row[1] == "2024-putuo-work-plan.txt"
    assert row[3] == "普民〔2024〕4号"
    assert row[8] == 30  # chunks


def test_retrieval_test_shows_all_three_scores(app, client):
    _, _, _ = app
    table = client.predict("普陀 养老床位", 5, api_name="/search")
    assert table["headers"] == ui.HIT_HEADERS
    rank, title, section, kw, dense, fused, text = table["data"][0]
    assert (rank, title) == (1, "普陀区民政局2024年工作要点")
    assert (kw, dense, fused) == ("12.5000", "0.8000", "0.9000")
    assert "200张" in text
    assert "<mark>普陀</mark>" in text or "<mark>养老床位</mark>" in text  # the query's terms, marked


def test_readers_app_has_no_admin_endpoints(client):
    named = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/chat", "/search", "/documents", "/batch"} <= set(named)
    assert not {"/upload_documents", "/delete_document", "/rebuild", "/feedback"} & set(named)


def test_upload_and_delete_documents(app, admin, tmp_path):
    settings, _, _ = app
    doc = tmp_path / "新文件.md"
    doc.write_text("# 标题\n宝山区2022年新增养老床位100张。", encoding="utf-8")
    status, _, _, _ = admin.predict([handle_file(str(doc))], api_name="/upload_documents")
    assert "已添加：新文件.md" in status
    assert (Path(settings.corpus_dir) / "新文件.md").is_file()

    status, _, _, _ = admin.predict([handle_file(str(doc))], api_name="/upload_documents")
    assert "⚠" in status and "已经有" in status  # same name again: refused, not overwritten

    status, _, _ = admin.predict("新文件.md", api_name="/delete_document")
    assert status.startswith("✓")
    assert not (Path(settings.corpus_dir) / "新文件.md").exists()


def test_upload_rejects_unsupported_type(app, admin, tmp_path):
    settings, _, _ = app
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    status, _, _, _ = admin.predict([handle_file(str(exe))], api_name="/upload_documents")
    assert "⚠" in status and "不支持" in status
    assert not (Path(settings.corpus_dir) / "tool.exe").exists()


def test_rebuild_reports_counts(admin):
    status, _, _ = admin.predict(api_name="/rebuild")
    assert status.startswith("✓")
    assert "30 个分块" in status


def test_evaluation_tab_says_how_to_produce_a_report(app, client):
    settings, _, _ = app
    _, text, _, _ = client.predict(None, api_name="/evaluation")
    assert "assistant eval" in text
    report = {"counts": {"numeric": 2}, "metrics": {"accuracy": 0.5, "n": 2}, "per_type": {"numeric": 0.5},
              "baseline": None, "seconds": 1.0, "results": [
                  {"id": "num-1", "type": "numeric", "question": "长宁发了多少资金？", "history": [], "expected": "125万元",
                   "got": "长宁区资金扶持890万。", "got_value": 8900000.0, "got_unit": "元", "refused": False,
                   "correct": False}]}
    (Path(settings.eval_dir) / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    other = Path(settings.eval_dir) / "corpora" / "外地文件"
    other.mkdir(parents=True)
    (other / "report.json").write_text(json.dumps({**report, "per_type": {"numeric": 1.0}}), encoding="utf-8")
    choice, text, chart, failures = client.predict(None, api_name="/evaluation")
    assert "总体准确率 | 50.0%" in text and "数值 | 2 | 50.0%" in text
    assert "890万元" in failures and "e+06" not in failures
    assert chart["value"]["data"] or chart["value"]  # the chart is drawn from the figures, no image file
    assert choice["choices"] if isinstance(choice, dict) else True
    _, text, _, _ = client.predict("外地文件", api_name="/evaluation")
    assert text.startswith("### 外地文件")


def test_one_server_serves_the_ui_and_the_api(tmp_path):
    from fastapi.testclient import TestClient

    import app as entry

    settings = get_settings(data_dir=tmp_path / "data", eval_dir=tmp_path / "eval", corpus_dir=tmp_path)
    with TestClient(entry.build_app(settings, FakeEngine(settings)), base_url="http://127.0.0.1:7860") as http:
        page = http.get("/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert http.get("/widget.js").status_code == 200
        r = http.post("/api/ask", json={"question": "普陀2024年新增多少养老床位？"})
        assert r.status_code == 200, r.text
        assert "200张" in r.text
        assert http.get("/gradio_api/info").json()["named_endpoints"]["/chat"]


@pytest.mark.slow
def test_real_engine_end_to_end_through_the_app(tmp_path):
    """The shipped corpus and index, the real engine, the Gradio app, a client session."""
    from assistant.serve.engine import build_engine

    settings = get_settings(data_dir=tmp_path / "data")
    engine = build_engine(settings)
    demo = ui.build_ui(settings, engine)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **ui.launch_kwargs(settings))
    c = Client(f"http://127.0.0.1:{port}/", verbose=False)
    try:
        chat, store, _, _ = ask(c, "普陀2024年新增多少养老床位？")
        text = _texts(chat)
        assert "200张" in text and "<mark>200张</mark>" in text
        assert "普陀区民政局2024年工作要点" in text
        chat, store, _, _ = ask(c, "那宝山2022年呢？", store)
        follow = _texts(chat[3:])
        assert "理解为：宝山区2022年" in follow
        assert "2022年宝山民政工作要点" in follow
        chat, store, _, _ = ask(c, "徐汇区2024年新增多少养老床位？", store)
        last = chat[[m["role"] for m in chat].index("user", 6):]
        assert "mz-refused" in _texts(last)
        table = c.predict("普陀 养老床位 2024", 5, api_name="/search")
        assert table["data"][0][1] == "普陀区民政局2024年工作要点"
        assert all(row[3] != "—" or row[4] != "—" for row in table["data"])
        docs = c.predict(api_name="/documents")
        assert len(docs["data"]) == 5
    finally:
        c.close()
        demo.close()
