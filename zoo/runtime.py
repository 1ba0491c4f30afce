"""onnxruntime sessions: provider choice with real GPU detection, threads, warm-up.

``onnxruntime.get_available_providers()`` lists CUDA for the onnxruntime-gpu wheel even on a
machine without a GPU, so :func:`gpu_available` checks that the CUDA driver really loads and
sees a device, and :class:`OnnxRunner` reports the provider the session actually got.

Environment overrides:
    ZOO_PROVIDERS: ``auto`` (default), ``cpu``, ``cuda``, or a comma list of provider names.
    ZOO_INTRA_OP_THREADS: threads per session for one operator (default: onnxruntime's choice).
    ZOO_INTER_OP_THREADS: threads across operators (default 1).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from zoo.envvars import env_number

log = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
_ALIASES = {"cpu": CPU, "cuda": CUDA, "tensorrt": "TensorrtExecutionProvider"}


@functools.lru_cache(maxsize=1)
def gpu_available() -> bool:
    """Whether a CUDA driver loads and reports at least one device (no torch needed)."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    if cuda.cuInit(0) != 0 or cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return False
    return count.value > 0


def choose_providers(spec: str | None = None) -> list[str]:
    """Turn a provider spec (``auto``, ``cpu``, ``cuda``, or names) into a provider list.

    ``auto`` means CUDA then CPU where a GPU really exists, else CPU alone. The CPU provider
    is always appended last as the fallback.
    """
    import onnxruntime as ort

    spec = (spec or os.environ.get("ZOO_PROVIDERS") or "auto").strip()
    if spec.lower() == "auto":
        wanted = [CUDA] if gpu_available() and CUDA in ort.get_available_providers() else []
    else:
        wanted = [_ALIASES.get(s.strip().lower(), s.strip()) for s in spec.split(",") if s.strip()]
        unknown = [p for p in wanted if p not in ort.get_all_providers()]
        if unknown:
            raise ValueError(f"unknown execution provider(s) {unknown}; known: {ort.get_all_providers()}")
    return [p for p in wanted if p != CPU] + [CPU]


class OnnxRunner:
    """One onnxruntime session with the provider it really runs on.

    Args:
        path: the ``.onnx`` file.
        providers: a provider spec for :func:`choose_providers` (``None``: environment/auto).
        intra_op_threads: threads inside one operator (``None``: env or onnxruntime default).
        inter_op_threads: threads across operators (``None``: env or 1).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        providers: str | None = None,
        intra_op_threads: int | None = None,
        inter_op_threads: int | None = None,
    ) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        intra = intra_op_threads if intra_op_threads is not None else env_number("ZOO_INTRA_OP_THREADS", None, minimum=0, cast=int)
        inter = inter_op_threads if inter_op_threads is not None else env_number("ZOO_INTER_OP_THREADS", None, minimum=0, cast=int)
        if intra:
            opts.intra_op_num_threads = intra
        opts.inter_op_num_threads = inter or 1
        wanted = choose_providers(providers)
        self.session = ort.InferenceSession(str(path), sess_options=opts, providers=wanted)
        self.provider: str = self.session.get_providers()[0]
        if wanted[0] != self.provider:
            log.warning("%s: asked for %s, running on %s", path, wanted[0], self.provider)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]
        log.info("loaded %s on %s", path, self.provider)

    def __call__(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Run the graph; ``feeds`` maps input names to arrays."""
        return self.session.run(self.output_names, dict(feeds))

    def warm_up(self, feeds: Mapping[str, np.ndarray], runs: int = 3) -> float:
        """Run ``runs`` times so that lazy allocations happen before traffic; return ms/run."""
        start = time.perf_counter()
        for _ in range(runs):
            self(feeds)
        return (time.perf_counter() - start) * 1000 / runs
