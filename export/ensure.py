"""Make sure models are in the BentoML model store: train (quick preset) and export what is missing.

    python -m export.ensure --models lenet_bn,resnet18

Used by ``make serve``; a second run finds everything in the store and returns in seconds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from export.common import default_bentoml_env
from zoo.classifier.config import ARCHS


def in_store(spec: str) -> str | None:
    """``name:version`` of a stored model (``name`` means its latest version), or None."""
    import bentoml
    from bentoml.exceptions import NotFound

    try:
        return str(bentoml.models.get(spec if ":" in spec else f"{spec}:latest").tag)
    except NotFound:
        return None


def ensure(spec: str, preset: str, runs: Path) -> str:
    """Return the stored tag for ``spec`` (``name`` or ``name:version``), training what is missing."""
    tag = in_store(spec)
    if tag:
        print(f"[models] {tag} found in the model store")
        return tag
    name, _, version = spec.partition(":")
    if version and version != "latest":
        raise LookupError(f"{spec} is not in the model store; a specific version cannot be trained anew")
    checkpoint = runs / f"{name}-{preset}" / "checkpoint.pt"
    if not checkpoint.is_file() and name not in ARCHS:
        raise LookupError(f"{name!r} is neither in the model store nor a trainable arch ({', '.join(ARCHS)})")
    if not checkpoint.is_file():
        print(f"[models] {name}: no model in the store, training the {preset!r} preset (progress below)")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "training.train_classifier", "--arch", name, "--preset", preset,
                        "--output-dir", str(checkpoint.parent)], check=True)
        print(f"[models] {name}: trained in {time.perf_counter() - start:.0f}s")
    from export.classifier import export_classifier

    summary = export_classifier(checkpoint, name=name)
    print(f"[models] {name}: exported (onnx test accuracy {summary['test_accuracy_onnx']:.4f}), "
          f"registered as {summary['tag']}")
    return summary["tag"]


def main(argv: list[str] | None = None) -> int:
    default_bentoml_env()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="lenet_bn,resnet18", help="comma-separated classifier archs")
    p.add_argument("--preset", default="quick", choices=["quick", "full"], help="preset for missing models")
    p.add_argument("--runs", type=Path, default=Path("runs"), help="where checkpoints are written")
    args = p.parse_args(argv)
    try:
        for spec in [m.strip() for m in args.models.split(",") if m.strip()]:
            ensure(spec, args.preset, args.runs)
    except LookupError as e:
        print(f"[models] error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
