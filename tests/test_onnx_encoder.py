"""The int8 ONNX encoder: a real export of the bundled model, compared with the torch encoder."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from embeddings import encoder as encoder_module
from embeddings import onnx_encoder
from embeddings.encoder import (
    BUNDLED_MODEL,
    EncoderError,
    SentenceTransformerEncoder,
    bundled_model_dir,
    encode_spans,
    load_encoder,
)
from embeddings.onnx_encoder import ONNX_FILENAME, OnnxEncoder, default_cache_dir

pytestmark = pytest.mark.slow  # one real export (~15 s) and the torch model for the session

NEWS = [
    "The Federal Reserve held interest rates steady on Wednesday, signalling two cuts later this year.",
    "Apple unveiled a thinner iPhone at its Cupertino event, but analysts questioned the price.",
    "Floods in southern Brazil have displaced more than 500,000 people, officials said.",
    "Manchester City won the Premier League title for a fourth consecutive season.",
    "OpenAI's board said the chief executive would return after a week of turmoil.",
    "Shares of Nvidia rose 6% after the chipmaker forecast revenue above Wall Street estimates.",
    "A magnitude 7.4 earthquake struck off the coast of Taiwan early on Wednesday.",
    "Election officials in Pennsylvania began counting mail-in ballots on Tuesday morning.",
]
LONG = " ".join(NEWS * 8)  # ~600 word pieces: truncated at 256


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def onnx(cache_dir: Path) -> OnnxEncoder:
    """The bundled model exported once for the whole session."""
    encoder = OnnxEncoder(bundled_model_dir(), cache_dir, name=BUNDLED_MODEL)
    encoder.prepare()
    return encoder


@pytest.fixture(scope="session")
def torch_encoder() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(BUNDLED_MODEL)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def test_interface_matches_torch(onnx: OnnxEncoder, torch_encoder: SentenceTransformerEncoder) -> None:
    assert onnx.name == BUNDLED_MODEL
    assert onnx.backend == "onnx-int8-v2"
    assert onnx.dimension == torch_encoder.dimension == 384
    assert onnx.max_tokens == torch_encoder.max_tokens == 256
    assert onnx.count_tokens([*NEWS, LONG]) == torch_encoder.count_tokens([*NEWS, LONG])
    assert onnx.onnx_path.parent.name == encoder_module.BUNDLED_SHA256[:16]


def test_agrees_with_torch(onnx: OnnxEncoder, torch_encoder: SentenceTransformerEncoder) -> None:
    vectors = onnx.encode(NEWS)
    assert vectors.dtype == np.float32 and vectors.shape == (len(NEWS), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert cosines(vectors, torch_encoder.encode(NEWS)).mean() >= 0.98


def test_order_is_kept_across_lengths(onnx: OnnxEncoder) -> None:
    texts = ["Rates.", LONG, NEWS[0], "Storm hits coast.", NEWS[3] * 3, NEWS[5]]
    together = onnx.encode(texts, batch_size=2)
    alone = np.vstack([onnx.encode([t]) for t in texts])
    # Dynamic int8 quantisation scales activations per batch, so batch-mates shift a vector a
    # little; each row must still be its own text's vector.
    similarity = together @ alone.T
    assert list(similarity.argmax(axis=1)) == list(range(len(texts)))
    assert similarity.diagonal().min() > 0.98


def test_long_text_truncated_like_torch(onnx: OnnxEncoder, torch_encoder: SentenceTransformerEncoder) -> None:
    assert onnx.count_tokens([LONG])[0] > 256
    longer = onnx.encode([LONG + " A tail the model never sees, however long it gets."])
    np.testing.assert_allclose(onnx.encode([LONG]), longer, atol=1e-6)
    assert cosines(longer, torch_encoder.encode([LONG]))[0] >= 0.98


def test_empty_input(onnx: OnnxEncoder) -> None:
    vectors = onnx.encode([])
    assert vectors.shape == (0, 384) and vectors.dtype == np.float32


def test_progress_bar_and_bad_batch_size(onnx: OnnxEncoder) -> None:
    assert onnx.encode(NEWS, batch_size=3, show_progress=True).shape == (len(NEWS), 384)
    with pytest.raises(ValueError, match="batch_size"):
        onnx.encode(NEWS, batch_size=0)


def test_cached_model_is_reused(onnx: OnnxEncoder, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mtime = onnx.onnx_path.stat().st_mtime_ns

    def no_export(*args: object) -> None:
        raise AssertionError("the cached model was exported again")

    monkeypatch.setattr(onnx_encoder, "_export_fp32", no_export)
    again = OnnxEncoder(bundled_model_dir(), cache_dir, name=BUNDLED_MODEL)
    np.testing.assert_allclose(again.encode(NEWS), onnx.encode(NEWS), atol=1e-6)
    assert onnx.onnx_path.stat().st_mtime_ns == mtime


def test_cached_load_does_not_import_torch(onnx: OnnxEncoder, cache_dir: Path) -> None:
    script = (
        "import sys\n"
        "from embeddings.encoder import bundled_model_dir\n"
        "from embeddings.onnx_encoder import OnnxEncoder\n"
        f"e = OnnxEncoder(bundled_model_dir(), {str(cache_dir)!r})\n"
        "assert e.encode(['Markets rallied.']).shape == (1, 384)\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=root, check=True
    )
    assert result.stdout.strip() == "[]"


def test_crash_mid_export_leaves_no_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(model_dir: Path, target: Path) -> None:
        target.write_bytes(b"half an ONNX file")
        raise KeyboardInterrupt

    monkeypatch.setattr(onnx_encoder, "_export_fp32", crash)
    encoder = OnnxEncoder(bundled_model_dir(), tmp_path)
    with pytest.raises(KeyboardInterrupt):
        encoder.prepare()
    assert not encoder.onnx_path.exists()
    assert list(encoder.onnx_path.parent.iterdir()) == []


def test_failed_export_is_an_encoder_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(model_dir: Path, target: Path) -> None:
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(onnx_encoder, "_export_fp32", fail)
    with pytest.raises(EncoderError, match="unsupported operator"):
        OnnxEncoder(bundled_model_dir(), tmp_path).prepare()


def test_stray_temp_files_do_not_break_the_next_export(tmp_path: Path, onnx: OnnxEncoder) -> None:
    """A process killed mid-export leaves its temp dir; the next one exports anyway and tidies up."""
    model_dir = tmp_path / "cache" / onnx.onnx_path.parent.name
    stale = model_dir / ".tmp-export-killed"
    stale.mkdir(parents=True)
    (stale / "model-fp32.onnx").write_bytes(b"half an ONNX file")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    recent = model_dir / ".tmp-export-running"  # may belong to another process: left alone
    recent.mkdir()

    encoder = OnnxEncoder(bundled_model_dir(), tmp_path / "cache")
    assert encoder.encode(["Markets rallied."]).shape == (1, 384)
    assert sorted(p.name for p in model_dir.iterdir()) == [".tmp-export-running", ONNX_FILENAME]


def test_default_cache_dir() -> None:
    assert default_cache_dir({"QA_CACHE_DIR": "/srv/qa"}) == Path("/srv/qa")
    assert default_cache_dir({}) == Path.home() / ".cache" / "qa" / "onnx"


def test_load_encoder_backends(onnx: OnnxEncoder, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch_encoder = load_encoder(BUNDLED_MODEL, backend="torch")
    assert isinstance(torch_encoder, SentenceTransformerEncoder) and torch_encoder.backend == "torch"  # type: ignore[attr-defined]
    for backend in ("onnx", "auto"):
        chosen = load_encoder(BUNDLED_MODEL, backend=backend, cache_dir=cache_dir)
        assert isinstance(chosen, OnnxEncoder) and chosen.onnx_path == onnx.onnx_path
    # Another model (here: the same files under a path name) gets torch under "auto".
    assert isinstance(load_encoder(str(bundled_model_dir()), cache_dir=cache_dir), SentenceTransformerEncoder)
    with pytest.raises(ValueError, match="backend"):
        load_encoder(BUNDLED_MODEL, backend="tensorrt")


def test_auto_falls_back_to_torch_without_onnxruntime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    with caplog.at_level("INFO", logger="embeddings.encoder"):
        chosen = load_encoder(BUNDLED_MODEL, backend="auto", cache_dir=tmp_path)
    assert isinstance(chosen, SentenceTransformerEncoder)
    assert "on torch" in caplog.text and "pip install onnxruntime" in caplog.text
    with pytest.raises(EncoderError, match="pip install onnxruntime"):
        load_encoder(BUNDLED_MODEL, backend="onnx", cache_dir=tmp_path)


def test_texts_encoded_in_parallel_equal_texts_encoded_one_by_one(onnx: OnnxEncoder, cache_dir: Path) -> None:
    texts = [*NEWS, LONG, *reversed(NEWS)]
    serial = OnnxEncoder(bundled_model_dir(), cache_dir, name=BUNDLED_MODEL, threads=1)
    parallel = OnnxEncoder(bundled_model_dir(), cache_dir, name=BUNDLED_MODEL, threads=3)
    one_by_one = np.vstack([serial.encode([t]) for t in texts])
    assert np.array_equal(serial.encode(texts), one_by_one)
    assert np.array_equal(parallel.encode(texts), one_by_one)
    assert load_encoder(backend="onnx", cache_dir=cache_dir, threads=1).threads == 1


def test_one_set_of_worker_threads_serves_every_call(cache_dir: Path) -> None:
    parallel = OnnxEncoder(bundled_model_dir(), cache_dir, name=BUNDLED_MODEL, threads=2)

    def workers() -> set[threading.Thread]:
        # The threads themselves: an earlier encoder's finished worker can leave its ident to a new one.
        return {t for t in threading.enumerate() if t.name.startswith("onnx-encode")}

    before = workers()
    first = parallel.encode(NEWS)
    started = workers() - before
    assert np.array_equal(parallel.encode(NEWS), first)
    assert len(started) == 2 and workers() - before == started
    # Callers share the workers at once, each getting its own texts' vectors.
    lists = [NEWS, list(reversed(NEWS)), [LONG, *NEWS[:3]]] * 2
    with ThreadPoolExecutor(len(lists)) as callers:
        together = list(callers.map(parallel.encode, lists))
    for texts, vectors in zip(lists, together, strict=True):
        assert np.array_equal(vectors, np.vstack([parallel.encode([t]) for t in texts]))
    assert workers() - before == started


def test_the_export_fuses_and_quantises_attention(onnx: OnnxEncoder) -> None:
    import onnx as onnx_format

    ops = {node.op_type for node in onnx_format.load(str(onnx.onnx_path)).graph.node}
    assert {"QAttention", "QEmbedLayerNormalization", "LayerNormalization", "MatMulInteger"} <= ops
    assert not {"SkipLayerNormalization", "BiasGelu"} & ops  # slower than what they fuse


def test_spans_are_pooled_from_one_pass_over_the_text(
    onnx: OnnxEncoder, torch_encoder: SentenceTransformerEncoder
) -> None:
    text = "Did TechCrunch report that Google was sued, while The Verge says Epic won the trial?"
    spans = [(27, 42), (56, 83)]  # "Google was sued", "says Epic won the trial?"
    for encoder in (onnx, torch_encoder):
        pooled = encode_spans(encoder, text, spans)
        alone = encoder.encode([text, text[27:42], text[56:83]])
        assert pooled.shape == (3, encoder.dimension)
        assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-5)
        assert float(pooled[0] @ alone[0]) > 0.9999  # the text's own vector, as encode gives it
        # Each span is read in the text's context: near its text encoded alone, nearer than to
        # the other span's, and not the whole text's.
        near = pooled[1:3] @ alone[1:3].T
        assert near[0, 0] > max(near[0, 1], 0.7) and near[1, 1] > max(near[1, 0], 0.6)
        assert float(pooled[1] @ pooled[0]) < 0.95
        # A span past what the model reads of a long text is encoded alone.
        long = "The council met again. " * 80 + text
        tail = encode_spans(encoder, long, [(len(long) - len(text) + 27, len(long) - len(text) + 42)])
        assert float(tail[1] @ alone[1]) > 0.999


def test_a_question_runs_on_every_worker_core_with_threads_that_sleep_when_idle(onnx: OnnxEncoder) -> None:
    """`token_states` (one question, its reader waiting) runs on `threads` intra-op threads that do
    not spin; `encode` keeps one intra-op thread per text, its texts spread over its workers."""
    question = onnx._one_text_session.get_session_options()
    assert question.intra_op_num_threads == onnx.threads
    assert question.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert onnx._session.get_session_options().intra_op_num_threads == 1


def test_a_model_that_does_not_pool_by_the_mean_encodes_the_spans_alone(
    torch_encoder: SentenceTransformerEncoder,
) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Pooling, Transformer

    word = Transformer(str(bundled_model_dir()))
    cls = SentenceTransformerEncoder(str(bundled_model_dir()))
    cls.__dict__["_model"] = SentenceTransformer(  # the bundled weights, read by their first token
        modules=[word, Pooling(torch_encoder.dimension, pooling_mode="cls")], device="cpu"
    )
    text = "The council met in Jinan, and it signed 20 memorandums."
    assert torch_encoder.token_states(text) is not None and cls.token_states(text) is None
    assert np.allclose(encode_spans(cls, text, [(4, 11)]), cls.encode([text, "council"]), atol=1e-6)


def test_an_encoder_without_token_states_encodes_the_spans_alone(onnx: OnnxEncoder) -> None:
    class TextsOnly:  # a caller's own encoder, which has only `encode`: the real model underneath
        dimension = onnx.dimension

        def encode(self, texts: list[str]) -> np.ndarray:
            return onnx.encode(texts)

    text = "The council met in Jinan, and it signed 20 memorandums."
    pooled = encode_spans(TextsOnly(), text, [(4, 11)])  # type: ignore[arg-type]
    assert np.allclose(pooled, onnx.encode([text, "council"]))
