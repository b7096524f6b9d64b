"""Reviewed policy data (``fluoroscopy.toml``), loaded once and validated on load.

Code ranges compare as text within one code shape (five digits, or four digits and a
letter), which is how CPT orders its sections.
"""

from __future__ import annotations

import pkgutil
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any


@dataclass(frozen=True, slots=True)
class CodeSet:
    """Single codes and inclusive ranges of one shape."""

    codes: frozenset[str]
    ranges: tuple[tuple[str, str], ...]

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        return code in self.codes or _in_ranges(code, self.ranges)


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    members: CodeSet
    source: str


@dataclass(frozen=True, slots=True)
class DeletedCode:
    code: str
    invalid_from: date
    replacement: str
    note: str
    source: str


@dataclass(frozen=True, slots=True)
class Guidance:
    """A guidance add-on code: what it is for; whether it, not 76000, codes that guidance
    beside one of its listed AOC primaries."""

    code: str
    purpose: str
    replaces_76000: bool


@dataclass(frozen=True, slots=True, eq=False)
class FluoroPolicy:
    deleted: dict[str, DeletedCode]
    integral: tuple[Family, ...]
    imaging_included: Family
    guidance: dict[str, Guidance]
    pctc_builtin: frozenset[str]
    pctc_source: str

    @property
    def guidance_codes(self) -> frozenset[str]:
        """77001, 77002, 77003: the keys of ``[guidance]``, the one list of them."""
        return frozenset(self.guidance)

    def integral_family(self, code: str) -> Family | None:
        return _integral_family(self, code)


@lru_cache(maxsize=65536)
def _integral_family(policy: FluoroPolicy, code: str) -> Family | None:
    # checks ask this for every line of every encounter; codes repeat, so memoise
    return next((f for f in policy.integral if code in f.members), None)


@lru_cache(maxsize=65536)
def _in_ranges(code: str, ranges: tuple[tuple[str, str], ...]) -> bool:
    shape = _shape(code)
    return any(lo <= code <= hi and _shape(lo) == shape for lo, hi in ranges)


def _shape(code: str) -> str:
    return "".join("9" if c.isdigit() else "A" for c in code)


class PolicyDataError(ValueError):
    """``fluoroscopy.toml`` does not have the shape this module reads (key named)."""


def _keys(entry: Any, where: str, required: set[str], optional: set[str]) -> None:
    """Refuse a missing or an unknown key, naming the entry (as extraction/pattern.py)."""
    if not isinstance(entry, dict):
        raise PolicyDataError(f"fluoroscopy.toml: {where} must be a table")
    missing = sorted(required - set(entry))
    unknown = sorted(set(entry) - required - optional)
    if missing or unknown:
        raise PolicyDataError(
            f"fluoroscopy.toml: {where}: missing keys {missing}, unknown keys {unknown}"
        )


def _codeset(entry: dict[str, Any], where: str) -> CodeSet:
    if "codes" not in entry and "ranges" not in entry:
        raise PolicyDataError(f"fluoroscopy.toml: {where} lists no codes and no ranges")
    codes = entry.get("codes", [])
    ranges = tuple(tuple(r) for r in entry.get("ranges", []))
    for code in codes:
        if not isinstance(code, str) or len(code) != 5:
            raise PolicyDataError(f"fluoroscopy.toml: {where}: bad code {code!r}")
    for r in ranges:
        if len(r) != 2 or _shape(r[0]) != _shape(r[1]) or r[0] > r[1]:
            raise PolicyDataError(f"fluoroscopy.toml: {where}: bad code range {r!r}")
    return CodeSet(frozenset(codes), tuple((lo, hi) for lo, hi in ranges))


_TOP = {
    "version",
    "deleted",
    "integral",
    "imaging_included",
    "guidance",
    "pctc_builtin",
}


def packaged_text(package: str, name: str) -> str:
    """A data file packaged beside ``package``'s modules, as text.

    Read through the package's loader (``pkgutil.get_data``: a directory or a zip), not
    ``importlib.resources``, which would load ``zipfile``, ``tempfile`` and ``shutil``
    into every ``fluorocode check`` (issue 11).
    """
    data = pkgutil.get_data(package, name)
    if data is None:  # pragma: no cover - a loader that cannot read data files
        raise OSError(f"{package}: cannot read the packaged file {name}")
    return data.decode("utf-8")


@cache
def fluoro_policy() -> FluoroPolicy:
    """The packaged fluoroscopy policy data, validated strictly (unknown keys refused)."""
    return parse_policy(tomllib.loads(packaged_text(__name__, "fluoroscopy.toml")))


def parse_policy(doc: dict[str, Any]) -> FluoroPolicy:
    """Build the policy from the TOML document.

    Raises:
        PolicyDataError: a missing or unknown key, a bad code or range, naming where.
    """
    _keys(doc, "the document", _TOP, set())
    if doc["version"] != 1:
        raise PolicyDataError("fluoroscopy.toml: unsupported version")
    deleted = {}
    for i, d in enumerate(doc["deleted"]):
        _keys(
            d, f"deleted[{i}]", {"code", "from", "replacement", "note", "source"}, set()
        )
        deleted[d["code"]] = DeletedCode(
            d["code"],
            date.fromisoformat(d["from"]),
            d["replacement"],
            d["note"],
            d["source"],
        )
    imaging = doc["imaging_included"]
    _keys(imaging, "imaging_included", {"source"}, {"codes", "ranges"})
    included = Family(
        "imaging included", _codeset(imaging, "imaging_included"), imaging["source"]
    )
    integral = []
    for i, f in enumerate(doc["integral"]):
        where = f"integral[{i}]"
        _keys(f, where, {"family", "source"}, {"codes", "ranges", "same_as"})
        if "same_as" in f:
            if f["same_as"] != "imaging_included" or "codes" in f or "ranges" in f:
                raise PolicyDataError(
                    f"fluoroscopy.toml: {where}: same_as names 'imaging_included' "
                    "and stands alone (no codes or ranges beside it)"
                )
            members = included.members
        else:
            members = _codeset(f, where)
        integral.append(Family(f["family"], members, f["source"]))
    guidance = {}
    for code, g in doc["guidance"].items():
        _keys(g, f"guidance.{code}", {"purpose", "replaces_76000"}, set())
        if not isinstance(g["replaces_76000"], bool):
            raise PolicyDataError(f"fluoroscopy.toml: guidance.{code}.replaces_76000")
        guidance[code] = Guidance(code, g["purpose"], g["replaces_76000"])
    pctc = doc["pctc_builtin"]
    _keys(pctc, "pctc_builtin", {"codes", "source"}, {"guidance_codes"})
    pctc_codes = frozenset(pctc["codes"]) | (
        frozenset(guidance) if pctc.get("guidance_codes") else frozenset()
    )
    return FluoroPolicy(
        deleted=deleted,
        integral=tuple(integral),
        imaging_included=included,
        guidance=guidance,
        pctc_builtin=pctc_codes,
        pctc_source=pctc["source"],
    )
