import argparse
import typing

import pytest

from strl.errors import ConfigError
from strl.settings import add_settings_arguments, settings_from_args
from strl.settings.common import BackboneName
from strl.train.config import PRESETS, PretrainConfig, make_config


def parse(argv):
    p = argparse.ArgumentParser()
    add_settings_arguments(p, PretrainConfig, PRESETS)
    return settings_from_args(p.parse_args(argv), PretrainConfig, PRESETS)


def test_presets_match_the_original_configs():
    pn = make_config("pointnet-cls")
    assert (pn.backbone, pn.dataset, pn.num_points, pn.batch_size, pn.epochs, pn.optimizer, pn.lr) == ("pointnet", "shapenet", 2048, 48, 50, "adam", 1e-3)
    dg = make_config("dgcnn-cls")
    assert (dg.backbone, dg.k, dg.num_points, dg.batch_size, dg.epochs, dg.lr) == ("dgcnn", 40, 2048, 32, 100, 1e-3)
    assert "default" in PRESETS


def test_command_line_overrides_preset():
    cfg = parse(["--preset", "dgcnn-cls", "--epochs", "3", "--window", "0", "--no-lars", "--lr", "2e-4"])
    assert cfg.epochs == 3 and cfg.window == 0 and cfg.lars is False and cfg.lr == 2e-4 and cfg.k == 40


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
    (["--backbone", "dgcnn", "--k", "20", "--num-points", "16"], "--k 20 needs more points than neighbours: --num-points is 16"),
    (["--frame-points", "100", "--num-points", "512"], "--frame-points 100 is below --num-points 512"),
])
def test_values_a_user_can_reach_are_checked_when_settings_resolve(argv, message):
    with pytest.raises(ConfigError, match=message):
        parse(argv)


def test_backbone_choices_follow_the_registry():
    from strl.backbones import BACKBONES

    assert sorted(typing.get_args(BackboneName)) == BACKBONES.names()
