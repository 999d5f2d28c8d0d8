"""The camera and LiDAR calibration of the built-in streets: KITTI's own (2011_09_26 recordings).

The matrices are those of the KITTI object devkit's calibration files of that day (the file of
training frame 000000 holds the same values): image_2 is 1242 x 375 pixels, its focal length
721.5 px; the rectified camera 0 sits about 8 cm below and 27 cm ahead of the LiDAR.
"""

from __future__ import annotations

import numpy as np

from strl.formats.kitti_calib import Calibration

IMAGE_SHAPE = (375, 1242)  # image_2 (height, width)

_MATRICES = {
    "P0": [721.5377, 0.0, 609.5593, 0.0, 0.0, 721.5377, 172.854, 0.0, 0.0, 0.0, 1.0, 0.0],
    "P1": [721.5377, 0.0, 609.5593, -387.5744, 0.0, 721.5377, 172.854, 0.0, 0.0, 0.0, 1.0, 0.0],
    "P2": [721.5377, 0.0, 609.5593, 44.85728, 0.0, 721.5377, 172.854, 0.2163791, 0.0, 0.0, 1.0, 0.002745884],
    "P3": [721.5377, 0.0, 609.5593, -339.5242, 0.0, 721.5377, 172.854, 2.199936, 0.0, 0.0, 1.0, 0.002729905],
    "R0_rect": [0.9999239, 0.00983776, -0.007445048, -0.009869795, 0.9999421, -0.004278459, 0.007402527,
                0.004351614, 0.9999631],
    "Tr_velo_to_cam": [0.007533745, -0.9999714, -0.000616602, -0.004069766, 0.01480249, 0.0007280733, -0.9998902,
                       -0.07631618, 0.9998621, 0.00752379, 0.01480755, -0.2717806],
    "Tr_imu_to_velo": [0.9999976, 0.0007553071, -0.002035826, -0.8086759, -0.0007854027, 0.9998898, -0.01482298,
                       0.3195559, 0.002024406, 0.01482454, 0.9998881, -0.7997231],
}


def street_calibration() -> Calibration:
    """The :class:`~strl.formats.kitti_calib.Calibration` written for every built-in street frame."""
    return Calibration(**{k: np.array(v, np.float64).reshape(3, -1) for k, v in _MATRICES.items()})


def road_plane(calib: Calibration, sensor_height: float) -> np.ndarray:
    """``(4,)`` the road ``z = -sensor_height`` (LiDAR frame) as ``a x + b y + c z + d = 0`` in the
    rectified camera frame, normal pointing up (``b < 0``), as in KITTI's ``planes/`` files."""
    m = calib.lidar_to_rect_matrix
    normal = m[:3, :3] @ np.array([0.0, 0.0, 1.0])
    point = m[:3, :3] @ np.array([0.0, 0.0, -sensor_height]) + m[:3, 3]
    return np.append(normal, -normal @ point)
