"""3D object detectors in pure PyTorch: VoteNet (indoor scenes) and PointPillars (LiDAR sweeps).

* :mod:`strl.detection.votenet` — VoteNet on strl's PointNet++ backbone, with VoteNet's keys;
* :mod:`strl.detection.pointpillars` — PointPillars with OpenPCDet's structure and keys.

Box geometry (corners, IoU, NMS) is :mod:`strl.geometry`.
"""
