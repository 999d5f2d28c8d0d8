"""Batched spatial augmentation of point clouds (the STRL object and scene pipelines, and a metric LiDAR one)."""

from strl.transforms.config import AugmentConfig
from strl.transforms.pipeline import Pipeline, augment, augment_pair, build_pipeline

__all__ = ["AugmentConfig", "Pipeline", "augment", "augment_pair", "build_pipeline"]
