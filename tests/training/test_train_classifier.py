"""The training script: presets, outputs, and distributed data parallel with 2 CPU processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from tests.conftest import ROOT
from training.train_classifier import PRESETS, get_args_parser, resolve_args
from zoo.classifier.config import ARCHS


def test_every_arch_has_both_presets():
    assert set(PRESETS) == set(ARCHS)
    for arch, presets in PRESETS.items():
        assert set(presets) == {"quick", "full"}, arch


def test_command_line_overrides_preset():
    args = resolve_args(get_args_parser().parse_args(["--arch", "resnet18", "--preset", "full", "--epochs", "2"]))
    assert args.epochs == 2 and args.image_size == PRESETS["resnet18"]["full"]["image_size"]
    assert str(args.output_dir) == "runs/resnet18-full"


def test_tiny_run_writes_checkpoint_metrics_and_curves(tiny_checkpoint):
    out = tiny_checkpoint.parent
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["arch"] == "lenet_bn" and metrics["train_samples"] == 4096
    assert 0.5 < metrics["test_accuracy"] <= 1.0  # 1 epoch on 4k images: well above chance (0.1)
    assert len(metrics["history"]["test_acc"]) == 1
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    ckpt = torch.load(tiny_checkpoint, weights_only=True)
    assert ckpt["family"] == "classifier" and ckpt["config"]["arch"] == "lenet_bn"
    assert ckpt["metrics"]["test_accuracy"] == metrics["test_accuracy"]


@pytest.mark.slow
def test_ddp_two_cpu_processes(tmp_path):
    """torchrun with 2 processes on gloo: trains, agrees across ranks, rank 0 writes the outputs."""
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "training.train_classifier", "--arch", "lenet_bn", "--epochs", "1", "--train-subset", "4096",
           "--batch-size", "64", "--threads", "1", "--no-progress", "--output-dir", str(out)]
    r = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2
    assert metrics["test_accuracy"] > 0.5
    assert "world_size=2" in r.stdout
