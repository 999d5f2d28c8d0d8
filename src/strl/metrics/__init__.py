"""Scores of downstream tasks as pure functions of arrays (KITTI object AP, ...)."""
