"""Resolving settings from layers (preset < settings file < command-line flags) with one-line errors.

Each layer is a source name (``preset 'default'``, a file path, ``command line``) and the values it
sets. The layers are merged in order and validated once; a bad value is reported with the source
that set it, the key and what is allowed, as a :class:`~strl.errors.ConfigError`.
"""

from __future__ import annotations

import difflib

from pydantic import ValidationError

from strl.errors import ConfigError
from strl.settings.schema import Settings, choices_of

COMMAND_LINE = "command line"


def _type_name(value) -> str:
    return {str: "text", bool: "true/false", int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


def _problem(error: dict) -> str:
    """What pydantic found wrong, as a phrase after the key."""
    kind, ctx, got = error["type"], error.get("ctx") or {}, error.get("input")
    shown = f"got {got!r} ({_type_name(got)})"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"must be an integer, {shown}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, {shown}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, {shown}"
    if kind == "string_type":
        return f"must be text, {shown}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}, got {got!r}".replace("'", "").replace(" or ", ", ")
    for op, word in (("ge", "at least"), ("gt", "greater than"), ("le", "at most"), ("lt", "less than")):
        if op in ctx:
            return f"must be {word} {ctx[op]}, got {got!r}"
    if kind == "value_error":
        return f"{str(ctx.get('error', error['msg']))}, got {got!r}"
    return f"{error['msg'][:1].lower()}{error['msg'][1:]}, got {got!r}"


def flag_name(key: str) -> str:
    return "--" + key.replace("_", "-")


def _where(source: str, key: str) -> str:
    return f"{flag_name(key)}" if source == COMMAND_LINE else f"{source}: setting '{key}'"


def unknown_key_error(cls: type[Settings], source: str, key: str) -> ConfigError:
    names = list(cls.model_fields)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return ConfigError(f"{source}: unknown setting '{key}'; {hint}valid settings: {', '.join(sorted(names))}")


def resolve_settings(cls: type[Settings], layers: list[tuple[str, dict]]) -> Settings:
    """Merge ``layers`` (later wins), validate, run ``check()``; errors name the layer that set the value."""
    merged: dict = {}
    origin: dict[str, str] = {}
    for source, values in layers:
        for key, value in values.items():
            if key not in cls.model_fields:
                raise unknown_key_error(cls, source, key)
            merged[key], origin[key] = value, source
    try:
        settings = cls.model_validate(merged)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else ""
        raise ConfigError(f"{_where(origin.get(key, 'defaults'), key)} {_problem(error)}") from None
    settings.check()
    return settings


def describe_choices(cls: type[Settings], key: str) -> str:
    choices = choices_of(cls, key)
    return f" (one of: {', '.join(choices)})" if choices else ""
