"""Metrics as pure functions of arrays: the one implementation that ``strl finetune`` reports
and ``strl score`` recomputes from a predictions file.

* :mod:`strl.metrics.classification`: confusion matrix, overall / mean class / per-class accuracy;
* :mod:`strl.metrics.segmentation`: ShapeNetPart shape IoUs (instance and class mIoU, restricted or
  unrestricted argmax) and pooled semantic-segmentation IoUs (per class, mIoU, k-fold);
* :mod:`strl.metrics.prediction_files`: predictions files, validated, and their score dicts;
* :mod:`strl.metrics.kitti`: the official KITTI object evaluation (R11 and R40; bbox, bev, 3d, aos);
* :mod:`strl.metrics.detection`: VoteNet's indoor detection protocol (VOC AP at 3D IoU 0.25 and 0.5).

Accuracies and IoUs are fractions in [0, 1]; KITTI APs are percentages, as the devkit prints them.
"""
