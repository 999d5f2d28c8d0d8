"""Tiny KITTI raw drives: a sensor moving through a static scene, with OXTS files made from its poses."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ER = 6378137.0
LAT0, LON0, ALT0, YAW0 = 49.0, 8.4, 110.0, 0.3
IMU_TO_VELO = """\
calib_time: 25-May-2012 16:47:16
R: 9.999976e-01 7.553071e-04 -2.035826e-03 -7.854027e-04 9.998898e-01 -1.482298e-02 2.024406e-03 1.482454e-02 9.998881e-01
T: -8.086759e-01 3.195559e-01 -7.997231e-01
"""
VELO_TO_CAM = """\
calib_time: 15-Mar-2012 11:37:16
R: 7.533745e-03 -9.999714e-01 -6.166020e-04 1.480249e-02 7.280733e-04 -9.998902e-01 9.998621e-01 7.523790e-03 1.480755e-02
T: -4.069766e-03 -7.631618e-02 -2.717806e-01
delta_f: 0.000000e+00 0.000000e+00
delta_c: 0.000000e+00 0.000000e+00
"""


def rigid(text: str) -> np.ndarray:
    """The 4x4 transform of a calib text above."""
    rows = dict(line.split(":", 1) for line in text.splitlines())
    out = np.eye(4)
    out[:3, :3] = np.array(rows["R"].split(), float).reshape(3, 3)
    out[:3, 3] = np.array(rows["T"].split(), float)
    return out


def rz(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def imu_pose(i: int) -> np.ndarray:
    """IMU pose of frame i in the IMU frame of frame 0: forward and left, climbing, turning left."""
    pose = np.eye(4)
    pose[:3, :3] = rz(0.04 * i)
    pose[:3, 3] = [1.0 * i, 0.2 * i, 0.05 * i]
    return pose


def oxts_line(i: int) -> str:
    """The 30 OXTS values of frame i: lat/lon/alt from the Mercator inverse, yaw = YAW0 + 0.04 i."""
    scale = np.cos(np.deg2rad(LAT0))
    m0 = np.array([scale * ER * np.deg2rad(LON0), scale * ER * np.log(np.tan(np.pi / 4 + np.deg2rad(LAT0) / 2)), ALT0])
    mx, my, alt = m0 + rz(YAW0) @ imu_pose(i)[:3, 3]
    lon = np.rad2deg(mx / (scale * ER))
    lat = np.rad2deg(2 * np.arctan(np.exp(my / (scale * ER))) - np.pi / 2)
    values = [lat, lon, alt, 0.0, 0.0, YAW0 + 0.04 * i] + [0.1] * 19 + [4, 10, 5, 5, 6]
    return " ".join(f"{v:.12f}" if k < 25 else str(int(v)) for k, v in enumerate(values))


def scene() -> np.ndarray:
    """World points (the IMU frame of frame 0): ground grid and poles, (N, 3)."""
    gx, gy = np.meshgrid(np.linspace(-5, 30, 12), np.linspace(-8, 8, 7))
    ground = np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, -1.9)], 1)
    poles = np.stack([np.full(6, 12.0), np.full(6, 3.0), np.linspace(-1.5, 1.5, 6)], 1)
    return np.vstack([ground, poles])


def write_drive(root: Path, date: str = "2011_09_26", drive: str = "0005", frames=range(5)) -> Path:
    """Sweeps (sensor frame) and OXTS files of the frames, and the date's calibration files."""
    folder = root / date / f"{date}_drive_{drive}_sync"
    for sub in ("velodyne_points/data", "oxts/data"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (root / date / "calib_imu_to_velo.txt").write_text(IMU_TO_VELO)
    (root / date / "calib_velo_to_cam.txt").write_text(VELO_TO_CAM)
    world = scene()
    for i in frames:
        to_sensor = rigid(IMU_TO_VELO) @ np.linalg.inv(imu_pose(i))
        xyz = world @ to_sensor[:3, :3].T + to_sensor[:3, 3]
        np.hstack([xyz, np.full((len(xyz), 1), 0.3)]).astype(np.float32).tofile(
            folder / "velodyne_points" / "data" / f"{i:010d}.bin")
        (folder / "oxts" / "data" / f"{i:010d}.txt").write_text(oxts_line(i) + "\n")
    return folder
