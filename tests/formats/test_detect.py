"""identify(): each format written in its real on-disk layout is recognised from names and keys alone."""

import json
import pickle

import numpy as np
import pytest
from PIL import Image

from strl.errors import ConfigError, DataError
from strl.formats.detect import identify, is_sequence_set
from strl.formats.known_formats import FORMATS
from strl.formats.modelnet import MODELNET40_CLASSES


def write_modelnet_normal(root, rng, ids=("airplane_0001", "chair_0002", "chair_0003"), rows=12):
    folder = root / "modelnet40_normal_resampled"
    folder.mkdir(parents=True)
    (folder / "modelnet40_shape_names.txt").write_text("\n".join(MODELNET40_CLASSES) + "\n")
    for split, split_ids in (("train", ids), ("test", ids[:1])):
        (folder / f"modelnet40_{split}.txt").write_text("\n".join(split_ids) + "\n")
    for sid in ids:
        cls = "_".join(sid.split("_")[:-1])
        (folder / cls).mkdir(exist_ok=True)
        np.savetxt(folder / cls / f"{sid}.txt", rng.standard_normal((rows, 6)), fmt="%.6f", delimiter=",")
    return folder


def write_rgbd_scene(scene, frames=3, h=12, w=16):
    """A camera sliding along x in front of a wall 2 m away: depth/, pose/, intrinsics_depth.txt."""
    (scene / "depth").mkdir(parents=True)
    (scene / "pose").mkdir()
    for i in range(frames):
        Image.fromarray(np.full((h, w), 2000, np.uint16)).save(scene / "depth" / f"{100 * i:06d}.png")
        pose = np.eye(4)
        pose[0, 3] = 0.1 * i
        np.savetxt(scene / "pose" / f"{100 * i:06d}.txt", pose)
    np.savetxt(scene / "intrinsics_depth.txt", [[10.0, 0, w / 2], [0, 10.0, h / 2], [0, 0, 1]])
    return scene


def write_kitti(root, rng, sweeps=2):
    folder = root / "sequences" / "00"
    (folder / "velodyne").mkdir(parents=True)
    for i in range(sweeps):
        rng.standard_normal((50, 4)).astype(np.float32).tofile(folder / "velodyne" / f"{i:06d}.bin")
    (folder / "calib.txt").write_text("Tr: " + " ".join(map(str, np.eye(4)[:3].ravel())) + "\n")
    (root / "poses").mkdir()
    np.savetxt(root / "poses" / "00.txt", np.tile(np.eye(4)[:3].ravel(), (sweeps, 1)))
    return root


def parts_of(detected):
    parts = detected.open()
    return {name: (len(d), is_sequence_set(d)) for name, d in parts.items()}


def test_shapenet_npz_file_and_the_folder_holding_it(tmp_path, rng):
    path = tmp_path / "shapenet57448xyzonly.npz"
    np.savez(path, data=rng.standard_normal((3, 16, 3)).astype(np.float32))
    for where in (path, tmp_path):
        found = identify(where)
        assert found.format == "shapenet" and found.path == path and found.pipeline == "object"
        assert parts_of(found) == {"all": (3, False)}


def test_modelnet_normal_resampled_reads_lazily_and_names_a_bad_file(tmp_path, rng):
    folder = write_modelnet_normal(tmp_path, rng)
    for where in (tmp_path, folder):
        found = identify(where)
        assert found.format == "modelnet40_normal_resampled" and found.path == folder
    (folder / "chair" / "chair_0003.txt").write_text("1,2,nan\n")
    parts = identify(tmp_path).open()  # opening reads no point file
    train = parts["train"]
    assert len(train) == 3 and len(parts["test"]) == 1 and train.labels.tolist() == [0, 8, 8]
    assert train.class_names == MODELNET40_CLASSES and train[1].shape == (12, 3)
    with pytest.raises(DataError, match=r"chair_0003.txt: .*NaN"):
        train[2]


def test_h5_releases_are_told_apart_by_keys_and_names(tmp_path, rng, write_h5):
    pts = rng.standard_normal((2, 32, 3)).astype(np.float32)
    mn = tmp_path / "modelnet40_ply_hdf5_2048"
    write_h5(mn / "ply_data_train0.h5", data=pts, label=np.array([[1], [2]], np.uint8))
    write_h5(mn / "ply_data_test0.h5", data=pts[:1], label=np.array([[3]], np.uint8))
    sp = tmp_path / "shapenet_part_seg_hdf5_data"
    write_h5(sp / "ply_data_train0.h5", data=pts, label=[[0], [1]], pid=np.zeros((2, 32), int))
    write_h5(sp / "ply_data_val0.h5", data=pts, label=[[0], [1]], pid=np.zeros((2, 32), int))
    s3 = tmp_path / "indoor3d_sem_seg_hdf5_data"
    write_h5(s3 / "ply_data_all_0.h5", data=rng.standard_normal((3, 32, 9)), label=np.zeros((3, 32), np.uint8))
    (s3 / "room_filelist.txt").write_text("Area_1_office_1\nArea_5_WC_1\nArea_5_WC_1\n")
    so = tmp_path / "h5_files"
    write_h5(so / "main_split" / "training_objectdataset.h5", data=pts, label=[0, 1], mask=np.zeros((2, 32)))
    write_h5(so / "main_split_nobg" / "test_objectdataset.h5", data=pts[:1], label=[4])

    assert identify(mn).format == "modelnet40_ply_hdf5_2048"
    assert parts_of(identify(mn)) == {"train": (2, False), "test": (1, False)}
    assert identify(mn / "ply_data_train0.h5").format == "modelnet40_ply_hdf5_2048"
    assert identify(sp).format == "shapenetpart_h5" and parts_of(identify(sp)) == {"train": (2, False),
                                                                                      "val": (2, False)}
    assert identify(s3).format == "s3dis" and identify(s3).up == "z"
    assert parts_of(identify(s3)) == {"train (Area 5 held out)": (1, False), "test (Area 5 only)": (2, False)}
    for where in (so, so / "main_split", so / "main_split" / "training_objectdataset.h5"):
        assert identify(where).format == "scanobjectnn"
    assert parts_of(identify(so)) == {"main_split/training_objectdataset": (2, False),
                                      "main_split_nobg/test_objectdataset": (1, False)}
    with pytest.raises(DataError, match="holds several datasets: .*h5_files \\(scanobjectnn\\)"):
        identify(tmp_path)


def test_shapenetpart_text_release(tmp_path, rng):
    folder = tmp_path / "shapenetcore_partanno_segmentation_benchmark_v0_normal"
    (folder / "02691156").mkdir(parents=True)
    (folder / "synsetoffset2category.txt").write_text("Airplane\t02691156\n")
    np.savetxt(folder / "02691156" / "a1.txt", np.hstack([rng.standard_normal((5, 6)), np.zeros((5, 1))]))
    (folder / "train_test_split").mkdir()
    (folder / "train_test_split" / "shuffled_train_file_list.json").write_text(json.dumps(["shape_data/02691156/a1"]))
    found = identify(tmp_path)
    assert found.format == "shapenetpart_txt" and found.path == folder
    assert parts_of(found) == {"train": (1, False)}


def test_scannet_pickles(tmp_path, rng):
    scenes = [rng.standard_normal((20, 3)).astype(np.float32), rng.standard_normal((9, 3)).astype(np.float32)]
    with open(tmp_path / "scannet_train.pickle", "wb") as f:
        pickle.dump(scenes, f, protocol=2)
        pickle.dump([np.zeros(20, np.int32), np.ones(9, np.int32)], f, protocol=2)
    found = identify(tmp_path)
    assert found.format == "scannet_pickle" and parts_of(found) == {"train": (2, False)}
    assert parts_of(identify(tmp_path / "scannet_train.pickle")) == {"scannet_train": (2, False)}


def test_rgbd_scene_and_folder_of_scenes(tmp_path):
    write_rgbd_scene(tmp_path / "scans" / "scene0000_00")
    write_rgbd_scene(tmp_path / "scans" / "scene0001_00", frames=2)
    one = identify(tmp_path / "scans" / "scene0000_00")
    assert one.format == "rgbd" and one.pipeline == "scene" and parts_of(one) == {"scenes": (1, True)}
    both = identify(tmp_path)  # found one level down
    assert both.format == "rgbd" and both.path == tmp_path / "scans" and parts_of(both) == {"scenes": (2, True)}
    np.save(tmp_path / "scans" / "clouds.npy", np.zeros((2, 5, 3)))  # a second dataset beside the scenes
    with pytest.raises(DataError, match=r"holds several datasets: clouds.npy \(npy\), its sub-folders \(rgbd\)"):
        identify(tmp_path / "scans")


def test_kitti_root_sequences_folder_and_one_sequence(tmp_path, rng):
    write_kitti(tmp_path, rng)
    for where in (tmp_path, tmp_path / "sequences", tmp_path / "sequences" / "00"):
        found = identify(where)
        assert found.format == "kitti" and found.pipeline == "scene"
        seqs = found.open()["sequences"]
        assert is_sequence_set(seqs) and len(seqs) == 1 and seqs.num_frames(0) == 2


def test_npy_clouds_user_folder_and_single_point_file(tmp_path, rng):
    np.save(tmp_path / "clouds.npy", rng.standard_normal((4, 10, 3)).astype(np.float32))
    assert identify(tmp_path / "clouds.npy").format == "npy"
    assert identify(tmp_path).format == "npy" and parts_of(identify(tmp_path)) == {"all": (4, False)}

    user = tmp_path / "mine"
    for cls in ("mug", "lamp"):
        (user / cls).mkdir(parents=True)
        np.save(user / cls / "a.npy", rng.standard_normal((10, 3)))  # single clouds: not an "npy" dataset
        np.savez(user / cls / "b.npz", data=rng.standard_normal((10, 3)))  # 2-D 'data': not ShapeNet
    found = identify(user)
    assert found.format == "folder" and parts_of(found) == {"all": (4, False)}
    assert found.open()["all"].class_names == ["lamp", "mug"]
    single = identify(user / "mug" / "b.npz")
    assert single.format == "point_file" and single.open()["all"][0].shape == (10, 3)


def test_forced_format(tmp_path, rng):
    folder = write_modelnet_normal(tmp_path, rng)
    forced = identify(tmp_path, "folder")
    assert forced.format == "folder" and len(forced.open()["all"]) == 3 + 3  # the text files, read as points
    assert identify(tmp_path, "modelnet40_normal_resampled").path == folder  # found one level down
    with pytest.raises(ConfigError, match="unknown data format 'modelnet'; known: shapenet, modelnet40_normal"):
        identify(tmp_path, "modelnet")


def test_unknown_paths_say_what_was_looked_for(tmp_path, write_h5):
    (tmp_path / "notes.md").write_text("nothing here")
    with pytest.raises(DataError, match=r"no known dataset here; looked for shapenet: .*kitti: sequences/NN/velodyne/"):
        identify(tmp_path)
    write_h5(tmp_path / "odd.h5", points=np.zeros((2, 3)))
    with pytest.raises(DataError, match=r"odd.h5: no known dataset here \(odd.h5 has datasets \{'points'"):
        identify(tmp_path / "odd.h5")
    (tmp_path / "h5").mkdir()
    (tmp_path / "h5" / "ply_data_train0.h5").write_bytes(b"truncated")
    with pytest.raises(DataError, match=r"no known dataset here \(ply_data_train0.h5 is not a readable HDF5 file\)"):
        identify(tmp_path / "h5")
    with pytest.raises(DataError, match="missing: no such file or folder"):
        identify(tmp_path / "missing")
    assert set(FORMATS) >= {"shapenet", "modelnet40_normal_resampled", "modelnet40_ply_hdf5_2048", "scanobjectnn",
                            "shapenetpart_txt", "shapenetpart_h5", "s3dis", "scannet_pickle", "rgbd", "kitti", "npy",
                            "folder"}
