"""Self-describing model artifacts: ``model.onnx`` + ``meta.json`` (+ extra files).

An artifact directory is complete without the training code: ``meta.json`` carries the
family, the config dataclass as a dict, labels, preprocessing, input/output names with their
dynamic axes, the metrics the model reached, data provenance, library versions and the
sha256 of every other file in the directory. :func:`load_meta` refuses a directory whose
files do not match their recorded hashes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
META_FILE = "meta.json"
MODEL_FILE = "model.onnx"
# In the BentoML model store an artifact lives in <model path>/artifact, since BentoML writes
# its own model.yaml into <model path>, a file meta.json does not list.
STORE_SUBDIR = "artifact"


class ArtifactError(ValueError):
    """An artifact directory is missing, malformed or fails its integrity check."""


@dataclass
class TensorSpec:
    """Name, element type and shape of one graph input or output (``None`` = dynamic axis)."""

    name: str
    dtype: str
    shape: list[int | str]


@dataclass
class ArtifactMeta:
    """Everything the service needs to rebuild a pipeline, stored as ``meta.json``."""

    family: str
    name: str
    config: dict[str, Any]
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    labels: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    export: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["inputs"] = [t.__dict__ for t in self.inputs]
        d["outputs"] = [t.__dict__ for t in self.outputs]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArtifactMeta:
        d = dict(d)
        if d.get("schema_version") != SCHEMA_VERSION:
            raise ArtifactError(
                f"unsupported meta.json schema_version {d.get('schema_version')!r}; "
                f"this code reads version {SCHEMA_VERSION}"
            )
        d["inputs"] = [TensorSpec(**t) for t in d["inputs"]]
        d["outputs"] = [TensorSpec(**t) for t in d["outputs"]]
        return cls(**d)


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_meta(directory: str | Path, meta: ArtifactMeta) -> Path:
    """Hash every file in ``directory`` (except meta.json) into ``meta`` and write meta.json.

    Args:
        directory: the artifact directory, already holding model.onnx and any extra files.
        meta: the metadata; its ``files`` field is overwritten.

    Returns:
        The path of the written meta.json.
    """
    directory = Path(directory)
    if not (directory / MODEL_FILE).is_file():
        raise ArtifactError(f"{directory} has no {MODEL_FILE}")
    meta.files = {
        p.relative_to(directory).as_posix(): sha256_file(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p != directory / META_FILE
    }
    path = directory / META_FILE
    path.write_text(json.dumps(meta.to_dict(), indent=2, sort_keys=True) + "\n")
    return path


def load_meta(directory: str | Path, *, verify: bool = True) -> ArtifactMeta:
    """Read meta.json of an artifact and (by default) verify the sha256 of every file.

    Raises:
        ArtifactError: when meta.json is missing or malformed, a listed file is missing,
            a hash differs, or a file is present that meta.json does not list.
    """
    directory = Path(directory)
    path = directory / META_FILE
    if not path.is_file():
        raise ArtifactError(f"{directory} is not an artifact: no {META_FILE}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise TypeError(f"top level is {type(raw).__name__}, not an object")
        meta = ArtifactMeta.from_dict(raw)
    except (ValueError, TypeError, KeyError) as e:  # ValueError covers JSON and UTF-8 errors
        if isinstance(e, ArtifactError):
            raise
        raise ArtifactError(f"{path} is malformed: {e}") from e
    if verify:
        verify_files(directory, meta)
    return meta


def verify_files(directory: Path, meta: ArtifactMeta) -> None:
    """Check that the directory holds exactly the files meta.json lists, with their hashes."""
    if MODEL_FILE not in meta.files:
        raise ArtifactError(f"{directory}/{META_FILE} does not list {MODEL_FILE}")
    present = {
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and p != directory / META_FILE
    }
    extra = present - set(meta.files)
    if extra:
        raise ArtifactError(f"{directory} holds files meta.json does not list: {sorted(extra)}")
    for rel, digest in meta.files.items():
        p = directory / rel
        if not p.is_file():
            raise ArtifactError(f"{directory} is missing {rel}")
        actual = sha256_file(p)
        if actual != digest:
            raise ArtifactError(
                f"sha256 mismatch for {directory / rel}: meta.json says {digest[:12]}..., "
                f"file is {actual[:12]}... (artifact modified or corrupted)"
            )
