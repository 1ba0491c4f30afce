"""Typed response objects (pydantic v2 models) for the zoo HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Prediction", "ClassifyResult", "ClassifyResponse", "ModelInfo"]


class Prediction(BaseModel):
    """One class prediction for one image.

    Attributes:
        index: Class index in the model's label list.
        label: Human-readable class name.
        score: Probability of the class, in ``[0, 1]``.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    index: int
    label: str
    score: float


class ClassifyResult(BaseModel):
    """The predictions for one input image, best first."""

    model_config = ConfigDict(extra="ignore")

    predictions: list[Prediction]

    @property
    def top(self) -> Prediction:
        """The best prediction (the first one).

        Raises:
            IndexError: If the server returned no predictions.
        """
        if not self.predictions:
            raise IndexError("this result has no predictions")
        return self.predictions[0]


class ClassifyResponse(BaseModel):
    """The answer to one ``classify`` call.

    Attributes:
        model: Name of the model that ran.
        version: Version of the model that ran.
        provider: ONNX Runtime execution provider that ran it (e.g. ``"CUDAExecutionProvider"``).
        results: One result per input image, in input order.
    """

    model_config = ConfigDict(extra="ignore")

    model: str
    version: str
    provider: str
    results: list[ClassifyResult]


class ModelInfo(BaseModel):
    """A model the server can serve, as listed by ``GET /v1/models``.

    Unknown fields sent by newer servers are kept (``extra="allow"``).

    Attributes:
        name: Model name, used as ``model=`` in ``classify``.
        version: Model version; ``"name:version"`` pins it.
        family: Model family (e.g. ``"classifier"``).
        arch: Architecture variant (e.g. ``"resnet18"``).
        labels: Class names, indexed by prediction index.
        metrics: Evaluation metrics recorded at export time.
        provider: Execution provider the model runs on.
        image_size: Side of the square input the server resizes images to.
        top_k: The server's default ``top_k`` for this model.
        default: Whether this model answers requests that name no model.
    """

    model_config = ConfigDict(extra="allow")

    name: str
    version: str
    family: str
    arch: str
    labels: list[str] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)
    provider: str
    image_size: int
    top_k: int
    default: bool = False
