"""One extraction pattern: what it finds, its expression as written, and why.

The record behind each entry of a pattern-set document (see
:mod:`fluorocode.extraction.ruleset` for the document and how it is compiled).
:meth:`Pattern.from_dict` rejects unknown keys (listing them) and wrong types;
:meth:`Pattern.to_dict` gives the entry back, optional keys only when set.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from fluorocode.errors import ConfigError

__all__ = ["MODIFIER_CATEGORIES", "REQUIRED_GROUPS", "Category", "Direction", "Pattern"]


class Category(Enum):
    """What a pattern finds. Modifier categories take ``direction`` and ``scope``."""

    MENTION = "mention"  # fluoroscopy named: fluoroscopy, C-arm, image intensifier
    NOT_MENTION = "not_mention"  # look-alikes that are not fluoroscopy (drugs, tracers)
    NEGATION = "negation"  # "without", "was not needed", "draped but not used"
    HYPOTHETICAL = "hypothetical"  # planned, future, risks discussed
    HISTORICAL = "historical"  # an earlier procedure's fluoroscopy
    PSEUDO = "pseudo"  # look like modifiers but are not ("planned and performed")
    TERMINATOR = "terminator"  # end a modifier's scope ("but", "however")
    COORDINATION = "coordination"  # "fluoroscopy or C-arm": the second shares status
    TIME = "time"  # a fluoroscopy time with its value
    DOSE = "dose"  # a value with a gray-based unit
    KERMA_CUE = "kerma_cue"  # labels that make a Gy value an air kerma
    KERMA_CUE_WEAK = "kerma_cue_weak"  # labels that do so for mGy values only
    KERMA_EXCLUDE = "kerma_exclude"  # skin dose, radiotherapy, CT dose: not air kerma
    TOTAL_CUE = "total_cue"  # "total", "cumulative": preferred among several values
    INDICATION_HEADER = "indication_header"  # section headers giving the reason
    DIAGNOSIS_HEADER = "diagnosis_header"  # pre-procedure diagnosis headers
    INDICATION_NEED = "indication_need"  # a diagnosis phrased as a need
    INDICATION_NARRATIVE = "indication_narrative"  # "referred for", "brought ... for"
    INDICATION_INTRO = "indication_intro"  # a sentence that only introduces the patient
    SECTION_HEADER = "section_header"  # any header: ends a section
    IMAGES_SAVED = "images_saved"
    IMAGES_NOT_SAVED = "images_not_saved"
    SEPARATE_REPORT = "separate_report"
    NO_SEPARATE_REPORT = "no_separate_report"
    REPORT_SELF = "report_self"  # the note is itself a radiology interpretation report
    STANDALONE_STUDY = "standalone_study"  # a diagnostic fluoroscopic study
    GUIDANCE = "guidance"  # fluoroscopy guiding or confirming a procedure


MODIFIER_CATEGORIES = frozenset(
    {Category.NEGATION, Category.HYPOTHETICAL, Category.HISTORICAL}
)

# Named groups a value pattern must define so the reader can turn a match into a number.
REQUIRED_GROUPS: dict[Category, tuple[frozenset[str], ...]] = {
    Category.TIME: (frozenset({"clock", "minutes", "seconds", "bare", "hours"}),),
    Category.DOSE: (frozenset({"value"}), frozenset({"gray"})),
}


class Direction(Enum):
    """Which way a modifier reaches for its target."""

    FORWARD = "forward"  # the modifier comes first: "without fluoroscopy"
    BACKWARD = "backward"  # the modifier follows: "fluoroscopy was not needed"


_PATTERN_KEYS = frozenset(
    {
        "id",
        "category",
        "regex",
        "comment",
        "direction",
        "scope",
        "anchors",
        "starts",
        "case_sensitive",
    }
)


@dataclass(frozen=True, slots=True)
class Pattern:
    """One pattern: an id, what it finds, its regex as written, and why.

    Attributes:
        id: stable identifier, recorded on every match the pattern makes.
        category: what the pattern finds.
        regex: the expression as written in the data (``{NAME}`` not yet expanded).
        comment: why the pattern exists; free text.
        direction: modifiers only, which side of the modifier the target is on.
        scope: modifiers only, most characters allowed between modifier and target.
        anchors: literals of which every match contains one (a search hint).
        starts: literals with which every match begins (a search hint).
        case_sensitive: compile without ``re.IGNORECASE``.
    """

    id: str
    category: Category
    regex: str
    comment: str = ""
    direction: Direction | None = None
    scope: int | None = None
    anchors: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()
    case_sensitive: bool = False

    @classmethod
    def from_dict(cls, data: Any) -> Pattern:
        """Build a pattern from its JSON object, rejecting unknown keys.

        Raises:
            ConfigError: unknown or missing keys, wrong types, unknown category.
        """
        if not isinstance(data, dict):
            raise ConfigError(f"a pattern must be an object, got {type(data).__name__}")
        where = f"pattern {data.get('id', '?')!r}"
        unknown = sorted(set(data) - _PATTERN_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown keys {unknown}")
        missing = sorted({"id", "category", "regex"} - set(data))
        if missing:
            raise ConfigError(f"{where}: missing keys {missing}")
        for key in ("id", "category", "regex", "comment"):
            if key in data and not isinstance(data[key], str):
                raise ConfigError(f"{where}: {key!r} must be a string")
        try:
            category = Category(data["category"])
        except ValueError:
            known = sorted(c.value for c in Category)
            raise ConfigError(
                f"{where}: unknown category {data['category']!r}; known: {known}"
            ) from None
        direction = _direction(where, data.get("direction"))
        scope = data.get("scope")
        if scope is not None and (
            not isinstance(scope, int) or isinstance(scope, bool) or scope < 0
        ):
            raise ConfigError(f"{where}: 'scope' must be a non-negative integer")
        is_modifier = category in MODIFIER_CATEGORIES
        if is_modifier and (direction is None or scope is None):
            raise ConfigError(f"{where}: a {category.value} needs direction and scope")
        if not is_modifier and (direction is not None or scope is not None):
            raise ConfigError(f"{where}: direction/scope only apply to modifiers")
        case_sensitive = data.get("case_sensitive", False)
        if not isinstance(case_sensitive, bool):
            raise ConfigError(f"{where}: 'case_sensitive' must be true or false")
        anchors = _literals(where, data, "anchors")
        starts = _literals(where, data, "starts")
        if anchors and starts:
            raise ConfigError(f"{where}: give 'anchors' or 'starts', not both")
        return cls(
            id=data["id"],
            category=category,
            regex=data["regex"],
            comment=data.get("comment", ""),
            direction=direction,
            scope=scope,
            anchors=anchors,
            starts=starts,
            case_sensitive=case_sensitive,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object for this pattern; optional keys only when set."""
        out: dict[str, Any] = {
            "id": self.id,
            "category": self.category.value,
            "regex": self.regex,
        }
        if self.comment:
            out["comment"] = self.comment
        if self.direction is not None:
            out["direction"] = self.direction.value
        if self.scope is not None:
            out["scope"] = self.scope
        if self.anchors:
            out["anchors"] = list(self.anchors)
        if self.starts:
            out["starts"] = list(self.starts)
        if self.case_sensitive:
            out["case_sensitive"] = True
        return out


def _literals(where: str, data: dict[str, Any], key: str) -> tuple[str, ...]:
    if key not in data:
        return ()
    value = data[key]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(a, str) and a for a in value)
    ):
        raise ConfigError(f"{where}: {key!r} must be a non-empty list of strings")
    return tuple(value)


def _direction(where: str, value: Any) -> Direction | None:
    if value is None:
        return None
    try:
        return Direction(value)
    except ValueError:
        raise ConfigError(
            f"{where}: direction must be 'forward' or 'backward', got {value!r}"
        ) from None
