"""A sentence-transformers model run by ONNX Runtime: exported once (optionally int8), cached, then embedding by
ONNX Runtime alone (the torch model is still loaded at start, for its tokenizer and length limit).

sentence-transformers' own `backend="onnx"` needs Optimum to export, and no Optimum release on the registry
exports under transformers 5 (`optimum-onnx` 0.1.0 pins transformers 4; the `optimum-onnx-naf` fork's patched
attention mask fails on 5.24). So this module exports with `torch.onnx` itself: the transformer, the model's
pooling (mean or CLS) and L2 normalisation in one graph, then ONNX Runtime's `quantize_dynamic` (int8 weights,
per channel) when asked. The file is cached under the model cache, named by a digest of the model's files and
the export recipe, and written atomically, so concurrent first runs cannot leave a torn file.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np

from rag.embed import SentenceTransformerEmbedder, count_tokens
from rag.errors import ConfigError
from rag.models import derived_path

RECIPE = 1  # bump when the export changes, so cached files are rebuilt


def _model_files(folder: Path) -> list[Path]:
    """The model's weight and config files (what decides the exported graph)."""
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in {".safetensors", ".bin", ".json"}]


def _pooling(model) -> str:
    """'mean' or 'cls', read from the sentence-transformers Pooling module (v6 names it; v5 has flags)."""
    for module in model:
        mode = getattr(module, "pooling_mode", None)
        if mode is None and getattr(module, "pooling_mode_mean_tokens", False):
            mode = "mean"
        if mode is None and getattr(module, "pooling_mode_cls_token", False):
            mode = "cls"
        if mode in ("mean", "cls"):
            return mode
    raise ConfigError("the ONNX backend supports models with mean or CLS pooling only")


def export(model, target: Path, quantize: bool) -> None:
    """Write `model` (a SentenceTransformer) as one ONNX graph from token ids to unit vectors, at `target`."""
    import torch

    transformer = model[0].auto_model
    pooling = _pooling(model)
    names = list(model.tokenizer.model_input_names)

    class Embed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            kwargs = dict(zip(names, inputs))
            hidden = self.transformer(**kwargs).last_hidden_state
            if pooling == "cls":
                vector = hidden[:, 0]
            else:
                mask = kwargs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                vector = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(vector, dim=-1)

    sample = model.tokenizer(["an example", "a second, longer example"], padding=True, return_tensors="pt")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        plain = Path(tmp) / "model.onnx"
        eager = transformer.config._attn_implementation
        transformer.config._attn_implementation = "eager"  # the sdpa mask helpers do not trace
        try:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tracer warnings about shapes: the axes are declared dynamic
                torch.onnx.export(
                    Embed().eval(),
                    tuple(sample[n] for n in names),
                    str(plain),
                    input_names=names,
                    output_names=["embedding"],
                    dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}},
                    opset_version=17,
                    dynamo=False,
                )
        finally:
            transformer.config._attn_implementation = eager
        final = plain
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            final = Path(tmp) / "model-int8.onnx"
            root = logging.getLogger()
            handlers = list(root.handlers)
            root.handlers[:] = [logging.NullHandler()]  # its advice goes to logging.warning(), which would
            try:  # otherwise install a root handler that prints every library's debug lines from then on
                quantize_dynamic(plain, final, weight_type=QuantType.QInt8, per_channel=True)
            finally:
                root.handlers[:] = handlers
        os.replace(final, target)


class OnnxEmbedder:
    """The `Embedder` interface over an ONNX Runtime session; same tokenizer and length limit as the torch model."""

    def __init__(self, location: Path, name: str, quantize: bool, batch_size: int = 32):
        torch_side = SentenceTransformerEmbedder(str(location), "cpu", batch_size)  # offline, quiet, checked
        model = torch_side.model  # kept only to export; the tokenizer and the length limit stay
        self.name = name
        self.tokenizer = model.tokenizer
        self.max_tokens = torch_side.max_tokens
        self.batch_size = batch_size
        self.input_names = list(self.tokenizer.model_input_names)
        label = "int8" if quantize else "fp32"
        slug = re.sub(r"[^a-zA-Z0-9]+", "-", Path(name).name).strip("-")
        self.path = derived_path("onnx", slug, _model_files(location), [RECIPE, label], f"-{label}.onnx")
        if not self.path.exists():
            try:
                export(model, self.path, quantize)
            except ConfigError:
                raise
            except Exception as exc:
                raise ConfigError(f"cannot export {name!r} to ONNX ({exc})") from exc
        del model, torch_side
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths share a batch: less padding
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            idx = order[start : start + self.batch_size]
            enc = self.tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np"
            )
            (vectors,) = self.session.run(None, {n: enc[n].astype(np.int64) for n in self.input_names})
            if out.shape[1] == 0:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[idx] = vectors
        return out.tolist()

    def count_tokens(self, texts: list[str]) -> list[int]:
        return count_tokens(self.tokenizer, texts)
