"""Pieces every family's export shares: ONNX writing, library versions, the BentoML model store."""

from __future__ import annotations

import os
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from zoo.artifact import STORE_SUBDIR, ArtifactMeta, load_meta

OPSET = 18
STORE_LABEL_PROJECT = "d2l-zoo"



class ParityError(AssertionError):
    """onnxruntime and PyTorch disagree beyond the family's tolerance."""


def library_versions() -> dict[str, str]:
    names = ["torch", "onnx", "onnxscript", "onnxruntime-gpu", "numpy", "pillow", "bentoml"]
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def export_onnx(
    model: torch.nn.Module,
    example: torch.Tensor,
    path: Path,
    *,
    input_name: str,
    output_name: str,
) -> None:
    """Write ``model`` as a single-file ONNX graph with a dynamic batch axis.

    Uses the TorchScript-based exporter (``dynamo=False``): for these CNNs it gives a plain
    graph with the batch axis dynamic and no ``.onnx.data`` side file.
    """
    model.eval()
    torch.onnx.export(
        model,
        (example,),
        str(path),
        input_names=[input_name],
        output_names=[output_name],
        dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,
        external_data=False,
    )


def register(directory: Path, meta: ArtifactMeta) -> str:
    """Copy a verified artifact into the BentoML model store; returns ``name:version``."""
    import bentoml

    load_meta(directory)  # refuse to register an artifact that fails its hashes
    labels = {"project": STORE_LABEL_PROJECT, "family": meta.family,
              "arch": str(meta.config.get("arch", "")), "classes": str(len(meta.labels))}
    summary: dict[str, Any] = {"family": meta.family, "labels": meta.labels,
                               **{k: v for k, v in meta.metrics.items() if isinstance(v, (int, float, str))}}
    with bentoml.models.create(meta.name, labels=labels, metadata=summary) as model:
        # A subfolder: BentoML writes its own model.yaml beside it, which meta.json does not list.
        shutil.copytree(directory, Path(model.path) / STORE_SUBDIR)
    return str(model.tag)


def default_bentoml_env() -> None:
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
