import argparse
import typing

import pytest

from strl.backbones import resolve_k
from strl.errors import ConfigError
from strl.settings import add_settings_arguments, settings_from_args
from strl.settings.common import BackboneName
from strl.train.config import PRESETS, PretrainConfig, make_config


def parse(argv):
    p = argparse.ArgumentParser()
    add_settings_arguments(p, PretrainConfig, PRESETS)
    return settings_from_args(p.parse_args(argv), PretrainConfig, PRESETS)


# Every value each preset sets, as the settings that differ from PretrainConfig's defaults, plus the
# DGCNN k the backbone then uses. The paper presets follow the original task configurations
# (reference: original-code.md, per-task hyperparameters): points, epochs, batch, Adam + LARS, lr, k.
PAPER = dict(optimizer="adam", lars=True, epochs=100, batch_size=32, num_points=2048, num_workers=8)
PRESET_VALUES = {
    "default": (dict(method="simclr", emb_dims=512, num_points=512, eval_points=1024, rotate_up=True, epochs=2,
                     probe="svm", probe_every=1, num_workers=1), None),
    "pointnet-cls": (dict(PAPER, backbone="pointnet", dataset="shapenet", batch_size=48, epochs=50, lr=1e-3,
                          window=0, pair_mode="spatial", eval_dataset="modelnet40", eval_points=2048, probe="svm",
                          probe_every=5), None),
    "dgcnn-cls": (dict(PAPER, backbone="dgcnn", dataset="shapenet", lr=1e-3, window=0, pair_mode="spatial",
                       eval_dataset="modelnet40", eval_points=2048, probe="svm", probe_every=5), 40),
    "dgcnn-semseg": (dict(PAPER, backbone="dgcnn-semseg", dataset="scannet", num_points=4096, frame_points=8192,
                          lr=2e-4, augment="scene", window=1), 20),
    "dgcnn-partseg": (dict(PAPER, backbone="dgcnn-partseg", dataset="shapenet", lr=2e-4, window=0,
                           pair_mode="spatial"), 40),
    "rooms-votenet": (dict(backbone="votenet", votenet_npoints=[256, 128, 64, 32], method="simclr",
                           dataset="builtin-rooms", augment="scene", up_axis=2, rotate_up=True, num_points=2048,
                           batch_size=16, epochs=2, window=1, num_workers=1, probe="none", final_eval=False), None),
    "votenet-detection": (dict(PAPER, backbone="votenet", dataset="scannet", frame_points=4096, lr=1e-3,
                               augment="scene", window=1), None),
    "rooms-semseg": (dict(backbone="dgcnn-semseg", dataset="builtin-rooms", num_points=512, frame_points=1024,
                          batch_size=16, epochs=2, method="simclr", augment="scene", up_axis=2, window=2,
                          probe="none", final_eval=False, num_workers=1), 20),
    # PointPillars (outdoor.md section 5: OpenPCDet's KITTI grid; section 3.1: partners 0.1-1 s apart), BYOL as the paper
    "pointpillars-kitti-seq": (dict(PAPER, backbone="pointpillars", detector_config="pointpillars-kitti",
                                    dataset="kitti", augment="lidar", num_points=32768, frame_points=65536, window=5,
                                    pair_mode="temporal", batch_size=16, epochs=50, lr=1e-3, probe="none",
                                    final_eval=False), None),
    "pointpillars-streets": (dict(backbone="pointpillars", detector_config="pointpillars-laptop",
                                  dataset="builtin-streets", augment="lidar", num_points=16384, frame_points=32768,
                                  window=3, pair_mode="temporal", batch_size=8, epochs=8, hidden_dim=1024, lr=1e-3,
                                  probe="none", final_eval=False, num_workers=1), None),
}


@pytest.mark.parametrize("preset", sorted(PRESET_VALUES))
def test_every_preset_value(preset):
    cfg = make_config(preset)
    defaults = PretrainConfig()
    changed = {k: v for k, v in cfg.to_dict().items() if k != "preset" and v != getattr(defaults, k)}
    values, k = PRESET_VALUES[preset]
    assert changed == {key: v for key, v in values.items() if v != getattr(defaults, key)}
    assert resolve_k(cfg.backbone, cfg.k) == k
    assert cfg.preset == preset


def test_every_preset_is_asserted():
    assert set(PRESETS) == set(PRESET_VALUES)


def test_command_line_overrides_preset():
    cfg = parse(["--preset", "dgcnn-cls", "--epochs", "3", "--window", "0", "--no-lars", "--lr", "2e-4"])
    assert cfg.epochs == 3 and cfg.window == 0 and cfg.lars is False and cfg.lr == 2e-4 and cfg.backbone == "dgcnn"
    assert parse(["--preset", "dgcnn-cls", "--k", "20"]).k == 20


def test_unknown_and_ill_typed_keys_are_clear_errors():
    with pytest.raises(ConfigError, match="unknown setting 'epoch'; did you mean 'epochs'"):
        make_config(epoch=3)
    with pytest.raises(ConfigError, match="'epochs' must be an integer, got '3'"):
        make_config(epochs="3")
    with pytest.raises(ConfigError, match="unknown preset"):
        make_config("pointnet-clss")
    with pytest.raises(SystemExit):
        parse(["--epochs", "three"])
    with pytest.raises(SystemExit):
        parse(["--no-such-flag", "1"])


@pytest.mark.parametrize("argv, message", [
    (["--batch-size", "0"], "--batch-size must be at least 1, got 0"),
    (["--epochs", "-1"], "--epochs must be at least 1"),
    (["--devices", "0,x"], "--devices must be 'auto', a device count"),
    (["--devices", "0"], "--devices must be 'auto', a device count"),
    (["--backbone", "dgcnn", "--k", "20", "--num-points", "16"], "k = 20 needs more points than neighbours: --num-points is 16"),
    (["--frame-points", "100", "--num-points", "512"], "--frame-points 100 is below --num-points 512"),
    (["--detector-config", "pointpillars-laptop"], "--detector-config configures the pointpillars backbone, not pointnet"),
    (["--preset", "pointpillars-streets", "--augment", "scene"], "use --augment lidar"),
    (["--preset", "pointpillars-streets", "--probe", "knn"], "--probe none --no-final-eval"),
    (["--preset", "pointpillars-streets", "--final-eval"], "--probe none --no-final-eval"),
    (["--exclude-object-split", "val", "--object-root", "obj"], "needs --dataset kitti-raw, not builtin"),
    (["--dataset", "kitti-raw", "--exclude-object-split", "val"], "needs --object-root"),
    (["--votenet-npoints", "64", "32", "16", "8"], "--votenet-npoints is for the votenet backbone, not pointnet"),
    (["--backbone", "votenet", "--votenet-npoints", "32", "64", "16", "8"], "with sa2's <= sa1's"),
])
def test_values_a_user_can_reach_are_checked_when_settings_resolve(argv, message):
    with pytest.raises(ConfigError, match=message):
        parse(argv)


def test_backbone_choices_follow_the_registry():
    from strl.backbones import BACKBONES

    assert sorted(typing.get_args(BackboneName)) == BACKBONES.names()


def test_detector_config_names_a_pointpillars_preset_and_sets_the_encoder():
    from strl.train.module import build_method

    with pytest.raises(ConfigError, match="pointpillars-kitti, pointpillars-laptop"):
        make_config("pointpillars-streets", detector_config="pointpillars-huge")
    with pytest.raises(SystemExit):
        parse(["--preset", "pointpillars-streets", "--detector-config", "pointpillars-huge"])
    encoder = build_method(make_config("pointpillars-streets", hidden_dim=8, proj_dim=4)).backbone
    assert encoder.cfg.name == "pointpillars-laptop" and encoder.feature_dim == 384


def test_votenet_encoder_description_records_its_sample_counts():
    from strl.train.module import encoder_description

    assert encoder_description(make_config("rooms-votenet"))["npoints"] == [256, 128, 64, 32]
    assert encoder_description(make_config(backbone="votenet"))["npoints"] == [2048, 1024, 512, 256]
    assert "npoints" not in encoder_description(make_config())
