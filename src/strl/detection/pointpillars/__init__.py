"""PointPillars in pure PyTorch with OpenPCDet's structure, parameter names and shapes.

    cfg = preset("pointpillars-kitti")            # or "pointpillars-laptop"
    model = PointPillars(cfg)
    pillars = model.pillarize(points)             # (B, N, 4), a list of (N_i, 4), or (sum N, 5)
    out = model(pillars)                          # HeadOutput: cls (B, A, 3), box (B, A, 7), dir (B, A, 2)
    parts = model.loss(out, gt_boxes, gt_classes) # (B, G, 7), (B, G) class index, -1 = padding
    detections = model.predict(out)               # per frame: boxes (k, 7), scores (k,), labels (k,)
    export_openpcdet(model, "pointpillar.pth")    # for OpenPCDet's --pretrained_model
"""

from strl.detection.pointpillars.anchor_head import HeadOutput
from strl.detection.pointpillars.config import PRESETS, AnchorClass, PointPillarsConfig, preset
from strl.detection.pointpillars.encoder import PointPillarsEncoder
from strl.detection.pointpillars.export import export_openpcdet, openpcdet_state
from strl.detection.pointpillars.model import PointPillars, pad_boxes
from strl.detection.pointpillars.pillarize import Pillars, batch_points, pillarize
from strl.detection.pointpillars.postprocess import Detections

__all__ = [
    "PRESETS", "AnchorClass", "Detections", "HeadOutput", "Pillars", "PointPillars", "PointPillarsConfig",
    "PointPillarsEncoder", "batch_points", "export_openpcdet", "openpcdet_state", "pad_boxes", "pillarize", "preset",
]
