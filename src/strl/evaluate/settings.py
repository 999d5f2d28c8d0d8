"""Settings of ``strl evaluate``: the frozen-feature protocols on a labelled dataset."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from strl.settings.common import CheckpointSettings, DeviceSettings
from strl.settings.schema import Choices, Settings


def _eval_sources() -> list[str]:
    from strl.train.data import EVAL_SOURCES

    return EVAL_SOURCES.names()


class EvalDataSettings(Settings):
    """Data: the labelled clouds the features are taken of."""

    dataset: Annotated[str, Choices(_eval_sources)] = "modelnet40"
    """labelled dataset (its train split fits the classifier, its test split scores it)"""
    root: str = ""
    """folder of the dataset: either ModelNet40 layout, or ScanObjectNN's h5 files"""
    num_points: Annotated[int, Field(ge=1)] = 2048
    """points per cloud: the first ones, normalised to the unit sphere"""
    cache_dir: str = ""
    """cache of generated and converted data ('': $STRL_CACHE_DIR or ~/.cache/strl)"""
    builtin_size: Literal["default", "small"] = "default"
    """size of the built-in data"""


class SVMSettings(Settings):
    """Linear SVM: the paper's protocol and its variants."""

    c: Annotated[float, Field(gt=0.0)] = 1.0
    """SVM regularisation C (the paper: 1)"""
    cv_c: bool = False
    """choose C by cross-validation on the training features only"""
    standardize: bool = False
    """standardise features with the training features' mean and standard deviation"""
    label_fraction: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    """share of the training labels kept per class (seeded, at least one per class)"""
    seed: int = 0
    """seed of the label subset"""
    json: str = ""
    """also write the result to this JSON file ('': do not)"""


class FewShotSettings(Settings):
    """Few-shot: N-way K-shot episodes on frozen features (CrossPoint's protocol)."""

    few_shot: list[str] = []
    """N-way,K-shot settings to run, e.g. 5,10 10,20: a linear SVM on frozen train-split features per seeded
    episode, K support and --queries query samples per class (CrossPoint's protocol; not Point-BERT's
    10-fold fine-tuning), mean and std over --episodes"""
    episodes: Annotated[int, Field(ge=1)] = 10
    """few-shot episodes per N-way,K-shot setting"""
    queries: Annotated[int, Field(ge=1)] = 20
    """few-shot query samples per class"""

    @field_validator("few_shot")
    @classmethod
    def _ways_shots(cls, value: list[str]) -> list[str]:
        for item in value:
            parts = item.split(",")
            if len(parts) != 2 or not all(p.strip().isdigit() for p in parts) or int(parts[0]) < 2 or int(parts[1]) < 1:
                raise ValueError(f"each value is WAYS,SHOTS with WAYS >= 2 and SHOTS >= 1, got {item!r}")
        return value

    def ways_shots(self) -> list[tuple[int, int]]:
        return [tuple(int(p) for p in item.split(",")) for item in self.few_shot]


class EvaluateSettings(FewShotSettings, SVMSettings, EvalDataSettings, DeviceSettings, CheckpointSettings):
    """All settings of ``strl evaluate``."""
