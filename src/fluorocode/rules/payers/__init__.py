"""Payer profiles: where a payer departs from the NCCI baseline, each with its source.

A profile is a strict TOML document (``docs/payers.md``); unknown keys are refused and
every error names the file and the key. The built-in ``medicare`` and ``medicaid``
profiles (``rules/payers/*.toml``) depart from nothing: they are the NCCI edition
family of their program. A profile's departures, each a typed section with its
``source``:

- ``[ptp_bypass_modifiers]`` ``modifiers``: the modifiers this payer accepts on a
  column-2 line to bypass an indicator-1 edit (NC01, FL02, PY01), a subset of the NCCI
  PTP-associated modifiers. A confirmed distinct indication appends the X modifier of
  its basis when the payer accepts it, else 59; so every X modifier left out needs 59.
- ``[global_billing_in_facility]`` ``allowed``: with ``billing.global_billing`` true,
  the practice may bill the global service in a facility setting too (FL05 then
  appends no 26).
- ``[mue_basis]`` ``basis``: ``line`` judges every MUE per claim line (each line's
  units against the value, lines never summed, over-limit lines cut to the value, as
  MAI 1); ``day`` judges every MUE on the date of service's total, an MAI-1 row then
  as MAI 2 (cut to the value, in claim order); MAI 2 and 3 rows keep their own
  adjudication on ``day`` (NC02).
- ``[[extra_bundles]]``: column-1 codes (``codes``, ``ranges``, or ``families`` named
  as in ``rules/policy/fluoroscopy.toml``'s integral families) that the ``column2``
  codes are always bundled into, with an ``indicator`` 0 or 1 (PY01).

A profile is selected by an encounter's ``payer``, by an 837's NM109 listed in
``x12_payer_ids``, or by a FHIR Claim's insurer identifier listed in
``fhir_payer_ids`` as ``system|value`` (FHIR's token form).

Pure: parsing takes the text and a name for messages; reading files is the caller's
(``adapters.payers``), except the packaged built-ins, read as the policy data is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

from fluorocode.domain.codes import (
    NEVER_BYPASS_MODIFIERS,
    PTP_ASSOCIATED_MODIFIERS,
    X_MODIFIERS,
    ModifierIndicator,
    Program,
    is_code,
)
from fluorocode.errors import PayerProfileError
from fluorocode.rules.policy import CodeSet, fluoro_policy, packaged_text

#: A profile id: also its file name (``<home>/payers/ID.toml``) and the encounter's
#: ``payer`` value (``domain.encounter_schema.PAYER_PATTERN``).
PROFILE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
#: Built-in profiles, one per program: the NCCI baseline.
BUILTIN = {Program.MEDICARE: "medicare", Program.MEDICAID: "medicaid"}
FORMAT = 1


class MueBasis(StrEnum):
    LINE = "line"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Departure:
    """One way the payer departs from NCCI: its id, the rule it changes, its source."""

    id: str
    rule: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "rule": self.rule, "source": self.source}


@dataclass(frozen=True, slots=True)
class ExtraBundle:
    """Column-2 codes the payer always bundles into the column-1 codes."""

    column1: CodeSet
    families: tuple[str, ...]
    column2: frozenset[str]
    indicator: ModifierIndicator
    departure: Departure

    def covers(self, code: str) -> bool:
        """Whether ``code`` is one of this bundle's column-1 codes."""
        return _covers(self, code)


@lru_cache(maxsize=65536)
def _covers(bundle: ExtraBundle, code: str) -> bool:
    if code in bundle.column1:
        return True
    policy = fluoro_policy()
    return any(f.name in bundle.families and code in f.members for f in policy.integral)


@dataclass(frozen=True, slots=True)
class PayerProfile:
    """A payer: its base NCCI program and its departures (None: as NCCI)."""

    id: str
    name: str
    base_program: Program
    file: str
    x12_payer_ids: tuple[str, ...] = ()
    #: ``system|value`` identifiers of a FHIR Claim's ``insurer`` (FHIR token form)
    fhir_payer_ids: tuple[str, ...] = ()
    description: str = ""
    bypass_modifiers: frozenset[str] = PTP_ASSOCIATED_MODIFIERS
    bypass_departure: Departure | None = None
    global_billing_in_facility: Departure | None = None
    mue_basis: MueBasis | None = None
    mue_departure: Departure | None = None
    extra_bundles: tuple[ExtraBundle, ...] = ()
    _departures: tuple[Departure, ...] = field(default=(), repr=False)

    @property
    def departures(self) -> tuple[Departure, ...]:
        """Every departure, in the order the document lists its sections."""
        return self._departures

    @property
    def is_baseline(self) -> bool:
        """A built-in profile: its program's NCCI edition family, nothing else."""
        return self.id == BUILTIN[self.base_program] and not self._departures

    def confirmed_modifier(self, basis_modifier: str) -> str:
        """The modifier a confirmed distinct indication appends under this payer."""
        if basis_modifier in self.bypass_modifiers:
            return basis_modifier
        return "59"  # parsing guarantees 59 whenever an X modifier is left out

    def to_dict(self) -> dict[str, Any]:
        """The profile as ``payers show`` prints it."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "base_program": self.base_program.value,
            "file": self.file,
            "x12_payer_ids": list(self.x12_payer_ids),
            "fhir_payer_ids": list(self.fhir_payer_ids),
            "departures": [d.to_dict() for d in self._departures],
        }
        if self.description:
            out["description"] = self.description
        if self.bypass_departure is not None:
            out["ptp_bypass_modifiers"] = sorted(self.bypass_modifiers)
        if self.global_billing_in_facility is not None:
            out["global_billing_in_facility"] = True
        if self.mue_basis is not None:
            out["mue_basis"] = self.mue_basis.value
        if self.extra_bundles:
            out["extra_bundles"] = [
                {
                    "id": b.departure.id.removeprefix("extra_bundles."),
                    "column1": {
                        "codes": sorted(b.column1.codes),
                        "ranges": [list(r) for r in b.column1.ranges],
                        "families": list(b.families),
                    },
                    "column2": sorted(b.column2),
                    "indicator": int(b.indicator),
                }
                for b in self.extra_bundles
            ]
        return out


def report_block(
    profile: PayerProfile, applied: set[str] | frozenset[str]
) -> dict[str, Any]:
    """The report's ``payer`` object: the profile and the departures that changed a
    decision on this encounter (in the profile's order)."""
    return {
        "id": profile.id,
        "name": profile.name,
        "base_program": profile.base_program.value,
        "departures": [d.to_dict() for d in profile.departures if d.id in applied],
    }


# -- parsing ---------------------------------------------------------------------------

_TOP_REQUIRED = {"format", "id", "name", "base_program"}
_TOP_OPTIONAL = {
    "description",
    "x12_payer_ids",
    "fhir_payer_ids",
    "ptp_bypass_modifiers",
    "global_billing_in_facility",
    "mue_basis",
    "extra_bundles",
}


def _fail(file: str, key: str, reason: str) -> PayerProfileError:
    return PayerProfileError(file, key, reason)


def _keys(
    entry: Any, file: str, where: str, required: set[str], optional: set[str]
) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise _fail(file, where, "must be a table")
    unknown = sorted(set(entry) - required - optional)
    if unknown:
        inner = f"{where}." if where != "(top)" else ""
        raise _fail(file, f"{inner}{unknown[0]}", f"unknown key (unknown: {unknown})")
    missing = sorted(required - set(entry))
    if missing:
        inner = f"{where}." if where != "(top)" else ""
        raise _fail(file, f"{inner}{missing[0]}", f"required key missing ({missing})")
    return entry


def _text(value: Any, file: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(file, key, "must be a non-empty string")
    return value


def _strings(value: Any, file: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(file, key, "must be a list of strings")
    return value


def parse_profile(text: str, file: str) -> PayerProfile:
    """Read one profile document.

    Args:
        text: the TOML text.
        file: the file's name, for messages (and the report's ``payers show``).

    Raises:
        PayerProfileError: not TOML, an unknown or missing key, a bad value, a
            departure without its ``source``; the file and the key are named.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(file, "(document)", f"not valid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise _fail(file, "(document)", "nested too deeply to be a profile") from None
    _keys(doc, file, "(top)", _TOP_REQUIRED, _TOP_OPTIONAL)
    if doc["format"] != FORMAT:
        raise _fail(file, "format", f"unsupported format {doc['format']!r} (1)")
    pid = _text(doc["id"], file, "id")
    if PROFILE_ID.fullmatch(pid) is None:
        raise _fail(
            file, "id", f"{pid!r}: lower-case letters, digits, - and _ (64 at most)"
        )
    try:
        base = Program(doc["base_program"])
    except ValueError:
        allowed = ", ".join(p.value for p in Program)
        raise _fail(file, "base_program", f"must be one of: {allowed}") from None
    payer_ids = _strings(doc.get("x12_payer_ids", []), file, "x12_payer_ids")
    for pid_x12 in payer_ids:
        if not 2 <= len(pid_x12) <= 80 or not pid_x12.isprintable():
            raise _fail(file, "x12_payer_ids", f"{pid_x12!r} is not an NM109 payer id")
    fhir_ids = _strings(doc.get("fhir_payer_ids", []), file, "fhir_payer_ids")
    for token in fhir_ids:
        if fhir_identifier(token) is None:
            raise _fail(
                file,
                "fhir_payer_ids",
                f"{token!r} is not system|value (a FHIR identifier: the system's "
                "URI, |, the value)",
            )
    departures: list[Departure] = []
    fields: dict[str, Any] = {}
    if "ptp_bypass_modifiers" in doc:
        mods, dep = _bypass(doc["ptp_bypass_modifiers"], file)
        fields.update(bypass_modifiers=mods, bypass_departure=dep)
        departures.append(dep)
    if "global_billing_in_facility" in doc:
        facility = _global_billing(doc["global_billing_in_facility"], file)
        if facility is not None:
            fields["global_billing_in_facility"] = facility
            departures.append(facility)
    if "mue_basis" in doc:
        basis, dep = _mue_basis(doc["mue_basis"], file)
        fields.update(mue_basis=basis, mue_departure=dep)
        departures.append(dep)
    bundles = _bundles(doc.get("extra_bundles", []), file)
    departures += [b.departure for b in bundles]
    return PayerProfile(
        id=pid,
        name=_text(doc["name"], file, "name"),
        base_program=base,
        file=file,
        x12_payer_ids=tuple(payer_ids),
        fhir_payer_ids=tuple(fhir_ids),
        description=_text(doc["description"], file, "description")
        if "description" in doc
        else "",
        extra_bundles=bundles,
        _departures=tuple(departures),
        **fields,
    )


def fhir_identifier(token: str) -> tuple[str, str] | None:
    """``system|value`` as (system, value); None unless both are there, printable
    and without blanks (the system an absolute URI: ``scheme:...``)."""
    system, bar, value = token.partition("|")
    if not bar or not system or not value or len(token) > 400:
        return None
    if not all(part.isprintable() and part.strip() == part for part in (system, value)):
        return None
    if any(c.isspace() for c in system) or ":" not in system.lstrip(":"):
        return None
    return system, value


def _bypass(entry: Any, file: str) -> tuple[frozenset[str], Departure]:
    where = "ptp_bypass_modifiers"
    _keys(entry, file, where, {"modifiers", "source"}, set())
    mods = _strings(entry["modifiers"], file, f"{where}.modifiers")
    for m in mods:
        if m in NEVER_BYPASS_MODIFIERS or m not in PTP_ASSOCIATED_MODIFIERS:
            raise _fail(
                file,
                f"{where}.modifiers",
                f"{m!r} is not an NCCI PTP-associated modifier (26, TC, 50, 51, 76 "
                "and 77 never bypass an edit)",
            )
    accepted = frozenset(mods)
    if not accepted:
        raise _fail(file, f"{where}.modifiers", "lists no modifier")
    if not X_MODIFIERS <= accepted and "59" not in accepted:
        raise _fail(
            file,
            f"{where}.modifiers",
            "leaves out an X modifier without 59: a confirmed distinct indication "
            "could not be expressed (list 59, or all of XE, XS, XP, XU)",
        )
    source = _text(entry["source"], file, f"{where}.source")
    return accepted, Departure(where, "NC01", source)


def _global_billing(entry: Any, file: str) -> Departure | None:
    where = "global_billing_in_facility"
    _keys(entry, file, where, {"allowed", "source"}, set())
    if not isinstance(entry["allowed"], bool):
        raise _fail(file, f"{where}.allowed", "must be true or false")
    source = _text(entry["source"], file, f"{where}.source")
    return Departure(where, "FL05", source) if entry["allowed"] else None


def _mue_basis(entry: Any, file: str) -> tuple[MueBasis, Departure]:
    where = "mue_basis"
    _keys(entry, file, where, {"basis", "source"}, set())
    try:
        basis = MueBasis(entry["basis"])
    except ValueError:
        raise _fail(file, f"{where}.basis", "must be 'line' or 'day'") from None
    source = _text(entry["source"], file, f"{where}.source")
    return basis, Departure(where, "NC02", source)


def _bundles(entries: Any, file: str) -> tuple[ExtraBundle, ...]:
    if not isinstance(entries, list):
        raise _fail(file, "extra_bundles", "must be an array of tables")
    families = {f.name for f in fluoro_policy().integral}
    seen: set[str] = set()
    out = []
    for i, entry in enumerate(entries):
        where = f"extra_bundles[{i}]"
        _keys(
            entry,
            file,
            where,
            {"id", "column2", "indicator", "source"},
            {"codes", "ranges", "families"},
        )
        bid = _text(entry["id"], file, f"{where}.id")
        if PROFILE_ID.fullmatch(bid) is None or bid in seen:
            raise _fail(file, f"{where}.id", f"{bid!r}: a new id of a-z, 0-9, - and _")
        seen.add(bid)
        codes = _codes(entry.get("codes", []), file, f"{where}.codes")
        ranges = _ranges(entry.get("ranges", []), file, f"{where}.ranges")
        named = _strings(entry.get("families", []), file, f"{where}.families")
        for name in named:
            if name not in families:
                raise _fail(
                    file,
                    f"{where}.families",
                    f"{name!r} is not an integral family of fluoroscopy.toml "
                    f"(one of: {', '.join(sorted(families))})",
                )
        if not (codes or ranges or named):
            raise _fail(file, where, "lists no column-1 codes, ranges or families")
        column2 = _codes(entry["column2"], file, f"{where}.column2")
        if not column2:
            raise _fail(file, f"{where}.column2", "lists no code")
        indicator = entry["indicator"]
        if indicator not in (0, 1) or isinstance(indicator, bool):
            raise _fail(file, f"{where}.indicator", "must be 0 or 1")
        source = _text(entry["source"], file, f"{where}.source")
        out.append(
            ExtraBundle(
                CodeSet(frozenset(codes), ranges),
                tuple(named),
                frozenset(column2),
                ModifierIndicator(indicator),
                Departure(f"extra_bundles.{bid}", "PY01", source),
            )
        )
    return tuple(out)


def _codes(value: Any, file: str, key: str) -> list[str]:
    codes = _strings(value, file, key)
    for code in codes:
        if not is_code(code):
            raise _fail(file, key, f"{code!r} is not a HCPCS/CPT code (5 of 0-9, A-Z)")
    return codes


def _shape(code: str) -> str:
    return "".join("9" if c.isdigit() else "A" for c in code)


def _ranges(value: Any, file: str, key: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        raise _fail(file, key, "must be a list of [first, last] code pairs")
    out = []
    for r in value:
        if (
            not isinstance(r, list)
            or len(r) != 2
            or not all(isinstance(c, str) and is_code(c) for c in r)
            or _shape(r[0]) != _shape(r[1])
            or r[0] > r[1]
        ):
            raise _fail(file, key, f"{r!r} is not a [first, last] range of one shape")
        out.append((r[0], r[1]))
    return tuple(out)


# -- built-ins -------------------------------------------------------------------------


@cache
def builtin_profiles() -> dict[str, PayerProfile]:
    """The packaged profiles (``medicare``, ``medicaid``), read once per process."""
    out = {}
    for program, pid in BUILTIN.items():
        name = f"{pid}.toml"
        profile = parse_profile(packaged_text(__name__, name), f"(built-in) {name}")
        if profile.id != pid or profile.base_program is not program:
            raise _fail(profile.file, "id", f"the built-in {name} must be {pid!r}")
        out[pid] = profile
    return out


def baseline(program: Program) -> PayerProfile:
    """The built-in profile of ``program``: NCCI as CMS publishes it."""
    return builtin_profiles()[BUILTIN[program]]
