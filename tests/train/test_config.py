import argparse

import pytest

from strl.errors import ConfigError
from strl.train.config import PRESETS, add_config_arguments, config_from_args, make_config


def parse(argv):
    p = argparse.ArgumentParser()
    add_config_arguments(p)
    return config_from_args(p.parse_args(argv))


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
    with pytest.raises(ConfigError, match="unknown setting 'epoch'"):
        make_config(epoch=3)
    with pytest.raises(ConfigError, match="must be int"):
        make_config(epochs="3")
    with pytest.raises(ConfigError, match="unknown preset"):
        make_config("pointnet-clss")
    with pytest.raises(SystemExit):
        parse(["--epochs", "three"])
    with pytest.raises(SystemExit):
        parse(["--no-such-flag", "1"])
