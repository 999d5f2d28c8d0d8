"""RGB-D reader: a ray-cast synthetic room written as ScanNet-style frames, read back."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from strl.cli.data_check import check_sequences
from strl.errors import ConfigError, DataError
from strl.sequences.frame_files import DataWarning
from strl.sequences.rgbd import RGBDSequences
from strl.sequences.scene_split import split_scenes

sys.path.insert(0, os.path.dirname(__file__))
from bad_input import (  # noqa: E402
    assert_data_error,
    assert_frames_fail,
    each_breakage,
    empty_folder,
    remove_folder,
)

ROOM = (np.array([-2.0, -2.0, 0.0]), np.array([2.0, 2.0, 3.0]))  # viewed from inside
BOXES = [
    (np.array([0.5, -1.0, 0.0]), np.array([1.2, -0.3, 0.8])),
    (np.array([-1.3, 0.4, 0.0]), np.array([-0.6, 1.1, 1.5])),
]
H, W = 48, 64
K = np.array([[50.0, 0, 31.5, 0], [0, 52.0, 23.5, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
EYES = [(0.0, 0.0, 1.5), (-1.0, -1.2, 1.2), (1.5, 1.0, 2.0), (0.2, -1.5, 1.0)]
TARGETS = [(1.0, -0.6, 0.5), (-1.0, 0.8, 0.7), (0.0, 0.0, 0.3), (-1.5, 1.5, 1.5)]


def look_at(eye, target) -> np.ndarray:
    """Camera-to-world pose; camera x right, y down, z forward; world z up."""
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    f = (target - eye) / np.linalg.norm(target - eye)
    r = np.cross(f, [0.0, 0.0, 1.0])
    r /= np.linalg.norm(r)
    pose = np.eye(4)
    pose[:3, :3] = np.stack([r, np.cross(f, r), f], axis=1)
    pose[:3, 3] = eye
    return pose


def ray_cast_depth(pose: np.ndarray) -> np.ndarray:
    """Metric z-depth (H, W) of the room and boxes seen through K from ``pose``."""
    v, u = np.mgrid[0:H, 0:W].astype(float)
    d_cam = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], -1).reshape(-1, 3)
    d = d_cam @ pose[:3, :3].T  # world direction; the ray parameter is the z-depth
    o = pose[:3, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        lo_t, hi_t = (ROOM[0] - o) / d, (ROOM[1] - o) / d
        best = np.nanmin(np.where(d > 0, hi_t, np.where(d < 0, lo_t, np.inf)), axis=1)  # room exit
        for lo, hi in BOXES:
            t1, t2 = (lo - o) / d, (hi - o) / d
            near = np.nanmax(np.minimum(t1, t2), axis=1)
            far = np.nanmin(np.maximum(t1, t2), axis=1)
            hit = (near <= far) & (near > 0)
            best = np.where(hit & (near < best), near, best)
    return best.reshape(H, W)


def surface_distance(p: np.ndarray) -> np.ndarray:
    """Distance of each point (inside the room) to the nearest room wall or box face."""
    dist = np.minimum(np.abs(p - ROOM[0]), np.abs(p - ROOM[1])).min(axis=1)
    for lo, hi in BOXES:
        outside = np.linalg.norm(np.maximum(np.maximum(lo - p, p - hi), 0), axis=1)
        inside = np.minimum(p - lo, hi - p).min(axis=1)
        dist = np.minimum(dist, np.where(outside > 0, outside, inside))
    return dist


def write_png16(path: Path, depth_mm: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(depth_mm.astype(np.uint16)).save(path)


def write_frame(scene: Path, index: int, depth_mm: np.ndarray, pose: np.ndarray) -> None:
    write_png16(scene / "depth" / f"{index:06d}.png", depth_mm)
    (scene / "pose").mkdir(parents=True, exist_ok=True)
    np.savetxt(scene / "pose" / f"{index:06d}.txt", pose)


def write_room(scene: Path, holes: dict[int, int] | None = None, intrinsics=K, name="intrinsics_depth.txt"):
    """Render the room from each of EYES as frames 0, 100, 200, ...; returns the poses and depths (mm)."""
    poses, depths = [], []
    for i, (eye, target) in enumerate(zip(EYES, TARGETS)):
        pose = look_at(eye, target)
        mm = np.round(ray_cast_depth(pose) * 1000).astype(np.uint16)
        for j in range((holes or {}).get(i, 0)):  # zero pixels: no measurement
            mm[j % H, (7 * j) % W] = 0
        write_frame(scene, 100 * i, mm, pose)
        poses.append(pose)
        depths.append(mm)
    (scene / name).parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(scene / name, intrinsics)
    return poses, depths


def test_backprojected_points_lie_on_the_scene_geometry(tmp_path):
    poses, depths = write_room(tmp_path / "room", holes={0: 25, 2: 3})
    seqs = RGBDSequences(tmp_path / "room")
    assert len(seqs) == 1 and seqs.num_frames(0) == 4 and seqs.names == ["room"]
    for t in range(4):
        fr = seqs.frame(0, t)
        assert fr.points.dtype == np.float32 and fr.points.shape == (int((depths[t] > 0).sum()), 3)
        assert fr.origin.dtype == np.float32
        np.testing.assert_allclose(fr.origin, poses[t][:3, 3], atol=1e-6)
        assert surface_distance(fr.points.astype(np.float64)).max() < 1e-3
        # no point at the camera centre (the original kept depth-0 pixels there)
        assert np.linalg.norm(fr.points - fr.origin, axis=1).min() > 0.1
    assert seqs.stats["pixels_no_depth"] == 28
    assert seqs.stats["pixels_read"] == 4 * H * W


def test_pixels_back_project_to_the_ray_cast_points(tmp_path):
    poses, depths = write_room(tmp_path / "room")
    fr = RGBDSequences(tmp_path / "room").frame(0, 1)
    v, u = np.mgrid[0:H, 0:W].astype(float)
    z = ray_cast_depth(poses[1])
    cam = np.stack([(u - K[0, 2]) * z / K[0, 0], (v - K[1, 2]) * z / K[1, 1], z], -1).reshape(-1, 3)
    expected = cam @ poses[1][:3, :3].T + poses[1][:3, 3]
    np.testing.assert_allclose(fr.points, expected, atol=1e-3)  # pixel order, mm rounding


def test_non_finite_pose_and_empty_depth_are_dropped_with_counted_warnings(tmp_path):
    scene = tmp_path / "room"
    poses, depths = write_room(scene)
    np.savetxt(scene / "pose" / "000100.txt", np.full((4, 4), -np.inf))
    write_png16(scene / "depth" / "000200.png", np.zeros((H, W)))
    with pytest.warns(DataWarning, match=r"dropped 1 of 4 frame\(s\) whose pose is not finite: pose/000100.txt"):
        seqs = RGBDSequences(scene)
    assert seqs.num_frames(0) == 3 and seqs.stats["dropped_nonfinite_pose"] == 1
    # frame 1 is now the empty 000200: replaced by the nearest frame with depth (frame 0), counted
    with pytest.warns(DataWarning, match=r"000200.png: no valid depth pixel.*\(1 empty frame"):
        fr = seqs.frame(0, 1)
    np.testing.assert_allclose(fr.origin, poses[0][:3, 3], atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # already known empty: skipped without a second warning
        seqs.frame(0, 1)
    assert seqs.stats["empty_frames_replaced"] == 1

    with pytest.warns(DataWarning) as record:
        checked = RGBDSequences(scene, check_depth=True)
    messages = [str(w.message) for w in record]
    assert any("dropped 1 of 3 frame(s) with no valid depth pixel: depth/000200.png" in m for m in messages)
    assert checked.num_frames(0) == 2 and checked.stats["dropped_empty_depth"] == 1
    np.testing.assert_allclose(checked.frame(0, 1).origin, poses[3][:3, 3], atol=1e-6)


def test_max_depth_and_pixel_stride(tmp_path):
    poses, depths = write_room(tmp_path / "room")
    full = RGBDSequences(tmp_path / "room")
    near = RGBDSequences(tmp_path / "room", max_depth=2.5)
    for t in range(4):
        z = depths[t] / 1000.0
        fr = near.frame(0, t)
        assert len(fr.points) == int(((z > 0) & (z <= 2.5)).sum())
        cam_z = (fr.points - poses[t][:3, 3]) @ poses[t][:3, 2]
        assert cam_z.max() <= 2.5 + 1e-6
    assert near.stats["pixels_beyond_max_depth"] == sum(int((d > 2500).sum()) for d in depths)
    strided = RGBDSequences(tmp_path / "room", pixel_stride=2)
    fr = strided.frame(0, 2)
    assert len(fr.points) == int((depths[2][::2, ::2] > 0).sum())
    assert surface_distance(fr.points.astype(np.float64)).max() < 1e-3
    # every strided point is one of the full-resolution points
    dense = full.frame(0, 2).points
    gap = np.linalg.norm(fr.points[:, None] - dense[None], axis=2).min(axis=1)
    assert gap.max() < 1e-6


def test_max_points_is_seeded_per_frame(tmp_path):
    write_room(tmp_path / "room")
    a = RGBDSequences(tmp_path / "room", max_points=500, seed=3)
    b = RGBDSequences(tmp_path / "room", max_points=500, seed=3)
    c = RGBDSequences(tmp_path / "room", max_points=500, seed=4)
    assert a.frame(0, 1).points.shape == (500, 3)
    np.testing.assert_array_equal(a.frame(0, 1).points, b.frame(0, 1).points)
    np.testing.assert_array_equal(a.frame(0, 1).points, a.frame(0, 1).points)
    assert not np.array_equal(a.frame(0, 1).points, c.frame(0, 1).points)


def test_three_by_three_intrinsics_in_the_raw_scannet_place(tmp_path):
    write_room(tmp_path / "a")
    write_room(tmp_path / "b", intrinsics=K[:3, :3], name="intrinsic/intrinsic_depth.txt")
    np.testing.assert_array_equal(RGBDSequences(tmp_path / "a").frame(0, 0).points,
                                  RGBDSequences(tmp_path / "b").frame(0, 0).points)


def make_tiny_scenes(root: Path, names) -> None:
    for k, name in enumerate(names):
        pose = np.eye(4)
        pose[:3, 3] = [k, 0, 0]
        for i in range(2):
            write_frame(root / name, i, np.full((6, 8), 1000 + i), pose)
        np.savetxt(root / name / "intrinsics_depth.txt", [[6.0, 0, 3.5], [0, 6.0, 2.5], [0, 0, 1]])


NAMES = ["scene0000_00", "scene0000_01", "scene0001_00", "scene0002_00", "scene0003_00", "scene0003_01", "phone_scan"]


def test_folder_of_scenes_and_seeded_scene_split(tmp_path):
    make_tiny_scenes(tmp_path, NAMES)
    (tmp_path / "not_a_scene").mkdir()
    every = RGBDSequences(tmp_path)
    assert every.names == sorted(NAMES)
    train = RGBDSequences(tmp_path, split="train", val_fraction=0.4, split_seed=1)
    val = RGBDSequences(tmp_path, split="val", val_fraction=0.4, split_seed=1)
    assert sorted(train.names + val.names) == sorted(NAMES) and not set(train.names) & set(val.names)
    assert len(val.names) >= 2  # 2 of 5 rooms
    for rescans in (("scene0000_00", "scene0000_01"), ("scene0003_00", "scene0003_01")):
        assert (rescans[0] in val.names) == (rescans[1] in val.names)
    again = RGBDSequences(tmp_path, split="val", val_fraction=0.4, split_seed=1)
    assert again.names == val.names
    other = [split_scenes(NAMES, "val", 0.4, s) for s in range(10)]
    assert len({tuple(o) for o in other}) > 1


def test_explicit_scene_list_and_file(tmp_path):
    make_tiny_scenes(tmp_path / "data", NAMES)
    assert RGBDSequences(tmp_path / "data", scenes=["phone_scan", "scene0001_00"]).names == ["phone_scan", "scene0001_00"]
    listing = tmp_path / "val.txt"
    listing.write_text("# held out\nscene0002_00\n\nscene0003_01\n")
    assert RGBDSequences(tmp_path / "data", scenes=listing).names == ["scene0002_00", "scene0003_01"]
    listing.write_text("scene0002_00\nscene9999_00\n")
    with pytest.raises(DataError, match=r"val.txt.*unknown scene\(s\).*scene9999_00"):
        RGBDSequences(tmp_path / "data", scenes=listing)
    with pytest.raises(DataError, match="no scenes in split 'val'"):
        RGBDSequences(tmp_path / "data", split="val", val_fraction=0.0)
    with pytest.raises(ConfigError, match="split"):
        RGBDSequences(tmp_path / "data", split="test")


class _FrameDataset(torch.utils.data.Dataset):
    def __init__(self, seqs):
        self.seqs = seqs

    def __len__(self):
        return self.seqs.num_frames(0)

    def __getitem__(self, t):
        return torch.from_numpy(self.seqs.frame(0, t).points)


def test_works_in_dataloader_workers(tmp_path):
    write_room(tmp_path / "room")
    seqs = RGBDSequences(tmp_path / "room", max_points=300)
    loader = torch.utils.data.DataLoader(_FrameDataset(seqs), batch_size=2, num_workers=2)
    batches = torch.cat(list(loader))
    expected = np.stack([seqs.frame(0, t).points for t in range(4)])
    np.testing.assert_array_equal(batches.numpy(), expected)


def test_frame_statistics(tmp_path):
    poses, depths = write_room(tmp_path / "room", holes={1: 10})
    problems = []
    summary = check_sequences("scenes", RGBDSequences(tmp_path / "room"), None, problems)
    counts = [int((d > 0).sum()) for d in depths]
    assert problems == [] and summary["sequences"] == 1 and summary["frames"] == 4 and summary["items_checked"] == 4
    assert summary["points"] == {"min": min(counts), "mean": float(np.mean(counts)), "max": max(counts)}
    assert summary["reader_stats"]["pixels_no_depth"] == 10
    assert np.all(np.array(summary["xyz_min"]) >= ROOM[0] - 1e-3)
    assert np.all(np.array(summary["xyz_max"]) <= ROOM[1] + 1e-3)
    assert summary["origin_min"] == pytest.approx(np.min([p[:3, 3] for p in poses], axis=0))
    assert check_sequences("scenes", RGBDSequences(tmp_path / "room"), 2, problems)["items_checked"] == 2


def test_depth_scale_divides_the_depth_values(tmp_path):
    """TUM-style PNGs hold 5000 units per metre: the same image read with scale 5000 is 5 times nearer."""
    write_room(tmp_path / "room")
    mm, tum = RGBDSequences(tmp_path / "room"), RGBDSequences(tmp_path / "room", depth_scale=5000.0)
    a, b = mm.frame(0, 1), tum.frame(0, 1)
    np.testing.assert_allclose(b.points - b.origin, (a.points - a.origin) / 5, atol=1e-5)


def test_depth_range_in_metres_of_the_frames_read(tmp_path):
    _, depths = write_room(tmp_path / "room", holes={0: 5})
    seqs = RGBDSequences(tmp_path / "room")
    assert seqs.depth_range is None  # nothing read yet
    for t in range(4):
        seqs.frame(0, t)
    valid = np.concatenate([d[d > 0] for d in depths])
    assert seqs.depth_range == pytest.approx((valid.min() / 1000, valid.max() / 1000))


@pytest.mark.parametrize("where", ["index", "read"])
def test_intrinsics_of_another_image_size_are_refused(tmp_path, where):
    """The colour camera's intrinsics (principal point of a 2x larger image) do not belong to the depth image."""
    colour = K.copy()
    colour[:2] *= 2
    if where == "index":
        write_room(tmp_path / "room", intrinsics=colour)
        with pytest.raises(DataError, match=r"depth/000000.png: .*64x48.*intrinsics_depth.txt.*principal point"):
            RGBDSequences(tmp_path / "room")
    else:  # the first frame fits, a later one has another size
        write_room(tmp_path / "room")
        write_png16(tmp_path / "room" / "depth" / "000200.png", np.full((H // 2, W // 2), 1000))
        seqs = RGBDSequences(tmp_path / "room")
        seqs.frame(0, 1)
        with pytest.raises(DataError, match=r"depth/000200.png: .*32x24.*intrinsics_depth.txt.*principal point"):
            seqs.frame(0, 2)


# -- bad input ---------------------------------------------------------------------------------


def _break(kind: str, scene: Path) -> None:
    if kind == "no depth folder":
        remove_folder(scene / "depth")
    elif kind == "no pose folder":
        remove_folder(scene / "pose")
    elif kind == "no intrinsics":
        (scene / "intrinsics_depth.txt").unlink()
    elif kind == "missing pose":
        (scene / "pose" / "000200.txt").unlink()
    elif kind == "missing depth":
        (scene / "depth" / "000300.png").unlink()
    elif kind == "pose 3x3":
        np.savetxt(scene / "pose" / "000100.txt", np.eye(3))
    elif kind == "corrupt pose":
        (scene / "pose" / "000100.txt").write_text("1 0 0 0\n0 1 0 0\nbanana 0 1 0\n0 0 0 1\n")
    elif kind == "empty pose":
        (scene / "pose" / "000100.txt").write_text("")
    elif kind == "pose last row":
        pose = np.eye(4)
        pose[3, 0] = 0.5
        np.savetxt(scene / "pose" / "000100.txt", pose)
    elif kind == "zero focal":
        bad = K.copy()
        bad[1, 1] = 0.0
        np.savetxt(scene / "intrinsics_depth.txt", bad)
    elif kind == "intrinsics 2x2":
        np.savetxt(scene / "intrinsics_depth.txt", np.eye(2))
    elif kind == "all poses non-finite":
        for p in (scene / "pose").iterdir():
            np.savetxt(p, np.full((4, 4), np.nan))
    elif kind == "no frames":
        for sub in ("depth", "pose"):
            empty_folder(scene / sub)


INIT_ERRORS = [
    ("no depth folder", r"depth: scene has no depth/ folder"),
    ("no pose folder", r"pose: scene has no pose/ folder"),
    ("no intrinsics", r"room: no intrinsics file"),
    ("missing pose", r"do not match: no pose for depth 000200.png"),
    ("missing depth", r"do not match: no depth for pose 000300.txt"),
    ("pose 3x3", r"000100.txt: pose has shape \(3, 3\)"),
    ("corrupt pose", r"000100.txt: cannot parse pose"),
    ("empty pose", r"000100.txt: pose has shape"),
    ("pose last row", r"000100.txt: pose last row"),
    ("zero focal", r"intrinsics_depth.txt: focal length must be positive"),
    ("intrinsics 2x2", r"intrinsics_depth.txt: intrinsics have shape \(2, 2\)"),
    ("all poses non-finite", r"room: scene has no usable frames \(every pose is non-finite\)"),
    ("no frames", r"room: scene has no usable frames \(no depth"),
]


@each_breakage(INIT_ERRORS)
def test_bad_scene_raises_data_error_naming_the_file(tmp_path, kind, message):
    write_room(tmp_path / "room")
    _break(kind, tmp_path / "room")
    assert_data_error(lambda: RGBDSequences(tmp_path / "room"), message)


def test_bad_depth_images_raise_when_read(tmp_path):
    scene = tmp_path / "room"
    write_room(scene)
    Image.fromarray(np.full((H, W), 7, np.uint8)).save(scene / "depth" / "000000.png")
    png = (scene / "depth" / "000100.png").read_bytes()
    (scene / "depth" / "000100.png").write_bytes(png[: len(png) // 2])
    (scene / "depth" / "000200.png").write_bytes(b"not a png at all")
    assert_frames_fail(RGBDSequences(scene), {  # depth is read lazily
        0: r"000000.png: depth image has mode 'L', expected a single-channel 16-bit",
        1: r"000100.png: cannot decode depth image",
        2: r"000200.png: cannot decode depth image",
    })
    with pytest.raises(DataError, match=r"000000.png: depth image has mode"):
        RGBDSequences(scene, check_depth=True)


def test_missing_root_and_non_scene_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        RGBDSequences(tmp_path / "nowhere")
    (tmp_path / "empty" / "stuff").mkdir(parents=True)
    with pytest.raises(DataError, match="no scene folders"):
        RGBDSequences(tmp_path / "empty")


def test_scene_with_only_empty_depth_raises_on_read(tmp_path):
    scene = tmp_path / "room"
    write_room(scene)
    for i in range(4):
        write_png16(scene / "depth" / f"{100 * i:06d}.png", np.zeros((H, W)))
    seqs = RGBDSequences(scene)
    assert_data_error(lambda: seqs.frame(0, 2), "room: scene has no usable frames")
    assert seqs.stats["empty_frames_replaced"] == 4
