"""Export the e5-small sentence-transformers folder to ONNX, once, into a folder beside it.

Build time only: this module imports torch, transformers and onnxruntime's quantiser, and only when
an export is needed. Serving reads the result with `onnx_embedder`, which imports neither torch nor
transformers. Layout of `<model_cache_dir>/e5-small-onnx/`:

    model.onnx        the transformer: int64 input_ids, attention_mask [batch, seq] -> last_hidden_state
    model-int8.onnx   the same with int8 weights (dynamic quantisation, per channel); made when first asked for
    transformer.onnx  model.onnx without its word-embedding lookup: float inputs_embeds [batch, seq, dim]
    word_embeddings.npy  the table that lookup read ([vocab, dim] float32), which fp32 serving memory-maps
    tokenizer.json    the folder's tokenizer, read with `tokenizers`
    embedder.json     prompts, max_seq_length, pad id, dimension, pooling, and the id of what was exported

Pooling (mean over the attention mask) and L2 normalisation are done in numpy by the embedder, as the
sentence-transformers folder's own `1_Pooling` and `2_Normalize` modules do them.

The word-embedding table is 250k rows of which Chinese text uses a few thousand, yet inside the ONNX
graph it is 384 MB of resident memory. fp32 serving therefore runs `transformer.onnx` and looks the
rows up in the memory-mapped `word_embeddings.npy`, so only the pages of tokens in use are read in.
The pair is cut out of model.onnx (`split_word_embeddings`, needs only `onnx`, no torch), so an export
made before the pair existed gets it on first load; the graph is otherwise the same, and so are the
vectors. int8 keeps model-int8.onnx whole (its table is int8, a quarter of the size).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
import warnings
from pathlib import Path

from assistant.index import e5_convert

EXPORT_FORMAT = 1  # bump when the export changes: older exports are redone
ONNX_FOLDER = "e5-small-onnx"
CONFIG = "embedder.json"
MODEL_FILES = {False: "model.onnx", True: "model-int8.onnx"}  # keyed by "int8?"
SPLIT_FILES = ("transformer.onnx", "word_embeddings.npy")  # model.onnx without / with only its lookup table
OPSET = 17


def export_id() -> str:
    """What an export was made from: the weights' source id and this module's export format."""
    return f"{e5_convert.source_id()}/onnx{EXPORT_FORMAT}"


def read_config(folder: Path) -> dict | None:
    """The folder's embedder.json, or None when it is missing or unreadable."""
    try:
        return json.loads((Path(folder) / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_exported(folder: Path, int8: bool = False) -> bool:
    """True when `folder` holds a finished export of the current weights (and its int8 model if asked)."""
    config = read_config(folder)
    if config is None or config.get("export") != export_id():
        return False
    names = (MODEL_FILES[False], "tokenizer.json") + ((MODEL_FILES[True],) if int8 else ())
    return all((Path(folder) / name).is_file() for name in names)


def is_split(folder: Path) -> bool:
    """True when `folder` holds transformer.onnx and word_embeddings.npy (written last, after the model)."""
    return all((Path(folder) / name).is_file() for name in SPLIT_FILES)


def ensure_onnx_folder(dest: Path, st_folder: Path, int8: bool = False, split: bool = False) -> Path:
    """`dest`, exported first from `st_folder` when missing or outdated (one exporter at a time);
    with `split`, also transformer.onnx and word_embeddings.npy, cut from model.onnx when missing."""
    dest = Path(dest)
    if is_exported(dest, int8) and (not split or is_split(dest)):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / f".{dest.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be exporting the same folder
        if not is_exported(dest):
            for leftover in dest.parent.glob(f".{dest.name}.tmp-*"):  # from an export that was killed
                shutil.rmtree(leftover, ignore_errors=True)
            e5_convert.ensure_st_folder(st_folder)
            export_folder(st_folder, dest)
        if int8 and not is_exported(dest, int8=True):
            quantize_int8(dest)
        if split and not is_split(dest):
            split_word_embeddings(dest)
    return dest


def export_folder(st_folder: Path, dest: Path) -> Path:
    """Write model.onnx, tokenizer.json and embedder.json from `st_folder` to `dest` (temp folder, rename)."""
    st_folder, dest = Path(st_folder), Path(dest)
    tmp = dest.parent / f".{dest.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        _export_transformer(st_folder, tmp / MODEL_FILES[False])
        shutil.copyfile(st_folder / "tokenizer.json", tmp / "tokenizer.json")
        config = folder_config(st_folder)
        (tmp / CONFIG).write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
        if dest.exists():  # an outdated export: move it aside, then drop it
            stale = dest.parent / f".{dest.name}.stale-{uuid.uuid4().hex[:8]}"
            dest.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
        tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def folder_config(st_folder: Path) -> dict:
    """What the embedder needs from a sentence-transformers folder besides the weights and tokenizer."""
    st_cfg = json.loads((st_folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    bert_cfg = json.loads((st_folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    pooling = json.loads((st_folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    model_cfg = json.loads((st_folder / "config.json").read_text(encoding="utf-8"))
    modules = json.loads((st_folder / "modules.json").read_text(encoding="utf-8"))
    mean = pooling.get("pooling_mode_mean_tokens") or pooling.get("pooling_mode") == "mean"
    if not mean or not any(m.get("type", "").endswith("Normalize") for m in modules):
        raise ValueError(f"{st_folder}: the ONNX embedder supports mean pooling with normalisation only")
    return {
        "export": export_id(),
        "prompts": st_cfg.get("prompts") or {},
        "max_seq_length": int(bert_cfg.get("max_seq_length") or model_cfg["max_position_embeddings"]),
        "pad_id": int(model_cfg["pad_token_id"]),
        "dim": int(model_cfg["hidden_size"]),
        "pooling": "mean",
        "normalize": True,
    }


def _export_transformer(st_folder: Path, path: Path) -> None:
    """torch.onnx.export of the folder's BertModel (token types all zero), dynamic batch and length."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(st_folder), local_files_only=True, attn_implementation="eager")
    model.eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=torch.zeros_like(input_ids)).last_hidden_state

    ids = torch.tensor([[0, 41, 1294, 12, 2], [0, 41, 2, 1, 1]], dtype=torch.int64)
    mask = (ids != 1).to(torch.int64)
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python conditionals it folds
        torch.onnx.export(LastHidden(model), (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes})


def split_word_embeddings(folder: Path) -> Path:
    """transformer.onnx and word_embeddings.npy from model.onnx: its input_ids lookup becomes an input.

    The Gather of the word-embedding table by input_ids is removed; what read its output reads the new
    input `inputs_embeds` instead, and the nodes that took only the shape of input_ids take that of
    attention_mask (the same [batch, seq]). Anything else reading input_ids is refused, not guessed at.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper

    folder = Path(folder)
    model = onnx.load(str(folder / MODEL_FILES[False]))
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    lookup = [n for n in graph.node if n.op_type == "Gather" and list(n.input[1:]) == ["input_ids"]
              and n.input[0] in weights and len(weights[n.input[0]].dims) == 2]
    others = [n for n in graph.node if "input_ids" in n.input and n not in lookup]
    if len(lookup) != 1 or any(n.op_type != "Shape" for n in others):
        raise ValueError(f"{folder / MODEL_FILES[False]}: no single word-embedding lookup of input_ids to split off")
    (gather,) = lookup
    table = weights[gather.input[0]]
    dim = table.dims[1]
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name == gather.output[0]:
                node.input[k] = "inputs_embeds"
            elif name == "input_ids":
                node.input[k] = "attention_mask"
    graph.node.remove(gather)
    graph.initializer.remove(table)
    ids = next(i for i in graph.input if i.name == "input_ids")
    batch, seq = (d.dim_param or d.dim_value for d in ids.type.tensor_type.shape.dim)
    embeds = onnx.helper.make_tensor_value_info("inputs_embeds", onnx.TensorProto.FLOAT, [batch, seq, dim])
    graph.input.remove(ids)
    graph.input.insert(0, embeds)
    onnx.checker.check_model(model)

    suffix = f".tmp-{uuid.uuid4().hex[:8]}"
    tmp = [folder / f".{name}{suffix}" for name in SPLIT_FILES]
    try:
        onnx.save(model, str(tmp[0]))
        with open(tmp[1], "wb") as f:
            np.save(f, np.ascontiguousarray(numpy_helper.to_array(table), dtype=np.float32))
        for t, name in zip(tmp, SPLIT_FILES, strict=True):  # the table last: is_split needs both
            os.replace(t, folder / name)
    finally:
        for t in tmp:
            t.unlink(missing_ok=True)
    return folder


def quantize_int8(folder: Path) -> Path:
    """model-int8.onnx from model.onnx: weights int8 per output channel, activations quantised at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(folder)
    out = folder / MODEL_FILES[True]
    tmp = folder / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(folder / MODEL_FILES[False]), str(tmp), weight_type=QuantType.QInt8,
                             per_channel=True)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
