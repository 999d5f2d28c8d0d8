"""Command-line flags generated from a settings class, and settings resolved from parsed flags.

Every field becomes ``--field-name`` (booleans: ``--flag`` / ``--no-flag``) in an argument group
titled by the group class it comes from, with its docstring, its default and, for closed sets,
its choices in ``--help``. Three more flags: ``--preset`` (where the command has presets),
``--config FILE.yaml`` and ``--print-config``. Settings resolve as preset < file < flags.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from strl.settings.files import load_settings_file, settings_yaml
from strl.settings.resolve import COMMAND_LINE, flag_name, resolve_settings
from strl.settings.schema import Settings, choices_of, field_groups, value_type


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(_shown(v) for v in value) or "none"
    if isinstance(value, str):
        return repr(value) if value == "" else value
    return str(value).lower() if isinstance(value, bool) else str(value)


def add_settings_arguments(parser: argparse.ArgumentParser, cls: type[Settings], presets: dict[str, dict] | None = None,
                           default_preset: str = "default", files: bool = True, positionals: str = "") -> None:
    """Flags for every field of ``cls`` (defaults shown are those of ``default_preset`` when given);
    ``files``: also ``--config`` and ``--print-config``; ``positionals``: their names for the usage line."""
    shown = cls.model_validate(presets[default_preset]) if presets else cls()
    parser.usage = (f"%(prog)s{' ' + positionals if positionals else ''}{' [--preset NAME]' if presets else ''}"
                    f"{' [--config FILE.yaml] [--print-config]' if files else ''} [--SETTING VALUE ...]")
    if presets:
        parser.add_argument("--preset", default=None, choices=sorted(presets),
                            help=f"named starting values of the settings (default: {default_preset}); "
                                 "--print-config shows a preset's values")
    if files:
        parser.add_argument("--config", default=None, metavar="FILE.yaml",
                            help="settings file (YAML mapping of setting names to values); "
                                 "settings resolve as preset < file < flags (default: none)")
        parser.add_argument("--print-config", action="store_true",
                            help="print the resolved settings as YAML and exit (default: off)")
    for title, names in field_groups(cls):
        group = parser.add_argument_group(title)
        for name in names:
            if name == "preset" and presets:
                continue
            field = cls.model_fields[name]
            text = f"{field.description} (default: {_shown(getattr(shown, name))})"
            kind, is_list = value_type(cls, name)
            if kind is bool and not is_list:
                group.add_argument(flag_name(name), dest=name, action=argparse.BooleanOptionalAction, default=None, help=text)
                continue
            choices = choices_of(cls, name)
            choices = [kind(c) for c in choices] if choices else None
            group.add_argument(flag_name(name), dest=name, type=kind, default=None, choices=choices,
                               nargs="+" if is_list else None, metavar=None if choices else kind.__name__.upper(),
                               help=text)


def given_flags(args: argparse.Namespace, cls: type[Settings]) -> dict[str, Any]:
    """The settings named on the command line (flags left out are ``None``)."""
    return {name: getattr(args, name) for name in cls.model_fields if getattr(args, name, None) is not None}


def settings_from_args(args: argparse.Namespace, cls: type[Settings], presets: dict[str, dict] | None = None,
                       default_preset: str = "default") -> Settings:
    """Resolve preset < ``--config`` file < flags. The preset is ``--preset``, else the file's ``preset``."""
    flags = given_flags(args, cls)
    file_values = load_settings_file(args.config) if getattr(args, "config", None) else {}
    layers: list[tuple[str, dict]] = []
    if presets:
        preset = getattr(args, "preset", None) or file_values.get("preset") or default_preset
        if preset in presets:  # an unknown name in the file is reported against the file below
            layers.append((f"preset {preset!r}", {**presets[preset], "preset": preset}))
        if getattr(args, "preset", None):
            flags["preset"] = args.preset
    if file_values:
        layers.append((str(args.config), file_values))
    layers.append((COMMAND_LINE, flags))
    return resolve_settings(cls, layers)


def print_config(settings: Settings, out=None) -> None:
    """The resolved settings as YAML (with the package version) on ``out`` (stdout)."""
    from strl import __version__

    (out or sys.stdout).write(settings_yaml(settings.to_dict(), __version__))
