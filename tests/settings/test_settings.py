"""The settings system: precedence, settings files, --print-config, and one-line errors."""

import argparse

import pytest

from strl.cli.main import build_parser, main
from strl.errors import ConfigError
from strl.settings import add_settings_arguments, load_settings_file, settings_from_args
from strl.train.config import PRESETS, PretrainConfig


def resolve(argv):
    p = argparse.ArgumentParser()
    add_settings_arguments(p, PretrainConfig, PRESETS)
    return settings_from_args(p.parse_args(argv), PretrainConfig, PRESETS)


def write(path, text):
    path.write_text(text)
    return str(path)


def test_preset_then_file_then_flags(tmp_path):
    cfg_file = write(tmp_path / "mine.yaml", "preset: dgcnn-cls\nepochs: 7\nlr: 1e-4\nwindow: 3\n")
    cfg = resolve(["--config", cfg_file, "--window", "1"])
    assert cfg.preset == "dgcnn-cls" and cfg.backbone == "dgcnn"  # from the preset the file names
    assert cfg.epochs == 7 and cfg.lr == 1e-4  # file over preset (and 1e-4 read as a number)
    assert cfg.window == 1  # flag over file
    cfg = resolve(["--config", cfg_file, "--preset", "pointnet-cls"])
    assert cfg.preset == "pointnet-cls" and cfg.backbone == "pointnet" and cfg.batch_size == 48 and cfg.epochs == 7


@pytest.mark.parametrize("text, message", [
    ("epoch: 3\n", "mine.yaml: unknown setting 'epoch'; did you mean 'epochs'"),
    ("epochs: three\n", "mine.yaml: setting 'epochs' must be an integer, got 'three'"),
    ("pair_mode: sideways\n", "mine.yaml: setting 'pair_mode' must be one of temporal, spatial, both, got sideways"),
    ("dataset: nowhere\n", "mine.yaml: setting 'dataset' must be one of builtin, .*got 'nowhere'"),
    ("preset: nope\n", "mine.yaml: setting 'preset' must be one of default, "),
    ("rotate_up: 1\n", "mine.yaml: setting 'rotate_up' must be true or false"),
    ("- a\n- b\n", "mine.yaml: expected a mapping of setting names to values"),
    ("epochs: [1\n", "mine.yaml: not valid YAML at line 2"),
])
def test_bad_files_name_the_file_the_key_and_what_is_allowed(tmp_path, capsys, text, message):
    path = write(tmp_path / "mine.yaml", text)
    with pytest.raises(ConfigError, match=message):
        resolve(["--config", path])
    assert main(["pretrain", "--config", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "mine.yaml" in err


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no such settings file"):
        resolve(["--config", str(tmp_path / "none.yaml")])


def test_print_config_round_trip(tmp_path, capsys):
    assert main(["pretrain", "--preset", "dgcnn-cls", "--epochs", "3", "--print-config"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("strl_version: ") and "epochs: 3\n" in first and "backbone: dgcnn\n" in first
    path = write(tmp_path / "printed.yaml", first)
    assert main(["pretrain", "--config", path, "--print-config"]) == 0
    assert capsys.readouterr().out == first
    assert set(load_settings_file(path)) == set(PretrainConfig.model_fields)


def _options(parser: argparse.ArgumentParser, path: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_every_option_of_every_command_has_a_description():
    missing = [f"{path}: {action.option_strings or action.dest}" for path, action in _options(build_parser(), "strl")
               if not (action.help or "").strip()]
    assert not missing, missing


def test_every_optional_flag_states_its_default():
    missing = [f"{path}: {action.option_strings}" for path, action in _options(build_parser(), "strl")
               if action.option_strings and "default" not in (action.help or "") and action.dest != "verbose"]
    assert not missing, missing


def test_closed_sets_show_their_choices():
    text = build_parser()._subparsers._group_actions[0].choices["pretrain"].format_help()
    assert "--pair-mode {temporal,spatial,both}" in text
    assert "--augment-on {auto,worker,device}" in text


@pytest.mark.slow
def test_a_run_repeated_from_its_config_yaml_ends_with_identical_weights(tmp_path, capsys):
    import torch

    tiny = ["--builtin-size", "small", "--batch-size", "8", "--num-points", "64", "--emb-dims", "32", "--hidden-dim", "32",
            "--proj-dim", "16", "--num-workers", "0", "--no-progress", "--epochs", "1", "--limit-train-batches", "3",
            "--probe", "none", "--no-final-eval", "--method", "byol", "--cache-dir", str(tmp_path / "cache"),
            "--out-dir", str(tmp_path), "--seed", "3"]
    assert main(["pretrain", *tiny, "--name", "first"]) == 0
    saved = tmp_path / "first" / "config.yaml"
    assert saved.read_text().startswith("strl_version: ") and "seed: 3\n" in saved.read_text()
    assert main(["pretrain", "--config", str(saved), "--name", "again"]) == 0
    capsys.readouterr()
    first, again = (torch.load(tmp_path / n / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
                    for n in ("first", "again"))
    assert first.keys() == again.keys()
    for key in first:
        assert torch.equal(first[key], again[key]), key
    # the run folder of a finished run is not overwritten by accident
    assert main(["pretrain", "--config", str(saved), "--name", "again"]) == 2
    assert "holds a run already" in capsys.readouterr().err
