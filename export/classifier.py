"""Export a classifier checkpoint to a checked ONNX artifact and register it.

    python -m export classifier --checkpoint runs/lenet_bn-quick/checkpoint.pt
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from export.common import OPSET, ParityError, export_onnx, library_versions, register
from training.data.fashion_mnist import PROVENANCE, load_fashion_mnist
from zoo.artifact import MODEL_FILE, ArtifactMeta, TensorSpec, save_meta
from zoo.classifier.config import ClassifierConfig
from zoo.classifier.model import build_model
from zoo.classifier.pipeline import INPUT_NAME, OUTPUT_NAME, ClassifierPipeline, onnx_runner, torch_runner
from zoo.classifier.processing import decode
from zoo.ops.image import encode_png
from zoo.ops.metrics import accuracy, confusion_matrix, per_class_accuracy, top_k_accuracy
from zoo.runtime import OnnxRunner


@dataclass(frozen=True)
class ExportSpec:
    """Tolerances of the classifier's export check.

    Attributes:
        batch_sizes: batch sizes the logits are compared on (at least two shapes).
        logit_atol, logit_rtol: allowed difference of onnxruntime logits from PyTorch's.
        top1_samples: test images (PNG-encoded, decoded by the service's code) on which the
            top-1 label of both runtimes must be identical.
    """

    batch_sizes: tuple[int, ...] = (1, 7)
    logit_atol: float = 1e-3
    logit_rtol: float = 1e-3
    top1_samples: int = 1000


def load_checkpoint(path: Path) -> tuple[ClassifierConfig, torch.nn.Module, dict[str, Any]]:
    """Rebuild the trained network from ``checkpoint.pt`` (weights + config + metrics)."""
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; train one with python -m training.train_classifier")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if ckpt.get("family") != "classifier":
        raise ValueError(f"{path} is a {ckpt.get('family')!r} checkpoint, not a classifier")
    config = ClassifierConfig(**{**ckpt["config"], "pretrained": False})  # weights come from the checkpoint
    model = build_model(config)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return ClassifierConfig(**ckpt["config"]), model, ckpt.get("metrics", {})


def check_parity(model: torch.nn.Module, onnx: OnnxRunner, config: ClassifierConfig, spec: ExportSpec,
                 images: np.ndarray) -> dict[str, Any]:
    """Compare the pipeline on onnxruntime with the same pipeline on PyTorch; raise on mismatch.

    Images go through PNG encoding and the service's decoding, so the check covers the whole
    road an uploaded image takes.
    """
    decoded = [decode(encode_png(im), config) for im in images[: spec.top1_samples]]
    on_ort = ClassifierPipeline(config, onnx_runner(onnx))
    on_torch = ClassifierPipeline(config, torch_runner(model))
    worst = 0.0
    for bs in spec.batch_sizes:
        a, b = on_ort.logits(decoded[:bs]), on_torch.logits(decoded[:bs])
        if a.shape != b.shape:
            raise ParityError(f"batch {bs}: onnxruntime shape {a.shape} != torch shape {b.shape}")
        worst = max(worst, float(np.max(np.abs(a - b))))
        if not np.allclose(a, b, atol=spec.logit_atol, rtol=spec.logit_rtol):
            raise ParityError(f"batch {bs}: logits differ by up to {np.max(np.abs(a - b)):.2e} "
                              f"(atol {spec.logit_atol}, rtol {spec.logit_rtol})")
    top1_ort = np.concatenate([on_ort.logits(decoded[i : i + 256]).argmax(1) for i in range(0, len(decoded), 256)])
    top1_torch = np.concatenate([on_torch.logits(decoded[i : i + 256]).argmax(1) for i in range(0, len(decoded), 256)])
    mismatches = int(np.sum(top1_ort != top1_torch))
    if mismatches:
        raise ParityError(f"top-1 differs on {mismatches} of {len(decoded)} test images")
    return {"batch_sizes": list(spec.batch_sizes), "max_abs_logit_diff": worst,
            "logit_atol": spec.logit_atol, "logit_rtol": spec.logit_rtol,
            "top1_identical_on": len(decoded)}


def onnx_test_metrics(onnx: OnnxRunner, config: ClassifierConfig, images: np.ndarray,
                      labels: np.ndarray) -> dict[str, Any]:
    """Accuracy (overall, top-2 and per class) of the exported pipeline on the test set."""
    pipe = ClassifierPipeline(config, onnx_runner(onnx))
    logits = np.concatenate([pipe.logits(list(images[i : i + 500])) for i in range(0, len(images), 500)])
    per_class = per_class_accuracy(confusion_matrix(logits.argmax(1), labels, config.num_classes))
    return {"test_accuracy_onnx": accuracy(logits, labels),
            "test_top2_accuracy_onnx": top_k_accuracy(logits, labels, 2),
            "per_class_accuracy_onnx": {name: (None if np.isnan(a) else round(float(a), 4))
                                        for name, a in zip(config.labels, per_class)}}


def export_classifier(checkpoint: Path, output: Path | None = None, *, name: str | None = None,
                      spec: ExportSpec = ExportSpec(), do_register: bool = True,
                      eval_samples: int | None = None) -> dict[str, Any]:
    """Export, check and (optionally) register one classifier; returns a summary dict.

    Args:
        checkpoint: ``checkpoint.pt`` written by ``training.train_classifier``.
        output: the artifact directory (default ``artifacts/<name>``), replaced if present.
        name: the model's name in the store (default: the architecture).
        spec: the parity check's shapes and tolerances.
        do_register: also copy the artifact into the BentoML model store.
        eval_samples: measure accuracy on the first N test images (default all 10,000).
    """
    t0 = time.perf_counter()
    config, model, train_metrics = load_checkpoint(checkpoint)
    name = name or config.arch
    output = output or Path("artifacts") / name
    test_images, test_labels = load_fashion_mnist("test")
    # The parity check always uses spec.top1_samples images; eval_samples only shortens evaluation.
    images, labels = (test_images[:eval_samples], test_labels[:eval_samples]) if eval_samples else (test_images, test_labels)

    tmp = Path(tempfile.mkdtemp(prefix=f"export-{name}-"))
    try:
        example = torch.zeros(2, config.in_channels, config.image_size, config.image_size)
        export_onnx(model, example, tmp / MODEL_FILE, input_name=INPUT_NAME, output_name=OUTPUT_NAME)
        onnx = OnnxRunner(tmp / MODEL_FILE, providers="cpu")
        parity = check_parity(model, onnx, config, spec, test_images)
        measured = onnx_test_metrics(onnx, config, images, labels)
        acc = measured["test_accuracy_onnx"]
        metrics = {**{k: v for k, v in train_metrics.items() if k not in ("hyperparameters", "data")},
                   **measured, "test_samples": len(labels)}
        side = config.image_size
        meta = ArtifactMeta(
            family="classifier", name=name, config=config.to_dict(),
            inputs=[TensorSpec(INPUT_NAME, "float32", ["batch", config.in_channels, side, side])],
            outputs=[TensorSpec(OUTPUT_NAME, "float32", ["batch", config.num_classes])],
            labels=list(config.labels), metrics=metrics, data=dict(PROVENANCE),
            versions=library_versions(),
            export={"opset": OPSET, "parity": parity, "checkpoint": str(checkpoint)},
        )
        save_meta(tmp, meta)
        if output.exists():
            if output.is_file() or (any(output.iterdir()) and not (output / "meta.json").is_file()):
                raise ValueError(f"{output} exists and is not an artifact directory; refusing to replace it")
            shutil.rmtree(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp), output)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    tag = register(output, meta) if do_register else None
    return {"name": name, "artifact": str(output), "tag": tag, "test_accuracy_onnx": acc,
            "parity": parity, "seconds": round(time.perf_counter() - t0, 1)}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", type=Path, required=True, help="checkpoint.pt written by train_classifier")
    p.add_argument("--name", type=str, help="model name in the store (default: the arch)")
    p.add_argument("--output", type=Path, help="artifact directory (default: artifacts/<name>)")
    p.add_argument("--no-register", action="store_true", help="write the artifact only")
    p.add_argument("--eval-samples", type=int, help="evaluate on the first N test images (default: all 10k)")


def main(args: argparse.Namespace) -> dict[str, Any]:
    summary = export_classifier(args.checkpoint, args.output, name=args.name, do_register=not args.no_register,
                                eval_samples=args.eval_samples)
    print(f"[export] {summary['name']}: onnx test accuracy {summary['test_accuracy_onnx']:.4f}, "
          f"max |logit diff| {summary['parity']['max_abs_logit_diff']:.2e}, "
          f"top-1 identical on {summary['parity']['top1_identical_on']} images -> {summary['artifact']}"
          + (f", registered as {summary['tag']}" if summary["tag"] else ""))
    return summary
