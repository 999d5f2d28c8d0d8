"""The table of dataset formats :func:`strl.formats.detect.identify` knows, in the order it tries them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from strl.formats import openers, probes


@dataclass(frozen=True)
class FormatSpec:
    """How one format is recognised (``probe``), opened, and what ``identify`` reports for it."""

    title: str
    looks_for: str
    probe: Callable[[Path], Path | None]
    open: Callable[[Path], dict]
    pipeline: str = "object"
    up: str = "y"
    searched_below: bool = True  # also recognised one folder level down


FORMATS: dict[str, FormatSpec] = {
    "shapenet": FormatSpec("ShapeNet clouds (npz, key 'data')", ".npz with a 3-D 'data' array",
                           probes.probe_shapenet, openers.open_shapenet),
    "modelnet40_normal_resampled": FormatSpec(
        "ModelNet40, normal-resampled text files", "modelnet40_shape_names.txt", probes.probe_modelnet_normal,
        openers.open_modelnet_normal),
    "modelnet40_ply_hdf5_2048": FormatSpec(
        "ModelNet40, HDF5 release", "ply_data_{train,test}*.h5 with 'data' and 'label'",
        probes.probe_h5_folder("modelnet40_ply_hdf5_2048"), openers.open_modelnet_h5),
    "scanobjectnn": FormatSpec("ScanObjectNN, HDF5 release", "main_split*/*objectdataset*.h5",
                               probes.probe_scanobjectnn, openers.open_scanobjectnn),
    "shapenetpart_txt": FormatSpec("ShapeNetPart, text release", "synsetoffset2category.txt",
                                   probes.probe_shapenetpart_txt, openers.open_shapenetpart_txt),
    "shapenetpart_h5": FormatSpec("ShapeNetPart, HDF5 release", "*.h5 with 'data', 'label' and 'pid'",
                                  probes.probe_h5_folder("shapenetpart_h5"), openers.open_shapenetpart_h5),
    "s3dis": FormatSpec("S3DIS blocks (indoor3d_sem_seg_hdf5_data)", "room_filelist.txt + ply_data_all_*.h5",
                        probes.probe_s3dis, openers.open_s3dis, up="z"),
    "scannet_pickle": FormatSpec("ScanNet whole scenes (pickle)", "scannet_{train,test}.pickle",
                                 probes.probe_scannet_pickle, openers.open_scannet_pickle, up="z"),
    "rgbd": FormatSpec("RGB-D frames (ScanNet layout)", "depth/ + pose/ in the folder or in its sub-folders",
                       probes.probe_rgbd, openers.open_rgbd, pipeline="scene", up="z"),
    "kitti_object": FormatSpec("KITTI object detection (LiDAR, labels, calibration)",
                               "training/{velodyne,calib}/ (+ ImageSets/)", probes.probe_kitti_object,
                               openers.open_kitti_object, pipeline="scene", up="z"),
    "kitti_raw": FormatSpec("KITTI raw drives (LiDAR sweeps, OXTS poses)",
                            "<date>/<date>_drive_<NNNN>_sync/velodyne_points/data/", probes.probe_kitti_raw,
                            openers.open_kitti_raw, pipeline="scene", up="z"),
    "kitti": FormatSpec("KITTI odometry LiDAR sweeps", "sequences/NN/velodyne/",
                        probes.probe_kitti, openers.open_kitti, pipeline="scene", up="-y"),
    "npy": FormatSpec("clouds in one .npy array", ".npy of shape (M, N, 3)",
                      probes.probe_npy, openers.open_npy, up="z"),
    "point_file": FormatSpec("one point-cloud file", "a .ply/.pcd/.off/.obj/.txt/.xyz/.npz/.npy file",
                             probes.probe_point_file, openers.open_point_file, up="z", searched_below=False),
    "folder": FormatSpec("a folder of point-cloud files", "point files (.ply, .pcd, .off, .obj, .npy, .npz, .txt, "
                         ".xyz) anywhere below", probes.probe_folder, openers.open_folder, up="z", searched_below=False),
}
