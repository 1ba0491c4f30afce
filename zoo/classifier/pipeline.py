"""preprocess -> runner -> postprocess; the runner is onnxruntime (serving) or torch (checks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zoo.artifact import MODEL_FILE, ArtifactMeta, load_meta
from zoo.classifier.config import ClassifierConfig
from zoo.classifier.processing import Prediction, postprocess, preprocess
from zoo.runtime import OnnxRunner

# A runner maps the network input (N, C, S, S) float32 to logits (N, num_classes).
Runner = Callable[[np.ndarray], np.ndarray]

INPUT_NAME = "images"
OUTPUT_NAME = "logits"


class ClassifierPipeline:
    """The whole classifier: uint8 images in, ranked labels out.

    Args:
        config: the family config (labels, preprocessing).
        runner: the network as a function of the preprocessed batch.
    """

    def __init__(self, config: ClassifierConfig, runner: Runner) -> None:
        self.config = config
        self.runner = runner

    @classmethod
    def from_artifact(cls, directory: str | Path, **runner_kwargs: Any) -> tuple[ClassifierPipeline, ArtifactMeta, OnnxRunner]:
        """Load a verified artifact into an onnxruntime-backed pipeline."""
        meta = load_meta(directory)
        if meta.family != "classifier":
            raise ValueError(f"{directory} holds a {meta.family!r} artifact, not a classifier")
        config = ClassifierConfig(**meta.config)
        onnx = OnnxRunner(Path(directory) / MODEL_FILE, **runner_kwargs)
        return cls(config, onnx_runner(onnx)), meta, onnx

    def logits(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return self.runner(preprocess(images, self.config))

    def __call__(self, images: Sequence[np.ndarray], top_k: int | None = None) -> list[list[Prediction]]:
        return postprocess(self.logits(images), self.config, top_k)


def onnx_runner(runner: OnnxRunner) -> Runner:
    """Adapt an :class:`OnnxRunner` of an exported classifier to the :data:`Runner` signature."""
    return lambda x: runner({INPUT_NAME: x})[0]


def torch_runner(model: Any) -> Runner:
    """Adapt a torch module (eval mode, CPU) to the :data:`Runner` signature (imports torch)."""
    import torch

    model.eval()

    def run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()

    return run
