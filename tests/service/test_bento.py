"""bentofile.yaml builds a Bento (Dockerfile included, no torch inside) that serves."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.conftest import ROOT, free_port
from zoo.artifact import load_meta
from zoo.ops.image import encode_png

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bento_tag(tiny_export: dict, store_home: str) -> str:
    """Register the tiny model under the names bentofile.yaml packs, then build the Bento."""
    from export.common import register

    meta = load_meta(tiny_export["artifact"])
    for name in ("lenet_bn", "resnet18"):
        meta.name = name
        register(Path(tiny_export["artifact"]), meta)
    r = subprocess.run([sys.executable, "-m", "bentoml", "build", "-o", "tag"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300, env=dict(os.environ))
    assert r.returncode == 0, r.stdout + r.stderr
    match = re.search(r"__tag__:(\S+)", r.stdout)
    assert match, r.stdout
    return match.group(1)


def test_bento_has_dockerfile_and_no_torch(bento_tag: str, store_home: str):
    name, version = bento_tag.split(":")
    bento = Path(store_home) / "bentos" / name / version
    assert (bento / "env" / "docker" / "Dockerfile").is_file()
    requirements = (bento / "env" / "python" / "requirements.txt").read_text()
    assert "onnxruntime-gpu" in requirements and "torch" not in requirements
    assert not list((bento / "src").rglob("model.py"))  # torch modules stay out of the Bento
    assert (bento / "src" / "service" / "service.py").is_file()


def test_built_bento_serves(bento_tag: str):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bentoml", "serve", bento_tag, "--host", "127.0.0.1",
                             "--port", str(port)], env=dict(os.environ), stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True, cwd="/")
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        png = encode_png(np.zeros((28, 28), np.uint8))
        r = httpx.post(f"{url}/classify", files=[("images", ("a.png", png, "image/png"))],
                       data={"model": "resnet18", "top_k": "2"}, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["model"] == "resnet18" and len(r.json()["results"][0]["predictions"]) == 2
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
