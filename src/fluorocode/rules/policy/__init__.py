"""Reviewed policy data (``fluoroscopy.toml``), loaded once and validated on load.

Code ranges compare as text within one code shape (five digits, or four digits and a
letter), which is how CPT orders its sections.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib import resources
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


@dataclass(frozen=True, slots=True, eq=False)
class FluoroPolicy:
    deleted: dict[str, DeletedCode]
    integral: tuple[Family, ...]
    imaging_included: Family
    guidance: dict[str, str]
    pctc_builtin: frozenset[str]
    pctc_source: str

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


def _codeset(entry: dict[str, Any]) -> CodeSet:
    ranges = tuple((lo, hi) for lo, hi in entry.get("ranges", []))
    for lo, hi in ranges:
        if _shape(lo) != _shape(hi) or lo > hi:
            raise ValueError(f"bad code range {lo}-{hi} in policy data")
    return CodeSet(frozenset(entry.get("codes", [])), ranges)


@cache
def fluoro_policy() -> FluoroPolicy:
    """The packaged fluoroscopy policy data."""
    raw = resources.files(__name__).joinpath("fluoroscopy.toml").read_text("utf-8")
    doc = tomllib.loads(raw)
    if doc.get("version") != 1:
        raise ValueError("fluoroscopy.toml: unsupported version")
    deleted = {
        d["code"]: DeletedCode(
            d["code"],
            date.fromisoformat(d["from"]),
            d["replacement"],
            d["note"],
            d["source"],
        )
        for d in doc["deleted"]
    }
    integral = tuple(
        Family(f["family"], _codeset(f), f["source"]) for f in doc["integral"]
    )
    imaging = doc["imaging_included"]
    return FluoroPolicy(
        deleted=deleted,
        integral=integral,
        imaging_included=Family(
            "imaging included", _codeset(imaging), imaging["source"]
        ),
        guidance=dict(doc["guidance"]),
        pctc_builtin=frozenset(doc["pctc_builtin"]["codes"]),
        pctc_source=doc["pctc_builtin"]["source"],
    )
