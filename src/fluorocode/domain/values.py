"""``@value_type``: an immutable value class that is cheap to make.

A ``@dataclass(frozen=True, slots=True)`` sets each field through ``object.__setattr__``
when it is made: a six-field line result costs four times a plain slots class (issue 11:
a check makes dozens of lines, findings, prompts and contexts, a lookup its rows).

A ``@value_type`` class is a slots dataclass with the same ``__init__``, ``__eq__``,
``__hash__`` (from its fields, as a frozen dataclass's), ``__repr__``,
``dataclasses.replace`` and pickling. It is frozen where that is checked, by the type
checker: ``mypy`` refuses any assignment to a field
(``typing.dataclass_transform(frozen_default=True)``). Code that must vary a value
makes a new one (``dataclasses.replace``), as with a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def value_type(cls: type[_T]) -> type[_T]:
    """Make ``cls`` an immutable value class (module docstring)."""
    return dataclass(slots=True, unsafe_hash=True)(cls)
