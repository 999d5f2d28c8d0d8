"""The KITTI object detection layout: labels, calibration, sweeps, images and splits.

::

    <root>/training/velodyne/NNNNNN.bin   float32 records (x, y, z, reflectance), LiDAR frame
    <root>/training/label_2/NNNNNN.txt    objects (:mod:`strl.formats.kitti_labels`)
    <root>/training/calib/NNNNNN.txt      P0..P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo
    <root>/training/image_2/NNNNNN.png    only the image size is read
    <root>/training/planes/NNNNNN.txt     optional road plane (rectified camera frame)
    <root>/testing/...                    the same without label_2
    <root>/ImageSets/{train,val,test}.txt frame ids, one a line
"""

from __future__ import annotations

from strl.formats.kitti_labels import KittiLabels, read_label_file, write_label_file

__all__ = ["KittiLabels", "read_label_file", "write_label_file"]
