"""An int8-quantised ONNX export of a sentence-transformers BERT model, run with onnxruntime.

The export (torch) happens once per set of weights and is cached; later runs load the cached
file with onnxruntime and `tokenizers` only, so they never import torch. Export recipe: the
model's eager attention is traced (torch.onnx.export), onnxruntime's transformer optimizer fuses
attention, embedding and layer norms, and the weights are quantised to int8 per channel.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import numpy as np

from embeddings.encoder import EncoderError, TokenCounting

log = logging.getLogger(__name__)

# The export recipe's name: a store records it, and a new recipe (new vectors) gets a new name.
RECIPE = "onnx-int8-v2"
ONNX_FILENAME = f"model-{RECIPE}.onnx"
def reopen_advice(stored_model: str, stored_backend: str, model: str) -> str:
    """How a store built with another model or backend can still be opened, if it can (the
    store words its mismatch error with this, knowing no backend names itself)."""
    if stored_model != model:
        return "Open it with that model, or rebuild"
    if stored_backend == "torch":
        return "Open it with backend 'torch' (QA_BACKEND=torch), or rebuild"
    if stored_backend == RECIPE:
        return "Open it with backend 'onnx' (QA_BACKEND=onnx), or rebuild"
    return "Its vectors come from an earlier ONNX export that this version no longer makes; rebuild"


# onnxruntime's own graph fusions that this recipe keeps out. Measured here (1.32, one thread,
# 256-token texts): its SkipLayerNormalization kernel took 724 us where Add + LayerNormalization
# took 103 us, and BiasGelu ~1000 us where Add + Gelu took ~710 us. With both left unfused the
# model encoded 1.2-1.5x faster than with them, the two exports timed in turns in one process (two
# workers), and agrees with torch as closely (cosine 0.9946 mean on news text).
UNFUSED = ("SkipLayerNormFusion", "BiasGeluFusion")
# Opset 17 is the newest the legacy TorchScript exporter targets well and every onnxruntime >= 1.14 runs.
OPSET = 17
# Parallelism, measured with bench/encoders.py on this 2-core machine (quiet): one session
# running one 256-token text at a time with 1 intra-op thread did 35-41 texts/s, and 2 intra-op
# threads gave no more (the matrices of one text are too small to split well); two texts run at
# once from two Python threads, each on 1 intra-op thread, did 72-78/s. So: the session computes
# on its caller's thread, and `encode` runs one text per worker thread, one worker per core
# (capped at 4). onnxruntime releases the GIL while it runs, and a session may run concurrently.
DEFAULT_THREADS = max(1, min(4, os.cpu_count() or 1))
# One text per run by default. Dynamic int8 quantisation scales activations over the whole input
# tensor, so in a batch a text's vector shifts with its batch-mates (cosine ~0.986 between batch 1
# and 32): one text per run makes a vector a function of its text alone, as the embedding cache
# keyed by text assumes. It is also faster here: no padding, and onnxruntime's matrices for one
# 256-token text already fill the cores (measured 14 chunks/s at batch 1 vs 8 at batch 32, loaded machine).
DEFAULT_BATCH_SIZE = 1
_STALE_TEMP_SECONDS = 3600.0
_INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """QA_CACHE_DIR, else ~/.cache/qa/onnx."""
    env = os.environ if environ is None else environ
    root = env.get("QA_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "qa" / "onnx"


def weights_digest(model_dir: Path) -> str:
    """sha256 of the model's weights file (model.safetensors, else pytorch_model.bin)."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        path = model_dir / name
        if path.is_file():
            digest = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            return digest.hexdigest()
    raise EncoderError(
        f"No model.safetensors or pytorch_model.bin in {model_dir}; "
        "give a sentence-transformers model directory"
    )


class OnnxEncoder(TokenCounting):
    """A sentence-transformers model (BERT-style, mean pooling) as int8 ONNX on onnxruntime.

    Vectors agree with the torch backend to a cosine of about 0.995, not exactly, so an index
    records `backend` and must not be mixed with vectors of another backend or export recipe.
    """

    backend = RECIPE

    def __init__(
        self,
        model_dir: str | Path,
        cache_dir: str | Path | None = None,
        *,
        name: str | None = None,
        threads: int = DEFAULT_THREADS,
    ) -> None:
        """Args:
        model_dir: a local sentence-transformers model directory (with tokenizer.json).
        cache_dir: where `<sha256 of weights[:16]>/<ONNX_FILENAME>` is kept; default
            `default_cache_dir()`.
        name: the model name to report (e.g. "all-MiniLM-L6-v2"); default the directory name.
        threads: texts encoded at once, each on one core.
        """
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "tokenizer.json").is_file():
            raise ValueError(f"{self.model_dir} is not a model directory with a tokenizer.json")
        if threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        self.name = name or self.model_dir.name
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._check_pooling()

    def _read_json(self, relative: str) -> dict[str, Any]:
        path = self.model_dir / relative
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise EncoderError(f"Cannot read {path}: {exc}") from exc

    def _check_pooling(self) -> None:
        pooling = self.model_dir / "1_Pooling" / "config.json"
        if pooling.is_file() and not self._read_json("1_Pooling/config.json").get("pooling_mode_mean_tokens"):
            raise EncoderError(
                f"{pooling}: only mean pooling is supported by the ONNX backend; use backend='torch'"
            )

    @cached_property
    def dimension(self) -> int:
        return int(self._read_json("config.json")["hidden_size"])

    @property
    def max_tokens(self) -> int:
        return int(self._read_json("sentence_bert_config.json")["max_seq_length"])

    def _load_tokenizer(self, truncate_at: int | None) -> Any:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tokenizer.no_padding()  # padded per batch, after sorting by length
        if truncate_at is None:
            tokenizer.no_truncation()
        else:
            tokenizer.enable_truncation(truncate_at)  # special tokens kept, as in the torch backend
        return tokenizer

    @cached_property
    def _tokenizer(self) -> Any:
        return self._load_tokenizer(None)

    @cached_property
    def _truncating_tokenizer(self) -> Any:
        return self._load_tokenizer(self.max_tokens)

    @cached_property
    def onnx_path(self) -> Path:
        """Where the quantised model is (or will be) cached."""
        return self.cache_dir / weights_digest(self.model_dir)[:16] / ONNX_FILENAME

    def prepare(self) -> Path:
        """Export and quantise unless cached; load the session. Returns the ONNX file."""
        _ = self._session
        return self.onnx_path

    @cached_property
    def _session(self) -> Any:
        """The session `encode` runs, one text per worker thread, each on its caller's thread."""
        session = self._open_session(1)  # parallel across texts instead: see DEFAULT_THREADS
        log.info("Loaded %s (%s, %d workers)", self.onnx_path, self.name, self.threads)
        return session

    @cached_property
    def _one_text_session(self) -> Any:
        """The session `token_states` runs: one short text (a question) whose reader waits, on
        `threads` intra-op threads that sleep rather than spin when idle. Measured on a question
        of the benchmark (2 cores): p50 / p95 15.4 / 23.0 ms on one thread; 10.0 / 14.3 on two
        (13.0 / 20.0 with a busy process on one core, where spinning threads took 21.6 / 36.3)."""
        _ = self._session  # exports the model if it is not cached
        return self._open_session(self.threads, spin=False)

    def _open_session(self, intra_threads: int, *, spin: bool = True) -> Any:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise EncoderError(
                "The ONNX backend needs onnxruntime; run: pip install onnxruntime, or use backend='torch'"
            ) from exc
        path = self.onnx_path
        if not path.is_file():
            self._export(path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if not spin:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            return ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"], disabled_optimizers=list(UNFUSED)
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise EncoderError(f"Cannot load the ONNX model {path}: {exc}; delete it to rebuild it") from exc

    def _export(self, target: Path) -> None:
        """Export with torch, fuse, quantise per channel to int8, and move into place atomically."""
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(target.parent)
        started = time.monotonic()
        log.info("Exporting %s to int8 ONNX at %s (once per model)", self.name, target)
        work = Path(tempfile.mkdtemp(prefix=".tmp-export-", dir=target.parent))
        try:
            fp32 = work / "model-fp32.onnx"
            fused = work / "model-fused.onnx"
            int8 = work / ONNX_FILENAME
            try:
                _export_fp32(self.model_dir, fp32)
                config = self._read_json("config.json")
                source = fused if _fuse(fp32, fused, config) else fp32
                import onnx
                from onnxruntime.quantization import QuantType, quantize_dynamic

                # Per-channel int8 weights: cosine 0.995 vs torch; per-tensor gave only 0.933.
                # The fused operators are outside ONNX's type inference: their outputs are float.
                quantize_dynamic(
                    source, int8, per_channel=True, weight_type=QuantType.QInt8,
                    extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
                )
            except EncoderError:
                raise
            except Exception as exc:  # the exporters raise many unrelated types; all mean "no ONNX"
                raise EncoderError(
                    f"Exporting {self.model_dir} to ONNX failed: {exc}; use backend='torch'"
                ) from exc
            os.replace(int8, target)  # same directory: atomic, so readers never see half a file
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log.info("Exported %s in %.1f s", target, time.monotonic() - started)

    def encode(
        self, texts: Sequence[str], *, batch_size: int = DEFAULT_BATCH_SIZE, show_progress: bool = False
    ) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, in the order given.

        Texts are truncated to `max_tokens` word pieces like the torch backend, sorted by length
        so each batch pads little, and the rows put back in input order.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        session = self._session
        wanted = {i.name for i in session.get_inputs()}
        encodings = self._truncating_tokenizer.encode_batch_fast(list(texts))
        ids = [e.ids for e in encodings]
        types = [e.type_ids for e in encodings]
        order = np.argsort([len(row) for row in ids], kind="stable")
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

        def run(batch: np.ndarray) -> np.ndarray:
            width = max(len(ids[i]) for i in batch)
            feed = {name: np.zeros((len(batch), width), dtype=np.int64) for name in _INPUT_NAMES}
            for row, i in enumerate(batch):
                n = len(ids[i])
                feed["input_ids"][row, :n] = ids[i]
                feed["attention_mask"][row, :n] = 1
                feed["token_type_ids"][row, :n] = types[i]
            hidden = session.run(None, {k: v for k, v in feed.items() if k in wanted})[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

        bar = _progress(len(texts)) if show_progress else None
        pool = self._workers() if self.threads > 1 and len(batches) > 1 else None
        results = _in_order(run, batches, pool, self.threads) if pool else map(run, batches)
        try:
            for batch, vectors in zip(batches, results, strict=True):
                out[batch] = vectors
                if bar is not None:
                    bar.update(len(batch))
        finally:
            if bar is not None:
                bar.close()
        return out

    def token_states(self, text: str) -> tuple[np.ndarray, list[tuple[int, int]]] | None:
        """The model's output state of each word piece of `text` (truncated as `encode` truncates
        it, special tokens included), and each one's (start, end) in `text` ((0, 0) for a special
        token): what `embeddings.encoder.encode_spans` pools."""
        session = self._one_text_session
        wanted = {i.name for i in session.get_inputs()}
        encoding = self._truncating_tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        types = np.array([encoding.type_ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": types}
        states = session.run(None, {k: v for k, v in feed.items() if k in wanted})[0][0]
        return np.asarray(states, dtype=np.float32), [tuple(o) for o in encoding.offsets]

    def _workers(self) -> ThreadPoolExecutor:
        """The worker threads, started once and shared by every call: starting them on every
        call cost an answer's handful of sentence encodings about 3 ms."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="onnx-encode")
            return self._pool


def _in_order(
    run: Callable[[np.ndarray], np.ndarray],
    batches: Sequence[np.ndarray],
    pool: ThreadPoolExecutor,
    depth: int,
) -> Iterator[np.ndarray]:
    """`run(batch)` of each batch, in order, on `pool`, with at most `depth` of them queued at
    once: the workers are shared, and an index's thousands of chunks must not keep an answer's
    sentences waiting behind all of them. A batch not yet started is cancelled when the caller
    stops early (a failure)."""
    pending: deque[Future[np.ndarray]] = deque()
    queued = iter(batches)
    try:
        pending.extend(pool.submit(run, batch) for batch in itertools.islice(queued, depth))
        while pending:
            done = pending.popleft().result()
            pending.extend(pool.submit(run, batch) for batch in itertools.islice(queued, 1))
            yield done
    finally:
        for future in pending:
            future.cancel()


def _progress(total: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="Encoding", unit="text")


def _remove_stale_temps(directory: Path) -> None:
    """Delete leftovers of exports that crashed; recent ones may belong to a running export."""
    now = time.time()
    for path in directory.glob(".tmp-*"):
        try:
            if now - path.stat().st_mtime > _STALE_TEMP_SECONDS:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
                log.info("Removed %s, left by an interrupted export", path)
        except OSError as exc:
            log.warning("Cannot remove %s, left by an interrupted export: %s", path, exc)


def _fuse(source: Path, target: Path, config: Mapping[str, Any]) -> bool:
    """onnxruntime's BERT fusions of attention, embedding layer norm, layer norms and GELU.

    Not the skip-layer-norm and bias-GELU fusions, whose kernels are slower than the operators
    they replace (see UNFUSED). Measured here with bench/encoders.py: fusing attention took int8
    from 57 texts/s to 66, same agreement with torch. Returns False (and writes nothing) for a
    model the fusions do not recognise.
    """
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    heads, hidden = config.get("num_attention_heads"), config.get("hidden_size")
    if config.get("model_type") != "bert" or not heads or not hidden:
        return False
    options = FusionOptions("bert")
    options.enable_skip_layer_norm = options.enable_bias_skip_layer_norm = options.enable_bias_gelu = False
    model = optimize_model(
        str(source), model_type="bert", num_heads=int(heads), hidden_size=int(hidden),
        optimization_options=options,
    )
    if not model.get_fused_operator_statistics().get("Attention"):
        log.info("No attention to fuse in %s; quantising it unfused", source)
        return False
    model.save_model_to_file(str(target))
    return True


def _export_fp32(model_dir: Path, target: Path) -> None:
    """torch.onnx.export of the transformer inside the sentence-transformers model: token states out."""
    import inspect
    import warnings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    # Eager attention traces to the MatMul-Softmax pattern that onnxruntime fuses into Attention;
    # the default SDPA kernel traces to a graph it leaves unfused.
    model = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    transformer = cast(torch.nn.Module, model[0].auto_model).eval()
    takes_types = "token_type_ids" in inspect.signature(transformer.forward).parameters
    names = list(_INPUT_NAMES if takes_types else _INPUT_NAMES[:2])

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.transformer(**dict(zip(names, inputs, strict=True))).last_hidden_state

    example = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    # The legacy TorchScript exporter (dynamo=False): 2.5 s here and no onnxscript dependency;
    # the dynamo exporter gives the same vectors but takes 13 s and needs onnxscript.
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and deprecation warnings, all expected here
        torch.onnx.export(
            Wrapper(),
            example,
            str(target),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
