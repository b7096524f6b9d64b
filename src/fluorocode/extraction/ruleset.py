"""Extraction patterns kept as versioned data: load, validate, compile once.

A pattern set is a JSON document (``patterns/v1.json``) in the spirit of medspaCy's
ConText rule files: every pattern has a stable ``id``, a ``category`` saying what it
finds, a regular expression and a comment saying why it exists. Code never hard-codes a
phrase; it asks the set for the compiled patterns of a category, and every match it
keeps remembers the id of the pattern that made it (the evidence's ``pattern``).

Document shape (every key is checked; unknown keys are rejected and listed)::

    {
      "version": "1",                      required, str
      "description": "...",                optional, str
      "unit_words": {"milli": "m", ...},   optional, spelled-out unit prefixes -> symbols
      "definitions": {"NUM": "...", ...},  optional, reusable regex fragments
      "patterns": [                        required, non-empty list
        {"id": "...", "category": "...", "regex": "...",
         "comment": "...",                 optional
         "direction": "forward",           modifiers only: forward | backward
         "scope": 40,                      modifiers only: max characters to the target
         "anchors": ["fluoro"],            optional: literals, one in every match
         "starts": ["without"],            optional: literals, every match begins with one
         "case_sensitive": true}           optional, default false
      ]
    }

The document holds phrases only. The plausibility limits it once carried (a ``limits``
object) are policy shared with the documentation rule and live in
:mod:`fluorocode.domain.limits`; a document that still has ``limits`` is refused (the
error says where they went). The format's ``version`` did not change: no packaged set
needed more than dropping the key.

``{NAME}`` inside a regex (upper-case letters, digits and underscores) is replaced by
``(?:definition)``; a definition may use the definitions listed before it. Every regex is
compiled with ``re.IGNORECASE | re.MULTILINE`` unless ``case_sensitive`` is set.

``starts`` and ``anchors`` (at most one of them) make the search fast; see
:mod:`fluorocode.extraction._text` for how. They are promises about every match, compared
lower-cased unless the literal has an upper-case letter, and no match crosses a
sentence boundary:

* ``starts``: every match begins with one of these literals; the pattern is tried only
  where they occur.
* ``anchors``: every match contains one of them; the pattern is run over the sentences
  holding them (or, for a pattern that begins with ``^``, tried at the start of the
  lines holding them).

A pattern with neither is run over the whole text, or over the span its reader gives it
(kerma labels around a value, the lines of a section; ``report_self`` patterns are only
tried at the very start of the note). A test checks both promises against an
unrestricted search of the real notes and of the unit-test phrases. Modifier, pseudo,
terminator and guidance patterns are only ever run inside sentences that mention
fluoroscopy: a modifier cannot reach across a sentence boundary anyway.

Order matters in one place only: for categories that pick a single winner (indication
headers) the first pattern in the list has priority.

Validation (all errors are :class:`~fluorocode.errors.ConfigError` naming the pattern):
unknown or missing keys, an unknown category, duplicate ids, an undefined ``{NAME}``,
a regex that does not compile, ``direction``/``scope`` on a non-modifier (or missing on
a modifier), and value patterns without the named groups the reader needs.

Pure: the standard library and :mod:`fluorocode.errors` only. Reading the packaged JSON
goes through :mod:`importlib.resources` (package data, not user files).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from fluorocode.errors import ConfigError
from fluorocode.extraction.pattern import (
    REQUIRED_GROUPS,
    Category,
    Direction,
    Pattern,
)

__all__ = [
    "Category",
    "Direction",
    "Pattern",
    "PatternSet",
    "load_patterns",
]

DEFAULT_VERSION = "v1"

_SET_KEYS = frozenset(
    {"version", "description", "unit_words", "definitions", "patterns"}
)
_MACRO = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Compiled:
    """A pattern with its expanded, compiled expression."""

    pattern: Pattern
    regex: re.Pattern[str]

    @property
    def line_anchored(self) -> bool:
        """The expression begins with ``^``: it is tried at line starts."""
        return self.regex.pattern.startswith("^")

    @property
    def id(self) -> str:
        """The pattern's id."""
        return self.pattern.id


@dataclass(frozen=True)
class PatternSet:
    """A validated, versioned set of patterns, compiled on construction.

    Build it with :meth:`from_dict` (or :func:`load_patterns` for a packaged version);
    :meth:`to_dict` gives back the document it was built from.
    """

    version: str
    patterns: tuple[Pattern, ...]
    definitions: dict[str, str] = field(default_factory=dict)
    unit_words: dict[str, str] = field(default_factory=dict)
    description: str = ""
    _compiled: dict[Category, tuple[Compiled, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        expanded = _expand_definitions(self.definitions)
        seen: set[str] = set()
        by_category: dict[Category, list[Compiled]] = {c: [] for c in Category}
        for pattern in self.patterns:
            if pattern.id in seen:
                raise ConfigError(f"duplicate pattern id {pattern.id!r}")
            seen.add(pattern.id)
            compiled = _compile(pattern, expanded)
            by_category[pattern.category].append(Compiled(pattern, compiled))
        self._compiled.update({c: tuple(v) for c, v in by_category.items()})

    def of(self, category: Category) -> tuple[Compiled, ...]:
        """The compiled patterns of one category, in document order."""
        return self._compiled[category]

    @classmethod
    def from_dict(cls, data: Any) -> PatternSet:
        """Validate and compile a pattern-set document.

        Raises:
            ConfigError: anything wrong with the document, naming the key or pattern.
        """
        if not isinstance(data, dict):
            raise ConfigError("a pattern set must be a JSON object")
        unknown = sorted(set(data) - _SET_KEYS)
        if unknown:
            moved = (
                " (the plausibility limits live in fluorocode.domain.limits)"
                if "limits" in unknown
                else ""
            )
            raise ConfigError(f"pattern set: unknown keys {unknown}{moved}")
        missing = sorted({"version", "patterns"} - set(data))
        if missing:
            raise ConfigError(f"pattern set: missing keys {missing}")
        if not isinstance(data["version"], str) or not data["version"]:
            raise ConfigError("pattern set: 'version' must be a non-empty string")
        patterns = data["patterns"]
        if not isinstance(patterns, list) or not patterns:
            raise ConfigError("pattern set: 'patterns' must be a non-empty list")
        return cls(
            version=data["version"],
            description=_str_or_empty(data.get("description"), "description"),
            unit_words=_str_map(data.get("unit_words", {}), "unit_words", (str,)),
            definitions=_str_map(data.get("definitions", {}), "definitions", (str,)),
            patterns=tuple(Pattern.from_dict(p) for p in patterns),
        )

    def to_dict(self) -> dict[str, Any]:
        """The document this set was built from (round-trips through from_dict)."""
        out: dict[str, Any] = {"version": self.version}
        if self.description:
            out["description"] = self.description
        if self.unit_words:
            out["unit_words"] = dict(self.unit_words)
        if self.definitions:
            out["definitions"] = dict(self.definitions)
        out["patterns"] = [p.to_dict() for p in self.patterns]
        return out


def _str_or_empty(value: Any, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"pattern set: {key!r} must be a string")
    return value


def _str_map(value: Any, key: str, kinds: tuple[type, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"pattern set: {key!r} must be an object")
    bad = sorted(
        k
        for k, v in value.items()
        if not isinstance(v, kinds) or isinstance(v, bool) or not isinstance(k, str)
    )
    if bad:
        raise ConfigError(f"pattern set: {key!r} has values of the wrong type: {bad}")
    return dict(value)


def _expand_definitions(definitions: dict[str, str]) -> dict[str, str]:
    """Expand each definition with the ones listed before it."""
    expanded: dict[str, str] = {}
    for name, body in definitions.items():
        if not _MACRO.fullmatch("{" + name + "}"):
            raise ConfigError(
                f"definition name {name!r} must be upper-case letters, digits, _"
            )
        expanded[name] = _substitute(body, expanded, f"definition {name!r}")
    return expanded


def _substitute(regex: str, expanded: dict[str, str], where: str) -> str:
    undefined = sorted({m for m in _MACRO.findall(regex) if m not in expanded})
    if undefined:
        raise ConfigError(f"{where}: undefined {{NAME}} references {undefined}")
    return _MACRO.sub(lambda m: f"(?:{expanded[m.group(1)]})", regex)


def _compile(pattern: Pattern, expanded: dict[str, str]) -> re.Pattern[str]:
    where = f"pattern {pattern.id!r}"
    source = _substitute(pattern.regex, expanded, where)
    flags = re.MULTILINE | (0 if pattern.case_sensitive else re.IGNORECASE)
    try:
        compiled = re.compile(source, flags)
    except re.error as exc:
        raise ConfigError(f"{where}: invalid regex: {exc}") from exc
    for alternatives in REQUIRED_GROUPS.get(pattern.category, ()):
        if not alternatives & set(compiled.groupindex):
            raise ConfigError(
                f"{where}: a {pattern.category.value} pattern needs a named group "
                f"among {sorted(alternatives)}"
            )
    return compiled


def load_patterns(version: str = DEFAULT_VERSION) -> PatternSet:
    """Load, validate and compile a packaged pattern set (once per process).

    Args:
        version: the file stem under ``extraction/patterns/`` (``"v1"``).

    Raises:
        ConfigError: no such version, or the file is not a valid pattern set.
    """
    return _load(version)


@cache
def _load(version: str) -> PatternSet:
    if not re.fullmatch(r"v\d+", version):
        raise ConfigError(f"pattern version must look like 'v1', got {version!r}")
    resource = resources.files("fluorocode.extraction") / "patterns" / f"{version}.json"
    try:
        raw = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no packaged pattern set {version!r}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"patterns/{version}.json is not valid JSON: {exc}") from exc
    return PatternSet.from_dict(data)
