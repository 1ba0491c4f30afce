"""zoo.runtime: provider choice, real GPU detection, thread settings and OnnxRunner on a tiny graph.

The graph is built with ``onnx.helper`` (Y = X * 2, dynamic batch, opset 18): no torch needed.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

import numpy as np
import pytest

from zoo.runtime import CPU, CUDA, OnnxRunner, choose_providers, gpu_available

onnx = pytest.importorskip("onnx")


def _libcuda_loads() -> bool:
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


needs_no_gpu = pytest.mark.skipif(
    _libcuda_loads(), reason="a CUDA GPU is present; this test checks the no-GPU fallback"
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ZOO_PROVIDERS", "ZOO_INTRA_OP_THREADS", "ZOO_INTER_OP_THREADS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def double_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 3])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 3])
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    graph = helper.make_graph([helper.make_node("Mul", ["X", "two"], ["Y"])], "double", [x], [y], [two])
    # IR version 10: the newest onnx writes an IR version this onnxruntime may not read yet.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    onnx.checker.check_model(model)
    path = tmp_path_factory.mktemp("onnx") / "double.onnx"
    onnx.save(model, str(path))
    return path


# --------------------------------------------------------------------------- OnnxRunner


def test_runner_runs_graph_on_cpu(double_model: Path) -> None:
    runner = OnnxRunner(double_model, providers="cpu", intra_op_threads=1)
    assert runner.provider == CPU
    assert runner.input_names == ["X"] and runner.output_names == ["Y"]
    for batch in (1, 4):  # the batch axis is dynamic
        x = np.arange(batch * 3, dtype=np.float32).reshape(batch, 3) - 2.5
        (y,) = runner({"X": x})
        assert y.shape == (batch, 3) and y.dtype == np.float32
        np.testing.assert_array_equal(y, x * 2)


def test_runner_accepts_str_path(double_model: Path) -> None:
    assert OnnxRunner(str(double_model), providers="cpu", intra_op_threads=1).provider == CPU


def test_warm_up_returns_positive_ms(double_model: Path) -> None:
    runner = OnnxRunner(double_model, providers="cpu", intra_op_threads=1)
    ms = runner.warm_up({"X": np.ones((2, 3), np.float32)}, runs=2)
    assert isinstance(ms, float) and ms > 0


def test_runner_honours_zoo_providers_env(double_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_PROVIDERS", "cpu")
    runner = OnnxRunner(double_model, intra_op_threads=1)
    assert runner.provider == CPU
    assert runner.session.get_providers() == [CPU]


@pytest.mark.parametrize("value", ["x", "1.5", "-1"])
def test_bad_intra_op_threads_env_raises(
    double_model: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ZOO_INTRA_OP_THREADS", value)
    with pytest.raises(ValueError, match="ZOO_INTRA_OP_THREADS"):
        OnnxRunner(double_model, providers="cpu")


@pytest.mark.parametrize("value", ["two", "-3"])
def test_bad_inter_op_threads_env_raises(
    double_model: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ZOO_INTER_OP_THREADS", value)
    with pytest.raises(ValueError, match="ZOO_INTER_OP_THREADS"):
        OnnxRunner(double_model, providers="cpu", intra_op_threads=1)


def test_good_thread_env_values_accepted(double_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_INTRA_OP_THREADS", "1")
    monkeypatch.setenv("ZOO_INTER_OP_THREADS", "")  # empty means the default
    runner = OnnxRunner(double_model, providers="cpu")
    np.testing.assert_array_equal(runner({"X": np.ones((1, 3), np.float32)})[0], 2.0)


def test_explicit_threads_override_env(double_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A bad environment value is never read when the caller passes the setting.
    monkeypatch.setenv("ZOO_INTRA_OP_THREADS", "x")
    monkeypatch.setenv("ZOO_INTER_OP_THREADS", "x")
    runner = OnnxRunner(double_model, providers="cpu", intra_op_threads=1, inter_op_threads=1)
    assert runner.provider == CPU


# --------------------------------------------------------------------------- choose_providers


def test_choose_cpu() -> None:
    assert choose_providers("cpu") == [CPU]
    assert choose_providers(" CPU ") == [CPU]
    assert choose_providers(CPU) == [CPU]


def test_choose_cuda_appends_cpu_fallback() -> None:
    providers = choose_providers("cuda")
    assert providers[0] == CUDA and providers[-1] == CPU
    assert providers == [CUDA, CPU]


def test_choose_comma_list_keeps_order_and_one_cpu_last() -> None:
    assert choose_providers("cpu, cuda") == [CUDA, CPU]
    assert choose_providers("CUDAExecutionProvider,CPUExecutionProvider") == [CUDA, CPU]


@pytest.mark.parametrize("spec", ["tpu", "cuda,warp-drive", "cpuexecutionprovider2"])
def test_unknown_provider_raises(spec: str) -> None:
    with pytest.raises(ValueError, match="unknown execution provider"):
        choose_providers(spec)


def test_env_spec_used_when_none_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_PROVIDERS", "cuda")
    assert choose_providers() == [CUDA, CPU]
    monkeypatch.setenv("ZOO_PROVIDERS", "cpu")
    assert choose_providers() == [CPU]
    assert choose_providers("cuda") == [CUDA, CPU]  # an explicit spec wins over the environment


def test_bad_env_spec_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_PROVIDERS", "nonsense")
    with pytest.raises(ValueError, match="unknown execution provider"):
        choose_providers()


# --------------------------------------------------------------------------- no-GPU fallback


@needs_no_gpu
def test_no_gpu_detected() -> None:
    gpu_available.cache_clear()
    assert gpu_available() is False


@needs_no_gpu
@pytest.mark.parametrize("spec", ["auto", "AUTO", None, ""])
def test_auto_gives_cpu_only_without_gpu(spec: str | None) -> None:
    # onnxruntime-gpu lists CUDA as available even here; auto must not trust that.
    assert choose_providers(spec) == [CPU]


@needs_no_gpu
def test_runner_asking_for_cuda_reports_cpu_without_gpu(
    double_model: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="zoo.runtime"):
        runner = OnnxRunner(double_model, providers="cuda", intra_op_threads=1)
    assert runner.provider == CPU
    assert any("running on CPUExecutionProvider" in r.getMessage() for r in caplog.records)
    np.testing.assert_array_equal(runner({"X": np.ones((1, 3), np.float32)})[0], 2.0)
