"""The base of every command's settings: typed fields, each with its help text as a docstring.

A settings class is a pydantic model whose fields carry their one-line description as an attribute
docstring (the text lives once, next to the field). Values are validated strictly (an ``int`` is
not taken for a ``str``, an ``int`` is accepted for a ``float``); unknown keys are refused. A
closed set of values is a ``Literal``; a set that comes from a registry is ``Annotated[str,
Choices(REGISTRY.names)]``. Settings classes are composed from group classes (``class
PretrainConfig(ModelSettings, DataSettings, ...)``); a group's docstring titles its flags in
``--help``.
"""

from __future__ import annotations

import typing
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence

from pydantic import BaseModel, ConfigDict
from pydantic_core import core_schema


# a ``json`` setting (the ``--json OUT`` of several commands) hides BaseModel's deprecated ``json()`` on purpose
warnings.filterwarnings("ignore", message='Field name "json" in ".*" shadows an attribute in parent')


class Settings(BaseModel):
    """Base of all settings classes."""

    model_config = ConfigDict(extra="forbid", strict=True, use_attribute_docstrings=True,
                              validate_default=True, validate_assignment=True)

    def replace(self, **changes: Any):
        """A validated copy with ``changes`` applied."""
        return type(self).model_validate({**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

    def check(self) -> None:
        """Cross-field checks of a resolved instance (raise :class:`strl.errors.ConfigError`); none by default."""


@dataclass(frozen=True)
class Choices:
    """Field metadata: the value must be one of ``names()`` (e.g. a registry's names, read when validating)."""

    names: Callable[[], Sequence[str]]

    def __get_pydantic_core_schema__(self, source, handler):
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def _check(self, value):
        if value not in self.names():
            raise ValueError(f"must be one of {', '.join(self.names())}")
        return value


def choices_of(cls: type[Settings], name: str) -> list[str] | None:
    """The allowed values of field ``name`` (a ``Literal`` or :class:`Choices`), or None when open."""
    field = cls.model_fields[name]
    annotation = field.annotation
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is Literal:
        return [str(v) for v in typing.get_args(annotation)]
    for meta in field.metadata:
        if isinstance(meta, Choices):
            return list(meta.names())
    return None


def value_type(cls: type[Settings], name: str) -> tuple[type, bool]:
    """The Python type of a field's value (of its items for a list), and whether it is a list."""
    annotation = cls.model_fields[name].annotation
    is_list = typing.get_origin(annotation) is list
    if is_list:
        annotation = typing.get_args(annotation)[0]
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is Literal:
        return type(typing.get_args(annotation)[0]), is_list
    return annotation, is_list


def field_groups(cls: type[Settings]) -> list[tuple[str, list[str]]]:
    """``(title, field names)`` per group class in ``cls``'s bases (docstring first line as title)."""
    groups: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for base in reversed(cls.__mro__):
        if not (isinstance(base, type) and issubclass(base, Settings)) or base is Settings:
            continue
        names = [n for n in base.__dict__.get("__annotations__", {}) if n in cls.model_fields and n not in seen]
        if names:
            title = (base.__doc__ or base.__name__).strip().splitlines()[0].rstrip(".")
            groups.append((title, names))
            seen.update(names)
    return groups
