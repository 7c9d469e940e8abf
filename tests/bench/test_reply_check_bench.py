"""How well the LLM-reply checks tell wrong replies from right ones (printed, not asserted).

The set (`tests/data/reply_check_cases.jsonl`) was written by hand before the checks were run on
it: shipped passages with deliberately wrong replies (invented names, agencies and measures,
wrong or added numerals, refusals, prompt echoes, replies that repeat the question, one wrong pick
of a name the passage does hold) and right rewordings. A reply is rejected when the generator's
`check` falls back to the offline answer. Run with `make bench` or
`pytest tests/bench/test_reply_check_bench.py -s -o addopts=""`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.answer.generation import OpenAIGenerator
from assistant.answer.llm_client import Reply
from assistant.answer.verification import unsupported_terms
from assistant.core.settings import Settings
from assistant.core.types import Answer, Citation

DATA = Path(__file__).resolve().parents[1] / "data"


def _offline(case: dict) -> Answer:
    cit = Citation(doc_id="d", doc_title=case["doc_title"], section=case["section"], text=case["text"], start=0,
                   end=len(case["text"]))
    return Answer(question=case["question"], text=f"据《{case['doc_title']}》：{case['text']}", citations=(cit,))


@pytest.mark.parametrize("name", ["reply_check_cases", "reply_check_holdout"])
def test_reply_check_precision_on_wrong_replies(name):
    """`reply_check_cases` was the set the checks were refined on; `reply_check_holdout` was written after."""
    if not (DATA / f"{name}.jsonl").is_file():
        pytest.skip(f"tests/data/{name}.jsonl is not in the repository (never committed, lost on 2026-12-01): "
                    "write a new set in the format this test reads to measure the checks again")
    cases = [json.loads(line) for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    print(f"\n{name}: {len(cases)} replies")
    gen = OpenAIGenerator(Settings(generator="openai"))  # no request is made: only `check` runs
    outcome: Counter = Counter()
    by_kind: dict[str, list[int]] = {}
    terms_only: Counter = Counter()
    for case in cases:
        offline = _offline(case)
        final = gen.check(Reply(case["reply"], "stop"), offline, case["question"])
        rejected = final.backend == "offline"
        outcome[(case["label"], rejected)] += 1
        if case["label"] == "wrong":
            by_kind.setdefault(case["kind"], []).append(rejected)
        supports = [case["question"], offline.text, case["doc_title"], case["section"], gen.own_wording]
        terms_only[(case["label"], bool(unsupported_terms(case["reply"], supports)))] += 1
        mark = "rejected" if rejected else "accepted"
        print(f"{case['label']:5} {mark:8} {case['kind']:24} {case['reply'][:40]}  {final.notes[-1] if rejected else ''}")
    tp, fn = outcome[("wrong", True)], outcome[("wrong", False)]
    fp, tn = outcome[("right", True)], outcome[("right", False)]
    print(f"\nall checks: {tp}/{tp + fn} wrong replies rejected (recall {tp / (tp + fn):.0%}); "
          f"{fp}/{fp + tn} right replies rejected; precision of a rejection {tp / max(1, tp + fp):.0%}")
    ttp, tfp = terms_only[("wrong", True)], terms_only[("right", True)]
    print(f"term-support check alone: {ttp}/{tp + fn} wrong flagged, {tfp}/{fp + tn} right flagged, "
          f"precision {ttp / max(1, ttp + tfp):.0%}")
    for kind, results in sorted(by_kind.items()):
        print(f"  {kind:26} {sum(results)}/{len(results)} rejected")
