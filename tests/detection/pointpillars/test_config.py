import math

import pytest

from strl.detection.pointpillars import PRESETS, preset
from strl.errors import ConfigError


def test_kitti_preset_holds_openpcdet_values():
    cfg = preset("pointpillars-kitti")
    assert cfg.point_cloud_range == (0.0, -39.68, -3.0, 69.12, 39.68, 1.0)
    assert cfg.voxel_size == (0.16, 0.16, 4.0)
    assert (cfg.max_points_per_pillar, cfg.max_pillars_train, cfg.max_pillars_test) == (32, 16000, 40000)
    assert cfg.grid_size == (432, 496, 1)
    assert cfg.feature_map_size == (248, 216)
    assert cfg.class_names == ("Car", "Pedestrian", "Cyclist")
    car, ped, cyc = cfg.classes
    assert (car.size, car.bottom_height, car.matched_threshold, car.unmatched_threshold) == ((3.9, 1.6, 1.56), -1.78, 0.6, 0.45)
    assert (ped.size, ped.bottom_height, ped.matched_threshold, ped.unmatched_threshold) == ((0.8, 0.6, 1.73), -0.6, 0.5, 0.35)
    assert (cyc.size, cyc.bottom_height, cyc.matched_threshold, cyc.unmatched_threshold) == ((1.76, 0.6, 1.73), -0.6, 0.5, 0.35)
    assert all(c.rotations == (0.0, 1.57) for c in cfg.classes)
    assert (cfg.layer_nums, cfg.layer_strides, cfg.num_filters) == ((3, 5, 5), (2, 2, 2), (64, 128, 256))
    assert (cfg.upsample_strides, cfg.num_upsample_filters) == ((1, 2, 4), (128, 128, 128))
    assert (cfg.vfe_in_channels, cfg.vfe_filters, cfg.backbone_channels, cfg.anchors_per_location) == (10, (64,), 384, 6)
    assert (cfg.dir_offset, cfg.dir_limit_offset, cfg.num_dir_bins, cfg.feature_map_stride) == (0.78539, 0.0, 2, 2)
    assert (cfg.focal_alpha, cfg.focal_gamma, cfg.smooth_l1_beta) == (0.25, 2.0, 1 / 9)
    assert (cfg.cls_weight, cfg.loc_weight, cfg.dir_weight) == (1.0, 2.0, 0.2)
    assert (cfg.score_threshold, cfg.nms_threshold, cfg.nms_pre_max_size, cfg.nms_post_max_size) == (0.1, 0.01, 4096, 500)
    assert (cfg.optim.lr, cfg.optim.weight_decay, cfg.optim.moms, cfg.optim.pct_start, cfg.optim.div_factor) == (0.003, 0.01, (0.95, 0.85), 0.4, 10.0)
    assert (cfg.optim.grad_norm_clip, cfg.optim.epochs, cfg.optim.batch_size) == (10.0, 80, 4)
    assert cfg.num_anchors == 248 * 216 * 6


def test_laptop_preset_keeps_the_structure_on_a_smaller_grid():
    cfg = preset("pointpillars-laptop")
    assert cfg.grid_size == (128, 128, 1) and cfg.feature_map_size == (64, 64)
    assert len(cfg.layer_nums) == 3 and cfg.class_names == ("Car", "Pedestrian", "Cyclist")
    assert sorted(PRESETS.names()) == ["pointpillars-kitti", "pointpillars-laptop"]


def test_without_absolute_xyz_or_with_distance_the_vfe_input_changes():
    assert preset("pointpillars-kitti", use_absolute_xyz=False).vfe_in_channels == 7
    assert preset("pointpillars-kitti", with_distance=True).vfe_in_channels == 11


@pytest.mark.parametrize(
    "changes, words",
    [
        (dict(voxel_size=(0.16, 0.16, 2.0)), "voxel_size[2]"),
        (dict(voxel_size=(0.15, 0.16, 4.0)), "whole number"),
        (dict(layer_strides=(2, 2)), "one entry per level"),
        (dict(point_cloud_range=(0.0, -39.68, -3.0, 69.28, 39.68, 1.0)), "divide evenly"),
        (dict(feature_map_stride=4), "feature_map_stride"),
        (dict(code_weights=(1.0,) * 6), "code_weights"),
    ],
)
def test_bad_settings_are_config_errors(changes, words):
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        preset("pointpillars-kitti", **changes)


def test_unknown_setting_and_unknown_preset_name_the_valid_ones():
    with pytest.raises(ConfigError, match="unknown PointPillars setting.*voxels.*valid:.*voxel_size"):
        preset("pointpillars-kitti", voxels=1)
    with pytest.raises(ConfigError, match="known: pointpillars-kitti, pointpillars-laptop"):
        preset("pointpillars-nuscenes")


def test_describe_is_plain_json():
    import json

    d = preset("pointpillars-kitti").describe()
    assert json.loads(json.dumps(d)) == d and d["grid_size"] == [432, 496, 1]
    assert math.isclose(d["voxel_size"][0], 0.16)


def test_a_described_configuration_is_rebuilt_from_its_name_or_its_describe_dict():
    import json

    from strl.detection.pointpillars.config import from_description

    tiny = preset("pointpillars-laptop", point_cloud_range=(0.0, -5.12, -3.0, 10.24, 5.12, 1.0), vfe_filters=(16,),
                  num_filters=(16, 32, 64), max_pillars_train=123, max_pillars_test=456)
    tiny = tiny.replace(classes=tiny.classes[:1])
    rebuilt = from_description(json.loads(json.dumps(tiny.describe())))  # as a checkpoint's JSON holds it
    assert rebuilt == tiny
    assert from_description("pointpillars-laptop") == preset("pointpillars-laptop")
    assert from_description(tiny) is tiny
    custom = from_description({**tiny.describe(), "config": "my-own"})  # an unknown name: OpenPCDet's values as the base
    assert custom.name == "my-own" and custom.grid_size == tiny.grid_size and custom.max_pillars_test == 456
    with pytest.raises(ConfigError, match="preset name or a describe"):
        from_description(3)


def test_anchor_classes_by_name_in_the_order_given():
    from strl.detection.pointpillars.config import anchor_classes

    assert [c.name for c in anchor_classes(["Cyclist", "Car"])] == ["Cyclist", "Car"]
    assert anchor_classes(["Car"])[0].size == (3.9, 1.6, 1.56)
    with pytest.raises(ConfigError, match="no anchors for class.* Van; PointPillars has anchors for Car, Pedestrian, Cyclist"):
        anchor_classes(["Car", "Van"])
