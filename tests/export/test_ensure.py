"""export.ensure (behind make serve): a model already in the store is reused, not retrained."""

from __future__ import annotations

from pathlib import Path

from export.ensure import ensure, in_store
from tests.conftest import TINY_MODEL


def test_model_in_store_is_reused(tiny_export, tmp_path, capsys):
    assert in_store(TINY_MODEL) == tiny_export["tag"]
    tag = ensure(TINY_MODEL, "quick", tmp_path / "runs")
    assert tag == in_store(TINY_MODEL)
    assert "found in the model store" in capsys.readouterr().out
    assert not (tmp_path / "runs").exists()  # nothing trained


def test_missing_model_is_exported_from_an_existing_checkpoint(tiny_checkpoint, tmp_path, monkeypatch, capsys):
    runs = tmp_path / "runs"
    (runs / "ensure_fresh-quick").mkdir(parents=True)
    (runs / "ensure_fresh-quick" / "checkpoint.pt").write_bytes(Path(tiny_checkpoint).read_bytes())
    monkeypatch.chdir(tmp_path)  # artifacts/ is written here
    assert in_store("ensure_fresh") is None
    tag = ensure("ensure_fresh", "quick", runs)
    assert tag.startswith("ensure_fresh:") and in_store("ensure_fresh") == tag
    assert (tmp_path / "artifacts" / "ensure_fresh" / "meta.json").is_file()
