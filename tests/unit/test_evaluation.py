"""Evaluation: gold loading and its errors, the scoring functions, and a full run against a fake engine."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.core.errors import BadInputFile
from assistant.core.settings import Settings
from assistant.core.types import Answer, Chunk, Citation, DocMeta, Document, Hit
from assistant.eval import evaluation as ev
from assistant.eval import scoring
from assistant.eval.scoring import GoldQuestion

PUTUO = "二是推动多元养老新发展。计划新增200张养老床位、2家智慧养老院，改进建认知障碍照护床位140张。"
BAOSHAN = "一是增加养老设施供给。落实为民办实事项目，新增760张养老床位，改建180张认知障碍照护床位。"
DOCS = [Document("d1", "putuo.txt", DocMeta(title="普陀"), PUTUO),
        Document("d2", "baoshan.txt", DocMeta(title="宝山"), BAOSHAN)]


def _row(**kw) -> dict:
    base = {"id": "q1", "question": "普陀24年新增多少养老床位？", "history": [], "answer": "200张",
            "value": 200, "unit": "张", "quote": "计划新增200张养老床位", "doc": "putuo.txt",
            "type": "numeric"}
    return {**base, **kw}


def _write(tmp_path: Path, rows: list, name: str = "gold.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows),
                    encoding="utf-8")
    return path


# ---------------------------------------------------------------- loading the gold set

def test_load_gold_reads_rows_into_gold_questions(tmp_path):
    cross = _row(id="q2", type="cross_doc", quote=["计划新增200张养老床位", "新增760张养老床位"],
                 doc=["putuo.txt", "baoshan.txt"], value=960, answer="960张")
    none = _row(id="q3", type="unanswerable", answer=None, value=None, unit=None, quote=None, doc=None)
    path = _write(tmp_path, [_row(), cross, none])
    qs = scoring.load_gold(path, DOCS)
    assert [q.id for q in qs] == ["q1", "q2", "q3"]
    assert qs[0].value == 200.0 and qs[0].quotes == ("计划新增200张养老床位",)
    assert qs[1].docs == ("putuo.txt", "baoshan.txt") and qs[1].value == 960
    assert not qs[2].answerable and qs[2].quotes == ()


def test_a_percentage_is_read_as_written_or_as_a_fraction(tmp_path):
    written = _row(id="p1", answer="53.4%", value=53.4, unit="%")
    fraction = _row(id="p2", answer="53.4%", value=0.534, unit="%")
    small = _row(id="p3", answer="0.5%", value=0.5, unit="%")
    qs = scoring.load_gold(_write(tmp_path, [written, fraction, small]))
    assert [q.value for q in qs] == [pytest.approx(0.534), 0.534, pytest.approx(0.005)]


def test_a_rate_the_answer_writes_is_the_unit(tmp_path):
    rate = _row(id="r1", answer="485元/月", value=485, unit="元")
    plain = _row(id="r2", answer="7.8亿元", value=780000000, unit="元")
    assert [q.unit for q in scoring.load_gold(_write(tmp_path, [rate, plain]))] == ["元/月", "元"]


@pytest.mark.parametrize("bad_line", ["{not json", "[1, 2]", json.dumps({"id": "x", "type": "numeric"}),
                                      json.dumps(_row(history="普陀呢"), ensure_ascii=False)])
def test_malformed_line_names_file_and_line(tmp_path, bad_line):
    path = _write(tmp_path, [_row(), bad_line], name="my-gold.jsonl")
    with pytest.raises(BadInputFile, match=r"my-gold\.jsonl 第2行"):
        scoring.load_gold(path)


@pytest.mark.parametrize(("row", "match"), [
    (_row(id="q9", type="numberish"), "q9（gold.jsonl 第1行） 的类型"),
    (_row(id="q9", quote="计划新增300张养老床位"), "q9 的引文"),
    (_row(id="q9", value=None), "q9（gold.jsonl 第1行） 是数值题"),
    (_row(id="q9", type="text", value=None, unit=None), "q9（gold.jsonl 第1行） 是文字题"),
    (_row(id="q9", type="unanswerable"), "q9（gold.jsonl 第1行） 标为无答案"),
    (_row(id="q9", quote=None), "q9（gold.jsonl 第1行） 有答案但没有 quote"),
    (_row(id="q9", doc="xuhui.txt"), "q9 的 doc《xuhui.txt》不在语料中"),
])
def test_bad_question_is_named_by_id(tmp_path, row, match):
    with pytest.raises(BadInputFile, match=match):
        scoring.load_gold(_write(tmp_path, [row]), DOCS)


def test_duplicate_id_and_missing_file(tmp_path):
    with pytest.raises(BadInputFile, match="q1（gold.jsonl 第2行） 的 id 重复"):
        scoring.load_gold(_write(tmp_path, [_row(), _row()]))
    with pytest.raises(BadInputFile, match="不存在"):
        scoring.load_gold(tmp_path / "nope.jsonl")


def test_quote_checked_against_its_own_document(tmp_path):
    with pytest.raises(BadInputFile, match="q1"):
        scoring.load_gold(_write(tmp_path, [_row(doc="baoshan.txt")]), DOCS)


def test_stratified_subset_covers_every_type():
    qs = [GoldQuestion(id=f"{t}{i}", question="?", type=t) for t in scoring.TYPES for i in range(3)]
    sub = scoring.stratified(qs, 7)
    assert len(sub) == 7 and {q.type for q in sub} == set(scoring.TYPES)
    assert scoring.stratified(qs, 100) == sorted(qs, key=lambda q: (int(q.id[-1]), scoring.TYPES.index(q.type)))


# ---------------------------------------------------------------- scoring

@pytest.mark.parametrize(("expected", "unit", "value", "got_unit", "ok"), [
    (200, "张", 200.0, "张", True),
    (200, "张", 200.0, "家", False),
    (200, "张", None, None, False),
    (537000000, "元", 537000000.4, "元", True),
    (537000000, "元", 537001000, "元", False),
    (0.5, "%", 0.5, "%", True),
    (0.5, "%", 50, "%", False),
    (0, "对", 0.0, "对", True),
    (0, "对", 1e-3, "对", False),
    (8.2, "个百分点", 8.2, "百分点", True),
    (71000, "人", 71000.0, "名", True),  # people, whatever their classifier
    (71000, "人", 71000.0, "人次", False),
])
def test_values_match(expected, unit, value, got_unit, ok):
    assert scoring.values_match(expected, unit, value, got_unit) is ok


@pytest.mark.parametrize(("quote", "text", "ok"), [
    ("新增760张养老床位", BAOSHAN, True),
    ("新增760张养老床位", "落实项目,新增 760 张养老床位,改建", True),  # raw: spaces, half-width
    ("新增760张养老床位", "新增\n760张养老\n床位", True),  # line broken at a page end
    ("新增760张养老床位", "新增７６０张养老床位", True),  # full-width digits: the cleaner's forms
    ("（一）新增760张养老床位", "(一)新增760张养老床位", True),  # half-width brackets around CJK
    ("落实为民办实事项目，新增760张养老床位", "项目，新增760张养老床位，改建", True),  # most, one run
    ("落实为民办实事项目，新增760张养老床位", "落实为民办实事项目，完成其他", False),  # too little
    ("新增760张养老床位", PUTUO, False),
    ("", PUTUO, False),
])
def test_passage_match(quote, text, ok):
    assert scoring.passage_match(quote, text) is ok


def test_first_rank_and_retrieval_scores():
    texts = [PUTUO, BAOSHAN, "其他"]
    assert scoring.first_rank(["新增760张养老床位"], texts) == 2
    assert scoring.first_rank(["计划新增200张养老床位", "新增760张养老床位"], texts) == 1
    assert scoring.first_rank(["不存在的句子啊"], texts) == 0
    s = scoring.retrieval_scores([1, 2, 0, 6])
    assert s["hit@1"] == 0.25 and s["hit@5"] == 0.5 and s["n"] == 4
    assert s["mrr"] == pytest.approx((1 + 0.5 + 1 / 6) / 4)
    assert scoring.retrieval_scores([])["hit@5"] is None


@pytest.mark.parametrize(("values", "p", "expected"), [
    ([5.0], 50, 5.0), ([1, 2, 3, 4], 50, 2), ([1, 2, 3, 4], 95, 4), (list(range(1, 101)), 95, 95),
    ([], 50, None),
])
def test_percentile(values, p, expected):
    assert scoring.percentile(values, p) == expected


def _cit(text: str) -> Citation:
    return Citation(doc_id="d1", doc_title="普陀", section="二", text=text, start=0, end=len(text))


NUM = GoldQuestion(id="n", question="?", type="numeric", answer="200张", value=200, unit="张",
                   quotes=("计划新增200张养老床位",))
TXT = GoldQuestion(id="t", question="?", type="text", answer="长征、桃浦", quotes=("长征、桃浦两镇",),
                   keywords=("长征", "桃浦"))
CMP = GoldQuestion(id="c", question="?", type="cross_doc", answer="宝山", value=760, unit="张",
                   quotes=("新增760张养老床位", "新增床位200张"), keywords=("宝山",))
UNA = GoldQuestion(id="u", question="?", type="unanswerable")
RATE = GoldQuestion(id="r", question="设施面积达到每千人多少平方米？", type="numeric", answer="61平方米", value=61,
                    unit="平方米", quotes=("面积达到61平方米/千人",))


@pytest.mark.parametrize(("q", "answer", "ok"), [
    (NUM, Answer("?", "200张", value=200, unit="张"), True),
    (NUM, Answer("?", "140张", value=140, unit="张"), False),
    (NUM, Answer("?", "没有找到", refused=True), False),
    (TXT, Answer("?", "长征和桃浦两个镇"), True),
    (TXT, Answer("?", "见引文", citations=(_cit("指导长征、桃浦两镇"),)), True),
    (TXT, Answer("?", "长征镇"), False),
    (CMP, Answer("?", "宝山区最多，760张", value=760, unit="张"), True),
    (CMP, Answer("?", "长宁区最多，760张", value=760, unit="张"), False),
    (UNA, Answer("?", "文件中没有", refused=True), True),
    (UNA, Answer("?", "200张", value=200, unit="张"), False),
    (RATE, Answer("?", "61平方米/千人", value=61, unit="平方米/千人"), True),  # the question names the rate
    (replace(RATE, question="设施面积达到多少平方米？"), Answer("?", "61平方米/千人", value=61, unit="平方米/千人"), False),
])
def test_is_correct(q, answer, ok):
    assert scoring.is_correct(q, answer) is ok


@pytest.mark.parametrize(("q", "citations", "ok"), [
    (NUM, [PUTUO], True),
    (NUM, ["新增200张养老床位"], True),  # a piece of the quote that shows the figure
    (NUM, ["计划新增"], False),
    (NUM, [BAOSHAN], False),
    (NUM, [], False),
    (CMP, [BAOSHAN, "落实养老床位建设，新增床位200张"], True),
    (CMP, [BAOSHAN], False),  # one source of two
])
def test_cites_gold(q, citations, ok):
    assert scoring.cites_gold(q, Answer("?", "x", citations=tuple(_cit(c) for c in citations))) is ok


# ---------------------------------------------------------------- a full run against a fake engine

def _chunk(text: str) -> Chunk:
    return Chunk(chunk_id=text[:4], doc_id="d", doc_title="t", source="s.txt", section=(), text=text, start=0,
                 end=len(text), district=None, years=(), doc_type=None)


class CannedEngine:
    """Fake of the engine boundary: a fixed Answer and hit list per question."""

    def __init__(self, answers: dict[str, Answer], hits: dict[str, list[str]], broken: str | None = None):
        self.answers, self.hits, self.broken = answers, hits, broken
        self.asked: list[tuple[str, list]] = []

    def ask(self, question, history=()):
        self.asked.append((question, list(history)))
        if question == self.broken:
            raise RuntimeError("index exploded")
        return self.answers[question]

    def search(self, text, k=None):
        return [Hit(chunk=_chunk(t), score=1.0, rank=i) for i, t in enumerate(self.hits.get(text, [])[:k], 1)]


GOLD = [
    GoldQuestion(id="n1", question="普陀24年新增多少养老床位？", type="numeric", answer="200张", value=200,
                 unit="张", quotes=("计划新增200张养老床位",)),
    GoldQuestion(id="n2", question="宝山22年改建多少认知症床位？", type="numeric_trap", answer="180张",
                 value=180, unit="张", quotes=("改建180张认知障碍照护床位",)),
    GoldQuestion(id="u1", question="徐汇22年新增多少养老床位？", type="unanswerable"),
    GoldQuestion(id="f1", question="那宝山呢？", type="followup", history=("普陀24年新增多少养老床位？",),
                 answer="760张", value=760, unit="张", quotes=("新增760张养老床位",)),
    GoldQuestion(id="t1", question="普陀哪两个镇？", type="text", answer="长征、桃浦",
                 quotes=("长征、桃浦两镇",), keywords=("长征", "桃浦")),
]


def _engine(broken: str | None = None) -> CannedEngine:
    answers = {
        "普陀24年新增多少养老床位？": Answer("?", "200张", value=200, unit="张", citations=(_cit(PUTUO),)),
        "宝山22年改建多少认知症床位？": Answer("?", "760张", value=760, unit="张",
                                             citations=(_cit(BAOSHAN),)),
        "徐汇22年新增多少养老床位？": Answer("?", "文件中没有徐汇区的内容", refused=True),
        "那宝山呢？": Answer("?", "760张", value=760, unit="张", citations=(_cit(BAOSHAN),)),
        "普陀哪两个镇？": Answer("?", "文件中没有", refused=True),
    }
    hits = {"普陀24年新增多少养老床位？": [BAOSHAN, PUTUO], "宝山22年改建多少认知症床位？": [BAOSHAN],
            "普陀哪两个镇？": ["无关"]}
    return CannedEngine(answers, hits, broken)


def test_run_eval_scores_and_writes_the_report(tmp_path):
    engine = _engine()
    report = ev.run_eval(engine, GOLD, tmp_path, baseline={"hit@1": 0.5, "hit@5": 0.7, "mrr": 0.6, "n": 3})
    by_id = {r.id: r for r in report.results}
    assert [r.id for r in report.failures] == ["n2", "t1"]
    assert by_id["n1"].correct and by_id["n1"].cited and by_id["n1"].rank == 2
    assert by_id["n2"].got_value == 760 and by_id["n2"].rank == 1 and by_id["n2"].cited
    assert by_id["f1"].rank is None and by_id["u1"].rank is None and by_id["t1"].rank == 0
    assert ("那宝山呢？", ["普陀24年新增多少养老床位？"]) in engine.asked
    m = report.metrics
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["numeric_exact_match"] == 0.5
    assert m["refusal_accuracy"] == 1.0 and m["false_refusal_rate"] == 0.25
    assert m["followup_accuracy"] == 1.0 and m["text_match"] == 0.0
    assert m["citation_precision"] == 1.0  # n2 cites the right passage although its figure is wrong
    assert m["hit@1"] == pytest.approx(1 / 3) and m["hit@5"] == pytest.approx(2 / 3)
    assert m["latency_p50_ms"] is not None
    assert report.counts == {"numeric": 1, "numeric_trap": 1, "unanswerable": 1, "followup": 1, "text": 1}

    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "![accuracy per question type](report.png)" in md
    assert "cover the 3 answerable single-passage questions" in md
    assert "| n2 | numeric_trap | 宝山22年改建多少认知症床位？ | 180张 | 760 张" in md
    assert "| t1 | text | 普陀哪两个镇？ | 长征、桃浦 | （拒答） |" in md
    assert "| retrieval hit@5 | 66.7% | 70.0% |" in md
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["failures"] == ["n2", "t1"] and len(data["results"]) == 5
    assert (tmp_path / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_an_engine_error_is_a_listed_failure_not_the_end(tmp_path):
    report = ev.run_eval(_engine(broken="普陀24年新增多少养老床位？"), GOLD, tmp_path)
    n1 = next(r for r in report.results if r.id == "n1")
    assert not n1.correct and n1.error == "RuntimeError: index exploded"
    assert len(report.results) == 5
    assert "RuntimeError: index exploded" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_cli_eval_prints_a_summary(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "putuo.txt").write_text(PUTUO, encoding="utf-8")
    (corpus / "baoshan.txt").write_text(BAOSHAN, encoding="utf-8")
    rows = [_row(id="n1", doc="putuo.txt"),
            _row(id="u1", type="unanswerable", question="徐汇22年新增多少养老床位？", answer=None, value=None,
                 unit=None, quote=None, doc=None)]
    _write(tmp_path, rows, name="questions.jsonl")
    settings = Settings(corpus_dir=corpus, eval_dir=tmp_path)
    monkeypatch.setattr(ev, "build_engine", lambda s: _engine())
    assert ev.cli_eval(settings, subset=None, with_baseline=False) == 0
    out = capsys.readouterr().out
    assert "overall accuracy" in out and "100.0%" in out and "2 questions, 0 failures" in out
    assert (tmp_path / "report.md").exists()


