"""PyTorch eager vs onnxruntime, in-process, side by side, for every classifier.

    python -m benchmarks.bench_classifier [--archs resnet18,lenet_bn] [--batch-sizes 1,32]

Each architecture is built at the input size of its ``full`` training preset and exported
to ONNX the way ``python -m export`` does. Speed does not depend on the weights, so the
networks are freshly initialised. The two runtimes are timed in alternating rounds in the
same process with the same thread count, and the median round is reported, so that a noisy
neighbour slows both alike. Results go to ``benchmarks/results/classifier.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from export.common import export_onnx, library_versions
from training.train_classifier import PRESETS
from zoo.classifier.config import IMAGENET_MEAN, IMAGENET_STD, ClassifierConfig
from zoo.classifier.model import build_model
from zoo.classifier.pipeline import INPUT_NAME, OUTPUT_NAME
from zoo.runtime import OnnxRunner

RESULTS = Path(__file__).parent / "results"


def bench_config(arch: str) -> ClassifierConfig:
    preset = PRESETS[arch]["full"]
    if arch == "efficientnet_lite0":
        return ClassifierConfig(arch=arch, image_size=preset["image_size"], in_channels=3,
                                mean=list(IMAGENET_MEAN), std=list(IMAGENET_STD))
    return ClassifierConfig(arch=arch, image_size=preset["image_size"], vgg_width_ratio=preset.get("vgg_width_ratio", 1))


def time_round(fn, x, min_seconds: float, max_iters: int) -> float:
    """Seconds per call over one round: at least ``min_seconds`` or ``max_iters`` calls."""
    n, start = 0, time.perf_counter()
    while n < max_iters:
        fn(x)
        n += 1
        if time.perf_counter() - start >= min_seconds:
            break
    return (time.perf_counter() - start) / n


def bench_arch(arch: str, batch_sizes: list[int], threads: int, rounds: int, round_seconds: float) -> list[dict[str, Any]]:
    cfg = bench_config(arch)
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        example = torch.zeros(2, cfg.in_channels, cfg.image_size, cfg.image_size)
        export_onnx(model, example, path, input_name=INPUT_NAME, output_name=OUTPUT_NAME)
        ort = OnnxRunner(path, providers="cpu", intra_op_threads=threads)

    def run_torch(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(torch.from_numpy(x)).numpy()

    def run_ort(x: np.ndarray) -> np.ndarray:
        return ort({INPUT_NAME: x})[0]

    rows = []
    for bs in batch_sizes:
        x = np.random.default_rng(0).standard_normal((bs, cfg.in_channels, cfg.image_size, cfg.image_size)).astype(np.float32)
        np.testing.assert_allclose(run_ort(x), run_torch(x), atol=1e-3, rtol=1e-3)  # same function, then time it
        for fn in (run_torch, run_ort):  # warm-up
            time_round(fn, x, 0.2, 5)
        t_torch, t_ort = [], []
        for _ in range(rounds):  # alternate so that both see the same machine state
            t_torch.append(time_round(run_torch, x, round_seconds, 200))
            t_ort.append(time_round(run_ort, x, round_seconds, 200))
        mt, mo = statistics.median(t_torch), statistics.median(t_ort)
        rows.append({
            "arch": arch, "image_size": cfg.image_size, "batch": bs,
            "torch_ms": round(mt * 1000, 3), "ort_ms": round(mo * 1000, 3),
            "torch_img_s": round(bs / mt, 1), "ort_img_s": round(bs / mo, 1),
            "speedup": round(mt / mo, 2), "provider": ort.provider,
        })
        print(f"{arch:>20} {cfg.image_size:>4}px  batch {bs:>3}: torch {mt * 1000:8.2f} ms  "
              f"onnxruntime {mo * 1000:8.2f} ms  ratio {mt / mo:5.2f}x", flush=True)
    return rows


def to_markdown(result: dict[str, Any]) -> str:
    lines = [
        f"PyTorch eager vs onnxruntime (in-process, {result['threads']} threads, median of {result['rounds']} "
        f"alternating rounds) on {result['machine']}, {result['date']}.",
        "",
        "| arch | input | batch | torch ms | onnxruntime ms | torch img/s | onnxruntime img/s | speed-up |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(f"| {r['arch']} | {r['image_size']}x{r['image_size']} | {r['batch']} | {r['torch_ms']} | "
                     f"{r['ort_ms']} | {r['torch_img_s']} | {r['ort_img_s']} | **{r['speedup']}x** |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--archs", default="lenet,lenet_bn,alexnet,vgg11,nin,googlenet,resnet18,efficientnet_lite0",
                   help="comma-separated architectures")
    p.add_argument("--batch-sizes", default="1,32", help="comma-separated batch sizes")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads for both runtimes")
    p.add_argument("--rounds", type=int, default=5, help="alternating timing rounds per case")
    p.add_argument("--round-seconds", type=float, default=0.4, help="minimum seconds per round")
    p.add_argument("--output", type=Path, default=RESULTS, help="folder for classifier.json and classifier.md")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    archs = [a.strip() for a in args.archs.split(",") if a.strip()]
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    rows = []
    for arch in archs:
        rows += bench_arch(arch, batch_sizes, args.threads, args.rounds, args.round_seconds)
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores ({platform.processor() or 'cpu'})",
        "threads": args.threads, "rounds": args.rounds, "versions": library_versions(), "rows": rows,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "classifier.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.output / "classifier.md").write_text(to_markdown(result))
    print(f"\nwrote {args.output / 'classifier.md'}")
    return result


if __name__ == "__main__":
    main()
