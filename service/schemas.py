"""Typed JSON responses of the service (the SDK mirrors them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PredictionOut(BaseModel):
    index: int = Field(description="class index")
    label: str = Field(description="class name")
    score: float = Field(description="softmax probability")


class ClassifyResultOut(BaseModel):
    predictions: list[PredictionOut] = Field(description="top-k labels, best first")


class ClassifyResponse(BaseModel):
    model: str = Field(description="name of the model that answered")
    version: str = Field(description="its version in the model store")
    provider: str = Field(description="onnxruntime execution provider it ran on")
    results: list[ClassifyResultOut] = Field(description="one result per image, in request order")


class ModelInfo(BaseModel):
    """One entry of ``GET /v1/models``."""

    name: str
    version: str
    family: str
    arch: str
    labels: list[str]
    metrics: dict[str, Any]
    provider: str
    image_size: int
    top_k: int
    default: bool
    warmup_ms: float
