"""How much each signal of `features.py` counts: one small fitted linear model, and its threshold.

The weights live in `assistant/data/answer_weights.json`, written by `eval/fit_weights.py` from the
questions of several corpora (the held-out corpus excluded). The model is logistic regression:
p = 1 / (1 + exp(-(bias + Σ wᵢ·xᵢ))) is the chance that a candidate figure answers the question;
the best candidate is answered when p ≥ `threshold`, else the answer is "the documents do not say".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.answer.features import FEATURES
from assistant.core.errors import ConfigError

WEIGHTS_FILE = Path(__file__).resolve().parents[1] / "data" / "answer_weights.json"


@dataclass(frozen=True)
class Model:
    weights: dict[str, float]
    bias: float
    threshold: float
    text_threshold: float

    def probability(self, x: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in x.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


@lru_cache(maxsize=4)
def load_model(path: Path = WEIGHTS_FILE) -> Model:
    """The fitted model; a missing or malformed file is a configuration error naming the fix."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        weights = {k: float(v) for k, v in data["weights"].items()}
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}")
        return Model(weights, float(data["bias"]), float(data["threshold"]), float(data["text_threshold"]))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"答案打分权重文件 {path} 无法读取（{e}）：请运行 python eval/fit_weights.py 重新拟合，"
                          "或从代码库恢复该文件。") from e
