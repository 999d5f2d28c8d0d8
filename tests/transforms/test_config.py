import pytest

from strl.errors import ConfigError
from strl.transforms.config import OBJECT_ORDER, SCENE_ORDER, AugmentConfig


def test_defaults_are_the_original_parameters():
    cfg = AugmentConfig()
    assert cfg.crop_p == 0.5 and cfg.crop_side == (0.6, 1.1) and cfg.crop_aspect == (0.75, 1.33)
    assert cfg.cutout_p == 0.5 and cfg.cutout_ratio == (0.3, 0.6)
    assert cfg.crop_tries == cfg.cutout_tries == 10
    assert cfg.scale_range == (0.8, 1.25)
    assert (cfg.rotate_sigma, cfg.rotate_clip) == (0.06, 0.18)
    assert cfg.translate_range == 0.1
    assert (cfg.jitter_std, cfg.jitter_clip) == (0.01, 0.05)
    assert cfg.dropout_max_ratio == 0.875
    assert (cfg.upsample_factor, cfg.upsample_k, cfg.upsample_nsample) == (2, 10, 5)


def test_step_orders():
    assert AugmentConfig(pipeline="object").steps() == OBJECT_ORDER
    assert AugmentConfig(pipeline="scene").steps() == SCENE_ORDER
    assert OBJECT_ORDER.index("crop") < OBJECT_ORDER.index("normalize")
    assert SCENE_ORDER.index("jitter") < SCENE_ORDER.index("crop")


def test_disabled_steps_are_left_out():
    cfg = AugmentConfig(disabled=["crop", "jitter"])
    assert cfg.disabled == ("crop", "jitter")
    assert "crop" not in cfg.steps() and "jitter" not in cfg.steps()
    assert len(cfg.steps()) == len(OBJECT_ORDER) - 2


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"pipeline": "radar"}, "pipeline"),
        ({"disabled": ("subset",)}, "subset"),
        ({"disabled": ("resample",)}, "resample"),
        ({"lidar_range": (0, 0, 0, 1, 1)}, "lidar_range"),
        ({"lidar_range": (0, -1, -1, 0, 1, 1)}, "lidar_range"),
        ({"world_scale_range": (1.05, 0.95)}, "world_scale_range"),
        ({"box_dropout_keep": 1.5}, "box_dropout_keep"),
        ({"disabled": ("blur",)}, "blur"),
        ({"crop_p": 1.5}, "crop_p"),
        ({"scale_range": (1.2, 0.8)}, "scale_range"),
        ({"num_points": 0}, "num_points"),
        ({"dropout_max_ratio": 1.0}, "dropout_max_ratio"),
        ({"upsample_nsample": 11}, "upsample_nsample"),
        ({"upsample_knn": "gpu"}, "upsample_knn"),
        ({"jitter_std": -0.1}, "jitter_std"),
    ],
)
def test_bad_values_name_the_field(kwargs, word):
    with pytest.raises(ConfigError, match=word):
        AugmentConfig(**kwargs)
