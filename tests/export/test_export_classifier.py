"""Export: artifact contents, parity against PyTorch, refusal of a mismatching model, registration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from export.classifier import ExportSpec, check_parity, load_checkpoint
from export.common import ParityError
from tests.conftest import TINY_MODEL
from zoo.artifact import MODEL_FILE, STORE_SUBDIR, load_meta
from zoo.classifier.pipeline import ClassifierPipeline
from zoo.runtime import OnnxRunner


def test_artifact_is_complete_and_verified(tiny_export):
    meta = load_meta(tiny_export["artifact"])
    assert meta.family == "classifier" and meta.name == TINY_MODEL
    assert meta.labels[9] == "Ankle boot"
    assert meta.inputs[0].shape == ["batch", 1, 28, 28] and meta.outputs[0].shape == ["batch", 10]
    assert set(meta.files) == {MODEL_FILE}
    assert meta.export["parity"]["top1_identical_on"] == 1000
    assert meta.export["parity"]["batch_sizes"] == [1, 7]
    assert 0.5 < meta.metrics["test_accuracy_onnx"] <= meta.metrics["test_top2_accuracy_onnx"] <= 1
    per_class = meta.metrics["per_class_accuracy_onnx"]
    assert set(per_class) == set(meta.labels)
    # 2,000 test images, about 200 per class: the mean of the class recalls is close to the accuracy
    assert abs(sum(per_class.values()) / 10 - meta.metrics["test_accuracy_onnx"]) < 0.03
    assert {"torch", "onnxruntime-gpu"} <= set(meta.versions)


def test_onnx_accuracy_equals_torch_accuracy(tiny_export, tiny_checkpoint, fashion_test):
    """The exported pipeline reaches the accuracy training measured (same 2,000 test images)."""
    config, model, _ = load_checkpoint(tiny_checkpoint)
    images, labels = fashion_test
    from zoo.classifier.pipeline import torch_runner

    pipe = ClassifierPipeline(config, torch_runner(model))
    acc_torch = float(np.mean(pipe.logits(list(images[:2000])).argmax(1) == labels[:2000]))
    assert acc_torch == pytest.approx(tiny_export["test_accuracy_onnx"], abs=1e-3)


def test_parity_check_fails_loudly_on_a_different_model(tiny_export, tiny_checkpoint, fashion_test):
    config, model, _ = load_checkpoint(tiny_checkpoint)
    onnx = OnnxRunner(Path(tiny_export["artifact"]) / MODEL_FILE, providers="cpu")
    with torch.no_grad():
        model[-1].bias.add_(0.5)  # a silent mismatch between what was exported and what is checked
    with pytest.raises(ParityError, match="logits differ"):
        check_parity(model, onnx, config, ExportSpec(top1_samples=50), fashion_test[0])


def test_registered_in_model_store_with_labels(tiny_export):
    import bentoml

    model = bentoml.models.get(tiny_export["tag"])
    assert model.info.labels["family"] == "classifier" and model.info.labels["arch"] == "lenet_bn"
    assert model.info.metadata["labels"][0] == "T-shirt/top"
    load_meta(Path(model.path) / STORE_SUBDIR)  # the stored copy passes its hash check


def test_tampered_store_copy_is_refused(tiny_export, tmp_path):
    import shutil

    from zoo.artifact import ArtifactError

    copy = tmp_path / "a"
    shutil.copytree(tiny_export["artifact"], copy)
    data = bytearray((copy / MODEL_FILE).read_bytes())
    data[-10] ^= 0xFF
    (copy / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="sha256 mismatch"):
        ClassifierPipeline.from_artifact(copy)


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="train one"):
        load_checkpoint(tmp_path / "nope.pt")


def test_cli_exports_and_registers(tiny_checkpoint, tmp_path, capsys):
    from export.__main__ import main

    assert main(["classifier", "--checkpoint", str(tiny_checkpoint), "--name", "cli_model",
                 "--output", str(tmp_path / "cli"), "--eval-samples", "300"]) == 0
    assert "registered as cli_model:" in capsys.readouterr().out
    assert main(["classifier", "--checkpoint", str(tmp_path / "missing.pt")]) == 1
