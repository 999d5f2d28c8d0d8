"""Downstream task models: a pre-trained encoder plus the head of the reference code, whose
state_dict (:meth:`~strl.models.base.TaskModel.downstream_state_dict`) is the reference layout."""

from strl.models.base import TaskModel
from strl.models.classification import Classifier
from strl.models.losses import smoothed_cross_entropy
from strl.models.partseg import PartSegmenter
from strl.models.semseg import SemanticSegmenter

__all__ = ["Classifier", "PartSegmenter", "SemanticSegmenter", "TaskModel", "smoothed_cross_entropy"]
