"""`assistant` command line: index, search, ask, batch, eval. Errors become one clear line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings, get_settings
from assistant.eval.evaluation import cli_eval
from assistant.index.embedding import get_embedder
from assistant.index.store import build_index
from assistant.ingest.loading import load_corpus
from assistant.serve.batch import cli_batch
from assistant.serve.engine import build_engine
from assistant.text.places import gazetteer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant", description="民政政策问答（离线）")
    parser.add_argument("--index-dir", help="index folder (default: ./index)")
    parser.add_argument("--corpus-dir", help="corpus folder (default: ./corpus)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build or refresh the index of the corpus folder")
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")

    p = sub.add_parser("search", help="hybrid search; no question: one question per stdin line, JSON lines out")
    p.add_argument("question", nargs="?")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("ask", help="answer a question with its sources")
    p.add_argument("question")
    p.add_argument("--history", action="append", default=[], help="an earlier question of the conversation")
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")

    p = sub.add_parser("batch", help="answer a file of questions (.jsonl .csv .xlsx)")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)

    p = sub.add_parser("eval", help="run a question set and write its report (default: the shipped gold set)")
    p.add_argument("--corpus", help="a corpus folder to evaluate instead of the shipped one (indexed apart)")
    p.add_argument("--questions", help="question file (.jsonl); default eval/questions.jsonl, or with --corpus "
                                       "eval/corpora/<folder name>/questions.jsonl")
    p.add_argument("--out", help="folder for report.md/.json/.png; default the question file's folder")
    p.add_argument("--subset", type=int, help="only the first N questions")
    p.add_argument("--no-baseline", action="store_true", help="skip the textbook llama-index baseline")

    args = parser.parse_args(argv)
    overrides = {k: v for k, v in {"index_dir": args.index_dir, "corpus_dir": args.corpus_dir}.items() if v}
    settings = get_settings(**overrides)
    try:
        return COMMANDS[args.command](settings, args)
    except AssistantError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _index(settings: Settings, args) -> int:
    def progress(frac: float, msg: str) -> None:
        print(f"[{frac:4.0%}] {msg}", file=sys.stderr)

    report = build_index(settings, get_embedder(settings), progress=progress, force=args.force)
    for line in report.skipped:
        print(f"已跳过 {line}", file=sys.stderr)
    if not report.rebuilt:
        print(f"索引已是最新（{report.documents} 篇文档，{report.chunks} 个片段）：无需重建。用时 {report.seconds:.2f} 秒")
    else:
        print(f"索引完成：{report.documents} 篇文档，{report.chunks} 个片段，{report.facts} 个数字事实；"
              f"新计算向量 {report.embedded} 个；用时 {report.seconds:.1f} 秒 → {settings.index_dir}")
        for line in document_lines(load_corpus(settings)[0]):
            print(line)
        print("如有读错，请在语料目录的 manifest.json 中按文件名更正（title、place、years、doc_type…）后重建。")
    return 0


def document_lines(documents) -> list[str]:
    """What was read of each document: title, place, years, type — for the user to check."""
    gaz = gazetteer()
    out = []
    for d in documents:
        m = d.meta
        place = gaz.path(gaz.get(m.place)) if gaz.get(m.place) else "（未识别地区）"
        years = "、".join(str(y) for y in m.years) or "（未识别年份）"
        out.append(f"  {d.source}：《{m.title}》 地区 {place} · 年份 {years} · 类型 {m.doc_type or '未识别'}")
    return out


def _search(settings: Settings, args) -> int:
    engine = build_engine(settings)
    if args.question is None:
        for line in sys.stdin:
            q = line.strip()
            if q:
                hits = engine.search(q, k=args.k)
                print(json.dumps({"question": q, "hits": [h.to_dict() for h in hits]}, ensure_ascii=False),
                      flush=True)
        return 0
    hits = engine.search(args.question, k=args.k)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return 0
    for h in hits:
        c = h.chunk
        dense = f"{h.dense_score:.3f}" if h.dense_score is not None else "-"
        kw = f"{h.keyword_score:.2f}" if h.keyword_score is not None else "-"
        print(f"#{h.rank}  {c.doc_title} › {c.section_str}  [融合 {h.score:.4f} | 向量 {dense} | 关键词 {kw}]")
        print(f"    {c.text[:300]}{'…' if len(c.text) > 300 else ''}\n")
    return 0


def _ask(settings: Settings, args) -> int:
    engine = build_engine(settings)
    t0 = time.perf_counter()
    answer = engine.ask(args.question, args.history)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.understood_as:
        print(f"（理解为：{answer.understood_as}）")
    for i, c in enumerate(answer.citations, start=1):
        print(f"\n[{i}] 《{c.doc_title}》 {c.section}\n    “{c.text}”")
    for note in answer.notes:
        print(f"\n注：{note}")
    print(f"\n（用时 {(time.perf_counter() - t0) * 1000:.0f} 毫秒）", file=sys.stderr)
    return 0


def _batch(settings: Settings, args) -> int:
    return cli_batch(settings, args.input, args.output)


def _eval(settings: Settings, args) -> int:
    return cli_eval(settings, subset=args.subset, with_baseline=not args.no_baseline, corpus=args.corpus,
                    questions=args.questions, out=args.out, index_dir_given=bool(args.index_dir))


COMMANDS = {"index": _index, "search": _search, "ask": _ask, "batch": _batch, "eval": _eval}

if __name__ == "__main__":
    sys.exit(main())
