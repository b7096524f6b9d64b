"""Read an encounter from its JSON form (contract.md), naming every invalid field.

Nothing is half-checked: either every field is valid and an :class:`Encounter` comes
back, or :class:`ClaimInputError` lists each bad field by its path (``lines[1].units``)
with a stable ``kind`` (what an audit may keep: messages may quote the input). Unknown
keys are refused too, so a misspelt field never silently means "absent". Field names
and limits come from :mod:`fluorocode.domain.encounter_schema`, the one definition of
the encounter's shape.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from fluorocode.domain.claim import (
    ClaimLine,
    DistinctIndication,
    Dose,
    Encounter,
    FluoroDocumentation,
)
from fluorocode.domain.codes import (
    BASIS_MODIFIER,
    CODE_RE,
    ClaimType,
    Program,
    is_code,
    is_modifier_shape,
    setting_of,
)
from fluorocode.domain.encounter_schema import (
    ENCOUNTER_FIELDS,
    FLUORO_FIELDS,
    LINE_FIELDS,
    MAX_ID_LENGTH,
    MAX_LINES,
    MAX_MODIFIERS,
    MAX_NOTE_LENGTH,
    MAX_UNITS,
    PAYER_PATTERN,
)
from fluorocode.domain.quantities import to_gy_cm2, to_mgy
from fluorocode.errors import ClaimInputError, FieldError, QuantityError

_TOP = set(ENCOUNTER_FIELDS)
_LINE = set(LINE_FIELDS)
_FLUORO = set(FLUORO_FIELDS)
_NO_MODIFIERS: list[str] = []  # never mutated: the default of an absent list
_PAYER = re.compile(PAYER_PATTERN.strip("^$"))


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str, kind: str = "invalid") -> None:
        self.items.append(FieldError(field, message, kind))

    def unknown(self, obj: dict[str, Any], allowed: set[str], where: str) -> None:
        if obj.keys() <= allowed:
            return  # the common case: no sort, no set built
        for key in sorted(set(obj) - allowed, key=str):
            self.add(f"{where}{key}", "unknown field", "unknown_field")


def _is_number(value: Any) -> bool:
    """A finite JSON number (Python's json reads NaN and Infinity; they are not values)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def parse_encounter(
    obj: Any,
    max_lines: int | None = None,
    payers: Mapping[str, Program] | None = None,
    default_payer: str | None = None,
) -> Encounter:
    """Validate one encounter object and build the domain value.

    Args:
        obj: the decoded JSON of one encounter.
        max_lines: lines allowed per encounter; None for the claim type's default
            (``encounter_schema.MAX_LINES``: 50 professional, 999 institutional).
        payers: the known payer profiles and the program each is based on; None
            accepts any well-formed ``payer``. A known payer without ``program`` sets
            the program; an explicit ``program`` that differs is an error.
        default_payer: the payer of an encounter that names none (``--payer``).

    Raises:
        ClaimInputError: with every invalid field named.
    """
    err = _Errors()
    if not isinstance(obj, dict):
        raise ClaimInputError(
            [FieldError("$", "an encounter must be a JSON object", "not_an_object")]
        )
    err.unknown(obj, _TOP, "")
    enc_id = obj.get("id")
    if not isinstance(enc_id, str) or not enc_id:
        err.add("id", "required: a non-empty string", "required")
    elif len(enc_id) > MAX_ID_LENGTH:
        err.add("id", f"longer than {MAX_ID_LENGTH} characters", "too_long")
    dos = _date(obj.get("date_of_service"), err)
    pos = obj.get("place_of_service")
    if not isinstance(pos, str) or len(pos) != 2 or not pos.isdigit():
        err.add(
            "place_of_service",
            "required: a two-digit CMS place-of-service code",
            "invalid_place_of_service",
        )
    elif setting_of(pos) is None:
        err.add(
            "place_of_service",
            f"unknown place of service {pos!r}",
            "unknown_place_of_service",
        )
    claim_type = _enum(
        obj.get("claim_type", "professional"), ClaimType, "claim_type", err
    )
    program = _enum(obj.get("program", "medicare"), Program, "program", err)
    payer = obj.get("payer", default_payer)
    if payer is not None:
        program = _payer(payer, "payer" not in obj, program, obj, payers, err)
    global_billing = _billing(obj.get("billing", {}), err)
    cap = max_lines or MAX_LINES.get(claim_type, MAX_LINES[ClaimType.PROFESSIONAL])
    lines = _lines(obj.get("lines"), cap, err)
    documentation = _documentation(obj.get("documentation", {}), err)
    note = obj.get("note")
    if note is not None and not isinstance(note, str):
        err.add("note", "must be a string", "wrong_type")
    elif note is not None and len(note) > MAX_NOTE_LENGTH:
        err.add("note", f"longer than {MAX_NOTE_LENGTH:,} characters", "too_long")
    if err.items:
        raise ClaimInputError(err.items)
    assert dos is not None and claim_type is not None and program is not None
    return Encounter(
        id=str(enc_id),
        date_of_service=dos,
        place_of_service=str(pos),
        lines=lines,
        claim_type=claim_type,
        program=program,
        payer=payer,
        global_billing=global_billing,
        documentation=documentation,
        note=note,
    )


def _payer(
    payer: Any,
    defaulted: bool,
    program: Program | None,
    obj: dict[str, Any],
    payers: Mapping[str, Program] | None,
    err: _Errors,
) -> Program | None:
    """Check the payer id; the encounter's program under it."""
    said = " (the default payer)" if defaulted else ""
    if not isinstance(payer, str) or _PAYER.fullmatch(payer) is None:
        err.add(
            "payer",
            f"{_quote(payer)}{said} is not a payer profile id (a-z, 0-9, - and _)",
            "invalid_payer",
        )
        return program
    if payers is None:
        return program
    base = payers.get(payer)
    if base is None:
        err.add(
            "payer",
            f"unknown payer profile {payer!r}{said}; known: "
            + ", ".join(sorted(payers))
            + " (fluorocode payers list)",
            "unknown_payer",
        )
        return program
    if "program" in obj and program is not None and program is not base:
        err.add(
            "payer",
            f"payer {payer!r}{said} is a {base.value} profile, but the encounter's "
            f"program is {program.value}: give one or make them agree",
            "payer_program_conflict",
        )
        return program
    return base


def _date(value: Any, err: _Errors) -> date | None:
    if not isinstance(value, str):
        err.add("date_of_service", "required: an ISO date (YYYY-MM-DD)", "required")
        return None
    try:
        if len(value) != 10 or not value.isascii():
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        err.add(
            "date_of_service",
            f"{value[:40]!r} is not a real date (YYYY-MM-DD)",
            "invalid_date",
        )
        return None


#: Each enum's members by value: a dictionary lookup answers the common, valid value
#: in a fraction of an ``Enum(value)`` call (issue 11).
_MEMBERS: dict[type, dict[str, Any]] = {
    kind: {m.value: m for m in kind} for kind in (ClaimType, Program)
}


def _enum(
    value: Any, kind: type[ClaimType] | type[Program], field: str, err: _Errors
) -> Any:
    if value.__class__ is str:
        found = _MEMBERS[kind].get(value)
        if found is not None:
            return found
    try:
        return kind(value)
    except (ValueError, TypeError):
        allowed = ", ".join(m.value for m in kind)
        err.add(field, f"{_quote(value)} is not one of: {allowed}", "not_allowed")
        return None


def _billing(value: Any, err: _Errors) -> bool:
    if not isinstance(value, dict):
        err.add("billing", "must be an object", "wrong_type")
        return False
    err.unknown(value, {"global_billing"}, "billing.")
    flag = value.get("global_billing", False)
    if not isinstance(flag, bool):
        err.add("billing.global_billing", "must be true or false", "wrong_type")
        return False
    return flag


def _lines(value: Any, cap: int, err: _Errors) -> tuple[ClaimLine, ...]:
    if not isinstance(value, list) or not value:
        err.add("lines", "required: one or more claim lines", "required")
        return ()
    if len(value) > cap:
        # refused before any line is read: the work of a check grows with its lines
        err.add(
            "lines",
            f"{len(value):,} lines; an encounter may have at most {cap} (837P: 50 "
            "service lines, 837I: 999; see the line-cap setting)",
            "too_many_lines",
        )
        return ()
    out = []
    for i, line in enumerate(value):
        # the common, valid line pays for no f-string and no sort (a check's hot path)
        if not isinstance(line, dict):
            err.add(f"lines[{i}]", "must be an object", "wrong_type")
            continue
        if not line.keys() <= _LINE:
            err.unknown(line, _LINE, f"lines[{i}].")
        code = line.get("code")
        if code.__class__ is not str or code not in _SHAPED_CODES:
            if not isinstance(code, str) or not _code_shaped(code):
                err.add(f"lines[{i}].code", _code_message(code), "invalid_code")
            code = str(code)
        modifiers = line.get("modifiers", _NO_MODIFIERS)
        if not modifiers and modifiers.__class__ is list:
            modifiers = ()  # the common line: no modifiers, nothing to look at
        elif not isinstance(modifiers, list) or len(modifiers) > MAX_MODIFIERS:
            err.add(
                f"lines[{i}].modifiers",
                f"must be a list of at most {MAX_MODIFIERS} modifiers",
                "invalid_modifiers",
            )
            modifiers = ()
        for j, m in enumerate(modifiers):
            if not isinstance(m, str) or not is_modifier_shape(m):
                err.add(
                    f"lines[{i}].modifiers[{j}]",
                    _modifier_message(m),
                    "invalid_modifier",
                )
        units = line.get("units", 1)
        if units.__class__ is not int:
            if isinstance(units, float) and units.is_integer():
                units = int(units)  # JSON has one number type: 2.0 is the integer 2
            elif isinstance(units, bool) or not isinstance(units, int):
                units = _bad_units(units, i, err)
        if not 1 <= units <= MAX_UNITS:
            units = _bad_units(units, i, err)
        out.append(ClaimLine(code, tuple(modifiers) if modifiers else (), units))
    return tuple(out)


#: Codes already seen to have a code's shape: a set lookup instead of a pattern match
#: for every line of every check (codes repeat: a few thousand cover most claims).
_SHAPED_CODES: set[str] = set()
_SHAPED_KEPT = 1 << 16


def _code_shaped(code: str) -> bool:
    """``is_code``, remembering a code that passes."""
    if CODE_RE.fullmatch(code) is None:  # is_code, without the extra call
        return False
    if len(_SHAPED_CODES) >= _SHAPED_KEPT:
        _SHAPED_CODES.clear()
    _SHAPED_CODES.add(code)
    return True


def _bad_units(units: Any, i: int, err: _Errors) -> int:
    err.add(
        f"lines[{i}].units",
        f"{_quote(units)} is not a whole number from 1 to {MAX_UNITS:,}",
        "invalid_units",
    )
    return 1


def _quote(value: Any) -> str:
    """A short, safe rendering of a submitted value for a message."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return "a number of more than 15 digits"  # repr() of 10**5000 itself raises
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _code_message(code: Any) -> str:
    if isinstance(code, str) and is_code(code.strip().upper()):
        return (
            f"{_quote(code)} is not a HCPCS/CPT code as written: five upper-case "
            f"characters with no spaces or line breaks ({code.strip().upper()!r})"
        )
    return f"{_quote(code)} is not a HCPCS/CPT code (5 of 0-9, A-Z)"


def _modifier_message(modifier: Any) -> str:
    if isinstance(modifier, str) and is_modifier_shape(modifier.strip().upper()):
        return (
            f"{_quote(modifier)} is not a modifier as written: two upper-case "
            f"characters with no spaces or line breaks ({modifier.strip().upper()!r})"
        )
    return f"{_quote(modifier)} is not a two-character modifier (0-9, A-Z)"


#: An encounter without documentation (frozen: one value serves them all).
_UNDOCUMENTED = FluoroDocumentation()


def _documentation(value: Any, err: _Errors) -> FluoroDocumentation:
    if not value and isinstance(value, dict):
        return _UNDOCUMENTED
    if not isinstance(value, dict):
        err.add("documentation", "must be an object", "wrong_type")
        return FluoroDocumentation()
    err.unknown(value, {"fluoroscopy"}, "documentation.")
    fluoro = value.get("fluoroscopy", {})
    where = "documentation.fluoroscopy"
    if not isinstance(fluoro, dict):
        err.add(where, "must be an object", "wrong_type")
        return FluoroDocumentation()
    err.unknown(fluoro, _FLUORO, f"{where}.")
    indication = fluoro.get("indication")
    if indication is not None and (
        not isinstance(indication, str) or not indication.strip()
    ):
        err.add(f"{where}.indication", "must be a non-empty string", "wrong_type")
        indication = None
    minutes = fluoro.get("minutes")
    if minutes is not None and not _is_number(minutes):
        err.add(f"{where}.minutes", "must be a finite number of minutes", "wrong_type")
        minutes = None
    return FluoroDocumentation(
        indication=indication,
        minutes=float(minutes) if minutes is not None else None,
        air_kerma=_dose(fluoro.get("air_kerma"), f"{where}.air_kerma", to_mgy, err),
        dose_area_product=_dose(
            fluoro.get("dose_area_product"),
            f"{where}.dose_area_product",
            to_gy_cm2,
            err,
        ),
        images_saved=_flag(fluoro.get("images_saved"), f"{where}.images_saved", err),
        separate_report=_flag(
            fluoro.get("separate_report"), f"{where}.separate_report", err
        ),
        distinct_indication=_distinct(
            fluoro.get("distinct_indication"), f"{where}.distinct_indication", err
        ),
    )


def _dose(value: Any, where: str, convert: Any, err: _Errors) -> Dose | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"value", "unit"}:
        err.add(where, 'must be {"value": number, "unit": text}', "wrong_type")
        return None
    number: Any = value.get("value")
    unit = value.get("unit")
    if not _is_number(number):
        err.add(f"{where}.value", "must be a finite number", "wrong_type")
        return None
    if not isinstance(unit, str):
        err.add(f"{where}.unit", "required: the unit as text", "required")
        return None
    try:
        normalised = float(convert(float(number), unit))
    except QuantityError as exc:
        err.add(f"{where}.unit", str(exc), "unknown_unit")
        return None
    if not math.isfinite(normalised):
        # 1e308 Gy is a finite number whose mGy is not: no report may carry Infinity
        err.add(f"{where}.value", "out of range once converted", "out_of_range")
        return None
    return Dose(float(number), unit, normalised)


def _flag(value: Any, where: str, err: _Errors) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    err.add(where, "must be true or false", "wrong_type")
    return None


_NOT_ASKED = DistinctIndication()


def _distinct(value: Any, where: str, err: _Errors) -> DistinctIndication:
    if value is None:
        return _NOT_ASKED
    if not isinstance(value, dict):
        err.add(where, "must be an object", "wrong_type")
        return DistinctIndication()
    err.unknown(value, {"confirmed", "basis"}, f"{where}.")
    confirmed, basis = value.get("confirmed"), value.get("basis")
    if confirmed is not None and not isinstance(confirmed, bool):
        err.add(f"{where}.confirmed", "must be true, false or absent", "wrong_type")
        return DistinctIndication()
    if confirmed is True and basis not in BASIS_MODIFIER:
        err.add(
            f"{where}.basis",
            "required with confirmed: one of " + ", ".join(BASIS_MODIFIER),
            "required",
        )
        return DistinctIndication()
    if basis is not None and basis not in BASIS_MODIFIER:
        err.add(
            f"{where}.basis",
            f"{_quote(basis)} is not one of " + ", ".join(BASIS_MODIFIER),
            "not_allowed",
        )
    return DistinctIndication(confirmed, basis if confirmed else None)
