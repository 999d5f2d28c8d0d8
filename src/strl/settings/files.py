"""Settings files: YAML in (PyYAML's safe loader) and out, one mapping of setting names to values.

PyYAML follows YAML 1.1, which reads ``1e-3`` (no dot) as a string; the loader here also reads
such numbers as floats, as YAML 1.2 and every user expects.
"""

from __future__ import annotations

import os
import re

import yaml

from strl.errors import ConfigError

#: key of the package version in written files (accepted and ignored when read back)
VERSION_KEY = "strl_version"

_FLOAT = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)$")


class _Loader(yaml.SafeLoader):
    """Safe loader that also resolves exponent floats without a dot (``1e-3``)."""


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def load_settings_file(path: str | os.PathLike) -> dict:
    """The mapping in YAML file ``path``; a missing, unreadable or non-mapping file is a ConfigError."""
    path = os.fspath(path)
    try:
        with open(path) as f:
            data = yaml.load(f, Loader=_Loader)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such settings file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read settings file ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of setting names to values, got a {type(data).__name__}")
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise ConfigError(f"{path}: setting names must be strings, got {bad[0]!r}")
    data.pop(VERSION_KEY, None)
    return data


def settings_yaml(values: dict, version: str | None = None) -> str:
    """YAML text of ``values`` (in their order), with the package version first when given."""
    body = {VERSION_KEY: version, **values} if version else dict(values)
    return yaml.safe_dump(body, sort_keys=False, default_flow_style=False, allow_unicode=True)
