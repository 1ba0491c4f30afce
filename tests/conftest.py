"""Shared fixtures: a tiny seeded classifier trained here, exported into a private model store,
and a real ``bentoml serve`` process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before anything imports bentoml: the tests never touch the user's model store.
_STORE = tempfile.mkdtemp(prefix="zoo-test-bentoml-")
os.environ["BENTOML_HOME"] = _STORE
os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
TINY_MODEL = "tiny_lenet_bn"
TINY_LENET = "tiny_lenet"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def store_home() -> str:
    return _STORE


@pytest.fixture(scope="session")
def fashion_test() -> tuple:
    from training.data.fashion_mnist import load_fashion_mnist

    return load_fashion_mnist("test")


def _train_tiny(out: Path, arch: str) -> Path:
    from training.train_classifier import get_args_parser, main

    args = get_args_parser().parse_args([
        "--arch", arch, "--preset", "quick", "--epochs", "1", "--train-subset", "4096",
        "--batch-size", "64", "--output-dir", str(out), "--no-progress", "--seed", "0",
    ])
    main(args)
    return out / "checkpoint.pt"


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """LeNet-BN trained for one epoch on 4,096 seeded training images (a few seconds)."""
    return _train_tiny(tmp_path_factory.mktemp("tiny-train"), "lenet_bn")


@pytest.fixture(scope="session")
def tiny_export(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The tiny checkpoint exported, checked and registered in the test model store."""
    from export.classifier import export_classifier

    out = tmp_path_factory.mktemp("tiny-artifact") / TINY_MODEL
    return export_classifier(tiny_checkpoint, out, name=TINY_MODEL, eval_samples=2000)


@pytest.fixture(scope="session")
def tiny_lenet_export(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A second model (the course's sigmoid LeNet) so the service serves two."""
    from export.classifier import export_classifier

    ckpt = _train_tiny(tmp_path_factory.mktemp("tiny-lenet"), "lenet")
    out = tmp_path_factory.mktemp("tiny-lenet-artifact") / TINY_LENET
    return export_classifier(ckpt, out, name=TINY_LENET, eval_samples=500)


SERVER_ENV = {
    "ZOO_MAX_IMAGE_BYTES": "300000",
    "ZOO_MAX_IMAGE_PIXELS": "1000000",
    "ZOO_MAX_BODY_BYTES": "2000000",
    "ZOO_MAX_IMAGES": "40",
    "ZOO_MAX_BATCH_SIZE": "16",
}


@pytest.fixture(scope="session")
def server(tiny_export: dict, tiny_lenet_export: dict) -> Iterator[str]:
    """``bentoml serve`` on 127.0.0.1:<free port> serving both tiny models; yields its URL."""
    port = free_port()
    # DESIGN rule 5 on the real serving path: any import of torch in the server fails loudly.
    block = Path(tempfile.mkdtemp(prefix="zoo-no-torch-")) / "torch"
    block.mkdir()
    (block / "__init__.py").write_text('raise ImportError("the service must never import torch")\n')
    env = {**os.environ, **SERVER_ENV, "ZOO_MODELS": f"{TINY_MODEL},{TINY_LENET}", "ZOO_PROVIDERS": "cpu",
           "PYTHONPATH": os.pathsep.join([str(block.parent), str(ROOT)])}
    log = tempfile.NamedTemporaryFile(prefix="zoo-serve-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bentoml", "serve", "service.service:ZooService", "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"bentoml serve exited with {proc.returncode}:\n{Path(log.name).read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready in 120 s:\n{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        import signal

        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
