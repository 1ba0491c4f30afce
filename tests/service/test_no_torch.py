"""DESIGN rule 5: the service never imports torch, not even while it loads and runs models."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT, TINY_MODEL

SCRIPT = f"""
import asyncio, sys
import numpy as np
from service.settings import Settings
from service.registry import ModelRegistry
import service.service  # the BentoML service module itself
from zoo.classifier.processing import preprocess
reg = ModelRegistry(Settings(models=({TINY_MODEL!r},)))
reg.load_all()
m = reg.get(None)
x = preprocess([np.zeros((28, 28), np.uint8)], m.pipeline.config)
out = asyncio.run(m.batcher.submit(x))
assert out.shape == (1, 10), out.shape
bad = sorted(k for k in sys.modules if k == "torch" or k.startswith("torch."))
print("TORCH_MODULES", bad)
sys.exit(1 if bad else 0)
"""


def test_service_never_imports_torch(tiny_export):
    r = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=dict(os.environ), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "TORCH_MODULES []" in r.stdout
