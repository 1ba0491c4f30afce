"""zoo.artifact: meta.json round trip and the integrity check that refuses modified artifacts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import zoo.artifact as artifact
from zoo.artifact import (
    META_FILE,
    MODEL_FILE,
    SCHEMA_VERSION,
    ArtifactError,
    ArtifactMeta,
    TensorSpec,
    load_meta,
    save_meta,
    sha256_file,
)


def _meta() -> ArtifactMeta:
    return ArtifactMeta(
        family="classifier",
        name="tiny",
        config={"arch": "lenet_bn", "image_size": 28, "labels": ["a", "b"]},
        inputs=[TensorSpec("images", "float32", ["batch", 1, 28, 28])],
        outputs=[TensorSpec("logits", "float32", ["batch", 2])],
        labels=["a", "b"],
        metrics={"accuracy": 0.875},
        data={"dataset": "fashion-mnist"},
        versions={"numpy": "2.4"},
        export={"opset": 18},
    )


@pytest.fixture
def art(tmp_path: Path) -> Path:
    """An artifact directory: dummy model bytes, a vocab file in a sub-folder, meta.json."""
    d = tmp_path / "tiny"
    d.mkdir()
    (d / MODEL_FILE).write_bytes(bytes(range(256)) * 10)
    (d / "tokenizer").mkdir()
    (d / "tokenizer" / "vocab.txt").write_text("[PAD]\n[UNK]\nhello\n")
    save_meta(d, _meta())
    return d


def _rewrite_meta(d: Path, **changes: object) -> None:
    raw = json.loads((d / META_FILE).read_text())
    raw.update(changes)
    (d / META_FILE).write_text(json.dumps(raw))


def test_round_trip(art: Path) -> None:
    meta = load_meta(art)
    expected = _meta()
    assert meta.family == expected.family and meta.name == expected.name
    assert meta.config == expected.config and meta.labels == expected.labels
    assert meta.inputs == expected.inputs and meta.outputs == expected.outputs
    assert isinstance(meta.inputs[0], TensorSpec)
    assert meta.metrics == {"accuracy": 0.875} and meta.export == {"opset": 18}
    assert meta.schema_version == SCHEMA_VERSION
    assert meta.files == {
        MODEL_FILE: hashlib.sha256((art / MODEL_FILE).read_bytes()).hexdigest(),
        "tokenizer/vocab.txt": hashlib.sha256((art / "tokenizer" / "vocab.txt").read_bytes()).hexdigest(),
    }
    assert ArtifactMeta.from_dict(meta.to_dict()) == meta


def test_save_returns_path_and_overwrites_files_field(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes(b"onnx")
    meta = _meta()
    meta.files = {"stale.bin": "0" * 64}
    path = save_meta(tmp_path, meta)
    assert path == tmp_path / META_FILE
    assert set(json.loads(path.read_text())["files"]) == {MODEL_FILE}
    assert META_FILE not in meta.files


def test_resave_does_not_hash_meta_json_itself(art: Path) -> None:
    save_meta(art, load_meta(art))
    assert META_FILE not in load_meta(art).files


@pytest.mark.parametrize("rel", [MODEL_FILE, "tokenizer/vocab.txt"])
def test_one_flipped_byte_is_refused_naming_the_file(art: Path, rel: str) -> None:
    p = art / rel
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01
    p.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="sha256 mismatch") as info:
        load_meta(art)
    assert rel in str(info.value)


def test_extra_unlisted_file_refused(art: Path) -> None:
    (art / "model.onnx.data").write_bytes(b"weights")
    with pytest.raises(ArtifactError, match="model.onnx.data"):
        load_meta(art)


def test_extra_file_in_subfolder_refused(art: Path) -> None:
    (art / "tokenizer" / "merges.txt").write_text("a b\n")
    with pytest.raises(ArtifactError, match="tokenizer/merges.txt"):
        load_meta(art)


@pytest.mark.parametrize("rel", [MODEL_FILE, "tokenizer/vocab.txt"])
def test_missing_file_refused(art: Path, rel: str) -> None:
    (art / rel).unlink()
    with pytest.raises(ArtifactError, match="missing"):
        load_meta(art)


def test_missing_meta_json_refused(art: Path) -> None:
    (art / META_FILE).unlink()
    with pytest.raises(ArtifactError, match="no meta.json"):
        load_meta(art)


def test_not_a_directory_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError):
        load_meta(tmp_path / "nowhere")


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_wrong_schema_version_refused(art: Path, version: object) -> None:
    _rewrite_meta(art, schema_version=version)
    with pytest.raises(ArtifactError, match="schema_version"):
        load_meta(art)


def test_missing_schema_version_refused(art: Path) -> None:
    raw = json.loads((art / META_FILE).read_text())
    del raw["schema_version"]
    (art / META_FILE).write_text(json.dumps(raw))
    with pytest.raises(ArtifactError, match="schema_version"):
        load_meta(art)


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "",
        '{"schema_version": 1}',  # required keys missing
        '{"schema_version": 1, "family": "c", "name": "n", "config": {}, "inputs": 5, "outputs": []}',
        '{"schema_version": 1, "family": "c", "name": "n", "config": {}, "inputs": [{"nam": "x"}], '
        '"outputs": []}',
        '{"schema_version": 1, "family": "c", "name": "n", "config": {}, "inputs": [], "outputs": [], '
        '"surprise": 1}',
        "42",
        "null",
        "[]",
    ],
)
def test_malformed_meta_json_refused(art: Path, text: str) -> None:
    (art / META_FILE).write_text(text)
    with pytest.raises(ArtifactError):
        load_meta(art)


def test_meta_json_top_level_string_refused_as_artifact_error(art: Path) -> None:
    (art / META_FILE).write_text('"ab"')
    with pytest.raises(ArtifactError):
        load_meta(art)


def test_meta_json_invalid_utf8_refused_as_artifact_error(art: Path) -> None:
    (art / META_FILE).write_bytes(b"\xff\xfe{garbage")
    with pytest.raises(ArtifactError):
        load_meta(art)


def test_meta_not_listing_model_refused(art: Path) -> None:
    raw = json.loads((art / META_FILE).read_text())
    del raw["files"][MODEL_FILE]
    (art / MODEL_FILE).unlink()  # otherwise it would also be an unlisted extra file
    (art / META_FILE).write_text(json.dumps(raw))
    with pytest.raises(ArtifactError, match=MODEL_FILE):
        load_meta(art)


def test_save_without_model_refused(tmp_path: Path) -> None:
    (tmp_path / "other.onnx").write_bytes(b"x")
    with pytest.raises(ArtifactError, match=MODEL_FILE):
        save_meta(tmp_path, _meta())
    assert not (tmp_path / META_FILE).exists()


def test_verify_false_skips_hashing(art: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (art / MODEL_FILE).write_bytes(b"tampered")
    calls: list[Path] = []
    monkeypatch.setattr(artifact, "sha256_file", lambda p: calls.append(p) or "0" * 64)
    meta = load_meta(art, verify=False)
    assert meta.name == "tiny"
    assert calls == []
    with pytest.raises(ArtifactError):
        load_meta(art)  # with verification the same directory is refused
    assert calls  # ... and the hashing helper was used


def test_load_accepts_str_path(art: Path) -> None:
    assert load_meta(str(art)).name == "tiny"


def test_sha256_file_matches_hashlib_on_multi_chunk_file(tmp_path: Path) -> None:
    p = tmp_path / "big.bin"
    data = bytes(range(256)) * (5 * 1024 + 3)  # 1.25 MiB + 768 bytes: more than one 1 MiB chunk
    assert len(data) > 1 << 20
    p.write_bytes(data)
    assert sha256_file(p) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("size", [0, 1, 1 << 20])
def test_sha256_file_edge_sizes(tmp_path: Path, size: int) -> None:
    p = tmp_path / "f.bin"
    data = b"\xab" * size
    p.write_bytes(data)
    assert sha256_file(p) == hashlib.sha256(data).hexdigest()
