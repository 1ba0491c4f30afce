"""Loads the configured artifacts from the BentoML model store into onnxruntime, warms them up."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.batcher import AdaptiveBatcher
from service.errors import not_found
from service.schemas import ModelInfo
from service.settings import Settings
from zoo.artifact import STORE_SUBDIR, ArtifactMeta
from zoo.classifier.pipeline import ClassifierPipeline, onnx_runner
from zoo.classifier.processing import preprocess
from zoo.runtime import OnnxRunner

log = logging.getLogger("zoo.service")


@dataclass
class LoadedModel:
    """One model ready to serve: its pipeline, session and batcher."""

    name: str
    version: str
    meta: ArtifactMeta
    pipeline: ClassifierPipeline
    onnx: OnnxRunner
    batcher: AdaptiveBatcher
    warmup_ms: float

    @property
    def tag(self) -> str:
        return f"{self.name}:{self.version}"

    def numeric_metrics(self) -> dict[str, float]:
        """The measured numbers of meta.json (accuracy, training time, ...), for the listing."""
        return {k: v for k, v in self.meta.metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}

    def info(self, default: bool) -> ModelInfo:
        cfg = self.pipeline.config
        return ModelInfo(name=self.name, version=self.version, family=self.meta.family, arch=cfg.arch,
                         labels=list(cfg.labels), metrics=self.numeric_metrics(), provider=self.onnx.provider,
                         image_size=cfg.image_size, top_k=cfg.top_k, default=default,
                         warmup_ms=round(self.warmup_ms, 2))


def artifact_dir(tag: str) -> tuple[str, str, Path]:
    """Resolve ``name`` or ``name:version`` in the BentoML model store to its artifact folder."""
    import bentoml
    from bentoml.exceptions import NotFound

    try:
        model = bentoml.models.get(tag if ":" in tag else f"{tag}:latest")
    except NotFound as e:
        raise LookupError(
            f"model {tag!r} is not in the BentoML model store; train and export it first "
            f"(`make models` or `python -m export classifier --checkpoint ...`)"
        ) from e
    return model.tag.name, str(model.tag.version), Path(model.path) / STORE_SUBDIR


class ModelRegistry:
    """The models this service instance serves, by name and by ``name:version``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.models: dict[str, LoadedModel] = {}
        self.default: str | None = None
        self.ready = False

    def load_all(self, on_batch=None) -> None:
        for tag in self.settings.models:
            name, version, directory = artifact_dir(tag)
            start = time.perf_counter()
            pipeline, meta, onnx = ClassifierPipeline.from_artifact(directory)
            cfg = pipeline.config
            run = onnx_runner(onnx)
            warm = preprocess([np.zeros((cfg.image_size, cfg.image_size), np.uint8)] * 2, cfg)
            warmup_ms = onnx.warm_up({onnx.input_names[0]: warm})
            batcher = AdaptiveBatcher(
                run, max_batch_size=self.settings.max_batch_size, max_wait_ms=self.settings.max_wait_ms,
                max_queue=self.settings.max_queue,
                on_batch=(lambda rows, s, n=name: on_batch(n, rows, s)) if on_batch else None,
            )
            model = LoadedModel(name, version, meta, pipeline, onnx, batcher, warmup_ms)
            self.models[model.tag] = model
            self.models[tag] = model  # as configured, e.g. "lenet_bn:latest"
            self.models.setdefault(name, model)  # a bare name means the first version listed
            log.info("model %s loaded on %s in %.0f ms (warm-up %.2f ms/run)", model.tag, onnx.provider,
                     (time.perf_counter() - start) * 1000, warmup_ms)
        wanted = self.settings.default_model or self.settings.models[0]
        if wanted not in self.models:
            raise ValueError(f"ZOO_DEFAULT_MODEL={wanted!r} is not among the loaded models {self.loaded_tags()}")
        self.default = self.models[wanted].tag
        self.ready = True

    def get(self, spec: str | None) -> LoadedModel:
        """The model a request names (``None``: the default); 404 error for an unknown one."""
        key = spec or self.default
        if key is not None and key not in self.models and key.endswith(":latest"):
            key = key.removesuffix(":latest")  # "name:latest" = the version served under that name
        if key is None or key not in self.models:
            raise not_found(f"unknown model {spec!r}; loaded: {', '.join(self.loaded_tags())}")
        return self.models[key]

    def loaded_tags(self) -> list[str]:
        return sorted({m.tag for m in self.models.values()})

    def unique(self) -> list[LoadedModel]:
        seen: dict[str, LoadedModel] = {}
        for m in self.models.values():
            seen.setdefault(m.tag, m)
        return list(seen.values())
