"""Settings of ``strl evaluate``: the frozen-feature protocols on a labelled dataset."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

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


class EvaluateSettings(SVMSettings, EvalDataSettings, DeviceSettings, CheckpointSettings):
    """All settings of ``strl evaluate``."""
