"""Summarise training runs (``runs/*/metrics.json``) as the Markdown table in docs/RESULTS.md.

    python -m training.report [--runs runs]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path


def row(m: dict) -> str:
    hp = m.get("hyperparameters", {})
    name = m["arch"] + (" (pretrained)" if m.get("pretrained") else "")
    budget = f", budget {hp['time_budget']} min" if hp.get("time_budget") else ""
    stopped = " (stopped by budget)" if m.get("stopped_by_time_budget") else ""
    return (f"| {name} | {m['preset']} | {hp.get('image_size')} | {m['train_samples']:,} | "
            f"{m['epochs_run']}/{hp.get('epochs')}{stopped} | {m['train_seconds'] / 60:.1f} min{budget} | "
            f"{m['num_parameters']:,} | **{m['test_accuracy']:.4f}** |")


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=Path, default=Path("runs"), help="folder of training runs")
    args = p.parse_args(argv)
    metrics = [json.loads(f.read_text()) for f in sorted(args.runs.glob("*/metrics.json"))]
    devices = sorted({m.get("device", "cpu") for m in metrics})
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores; devices used: {', '.join(devices)}; "
        f"threads per run: {', '.join(sorted({str(m.get('threads')) for m in metrics}))}.",
        "",
        "| model | preset | input | train images | epochs | training time | parameters | test accuracy (10k) |",
        "|---|---|---|---|---|---|---|---|",
        *[row(m) for m in metrics],
    ]
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    main()
