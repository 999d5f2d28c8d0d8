"""One settings system for every command: typed fields with help text, presets, YAML files and flags.

* :mod:`~strl.settings.schema` — the :class:`Settings` base class (pydantic) and :class:`Choices`;
* :mod:`~strl.settings.files` — reading and writing settings YAML;
* :mod:`~strl.settings.resolve` — preset < file < flags, with one-line errors;
* :mod:`~strl.settings.arguments` — ``--flags``, ``--config`` and ``--print-config`` for argparse.
"""

from strl.settings.arguments import add_settings_arguments, print_config, settings_from_args
from strl.settings.files import load_settings_file, settings_yaml
from strl.settings.resolve import resolve_settings
from strl.settings.schema import Choices, Settings

__all__ = ["Choices", "Settings", "add_settings_arguments", "load_settings_file", "print_config", "resolve_settings",
           "settings_from_args", "settings_yaml"]
