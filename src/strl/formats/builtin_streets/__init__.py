"""The built-in streets: street scenes generated from a seed and scanned by a simulated spinning
LiDAR, written in KITTI's own layouts, for outdoor pre-training and detection on a laptop and in tests.

* :func:`builtin_streets_sequences` — sweep sequences of the ego car driving down streets (10 Hz,
  with poses), the KITTI odometry layout read by :class:`~strl.sequences.kitti.KittiSequences`;
* :func:`builtin_streets_object_root` — labelled frames of other streets in the KITTI object
  layout (``training/{velodyne,label_2,calib,image_2,planes}``, ``ImageSets/{train,val}.txt``),
  read by :class:`~strl.formats.kitti_object.KittiObjectDataset`.

>>> root = builtin_streets_object_root(seed=0, size="small")        # doctest: +SKIP
>>> KittiObjectDataset(root, "train")[0].gt_boxes.shape              # doctest: +SKIP
(5, 7)
"""

from .dataset import (GENERATOR_VERSION, SIZES, StreetsConfig, build_streets, builtin_streets_object_root,
                      builtin_streets_root, builtin_streets_sequences, sized_config, summary)
from .lidar import LidarSpec, beam_elevations, ray_directions, scan

__all__ = ["GENERATOR_VERSION", "SIZES", "LidarSpec", "StreetsConfig", "beam_elevations", "build_streets",
           "builtin_streets_object_root", "builtin_streets_root", "builtin_streets_sequences", "ray_directions",
           "scan", "sized_config", "summary"]
