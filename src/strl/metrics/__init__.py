"""Metrics as pure functions of numpy arrays: the one implementation that ``strl finetune`` reports
and ``strl score`` recomputes from a predictions file.

* :mod:`strl.metrics.classification`: confusion matrix, overall / mean class / per-class accuracy;
* :mod:`strl.metrics.segmentation`: ShapeNetPart shape IoUs (instance and class mIoU, restricted or
  unrestricted argmax) and pooled semantic-segmentation IoUs (per class, mIoU, k-fold);
* :mod:`strl.metrics.prediction_files`: predictions files, validated, and their score dicts.

Accuracies and IoUs are fractions in [0, 1].
"""
