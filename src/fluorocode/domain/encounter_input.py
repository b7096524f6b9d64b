"""Read an encounter from its JSON form (contract.md), naming every invalid field.

Nothing is half-checked: either every field is valid and an :class:`Encounter` comes
back, or :class:`ClaimInputError` lists each bad field by its path (``lines[1].units``).
Unknown keys are refused too, so a misspelt field never silently means "absent".
"""

from __future__ import annotations

import math
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
    MODIFIER_RE,
    ClaimType,
    Program,
    is_code,
    setting_of,
)
from fluorocode.domain.quantities import to_gy_cm2, to_mgy
from fluorocode.errors import ClaimInputError, FieldError, QuantityError

_TOP = {
    "id",
    "date_of_service",
    "place_of_service",
    "claim_type",
    "program",
    "billing",
    "lines",
    "documentation",
    "note",
}
_LINE = {"code", "modifiers", "units"}
_FLUORO = {
    "indication",
    "minutes",
    "air_kerma",
    "dose_area_product",
    "images_saved",
    "separate_report",
    "distinct_indication",
}


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldError(field, message))

    def unknown(self, obj: dict[str, Any], allowed: set[str], where: str) -> None:
        for key in sorted(set(obj) - allowed):
            self.add(f"{where}{key}", "unknown field")


def _is_number(value: Any) -> bool:
    """A finite JSON number (Python's json reads NaN and Infinity; they are not values)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def parse_encounter(obj: Any) -> Encounter:
    """Validate one encounter object and build the domain value.

    Raises:
        ClaimInputError: with every invalid field named.
    """
    err = _Errors()
    if not isinstance(obj, dict):
        raise ClaimInputError([FieldError("$", "an encounter must be a JSON object")])
    err.unknown(obj, _TOP, "")
    enc_id = obj.get("id")
    if not isinstance(enc_id, str) or not enc_id:
        err.add("id", "required: a non-empty string")
    dos = _date(obj.get("date_of_service"), err)
    pos = obj.get("place_of_service")
    if not isinstance(pos, str) or len(pos) != 2 or not pos.isdigit():
        err.add("place_of_service", "required: a two-digit CMS place-of-service code")
    elif setting_of(pos) is None:
        err.add("place_of_service", f"unknown place of service {pos!r}")
    claim_type = _enum(
        obj.get("claim_type", "professional"), ClaimType, "claim_type", err
    )
    program = _enum(obj.get("program", "medicare"), Program, "program", err)
    global_billing = _billing(obj.get("billing", {}), err)
    lines = _lines(obj.get("lines"), err)
    documentation = _documentation(obj.get("documentation", {}), err)
    note = obj.get("note")
    if note is not None and not isinstance(note, str):
        err.add("note", "must be a string")
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
        global_billing=global_billing,
        documentation=documentation,
        note=note,
    )


def _date(value: Any, err: _Errors) -> date | None:
    if not isinstance(value, str):
        err.add("date_of_service", "required: an ISO date (YYYY-MM-DD)")
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        err.add("date_of_service", f"{value!r} is not a real date (YYYY-MM-DD)")
        return None


def _enum(
    value: Any, kind: type[ClaimType] | type[Program], field: str, err: _Errors
) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        err.add(field, f"{value!r} is not one of: {allowed}")
        return None


def _billing(value: Any, err: _Errors) -> bool:
    if not isinstance(value, dict):
        err.add("billing", "must be an object")
        return False
    err.unknown(value, {"global_billing"}, "billing.")
    flag = value.get("global_billing", False)
    if not isinstance(flag, bool):
        err.add("billing.global_billing", "must be true or false")
        return False
    return flag


def _lines(value: Any, err: _Errors) -> tuple[ClaimLine, ...]:
    if not isinstance(value, list) or not value:
        err.add("lines", "required: one or more claim lines")
        return ()
    out = []
    for i, line in enumerate(value):
        where = f"lines[{i}]"
        if not isinstance(line, dict):
            err.add(where, "must be an object")
            continue
        err.unknown(line, _LINE, f"{where}.")
        code = line.get("code")
        if not isinstance(code, str) or not is_code(code):
            err.add(
                f"{where}.code", f"{code!r} is not a HCPCS/CPT code (5 of 0-9, A-Z)"
            )
        modifiers = line.get("modifiers", [])
        if not isinstance(modifiers, list) or len(modifiers) > 4:
            err.add(f"{where}.modifiers", "must be a list of at most 4 modifiers")
            modifiers = []
        for j, m in enumerate(modifiers):
            if not isinstance(m, str) or not MODIFIER_RE.match(m):
                err.add(
                    f"{where}.modifiers[{j}]", f"{m!r} is not a two-character modifier"
                )
        units = line.get("units", 1)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            err.add(f"{where}.units", f"{units!r} is not a whole number of at least 1")
            units = 1
        out.append(ClaimLine(str(code), tuple(str(m) for m in modifiers), units))
    return tuple(out)


def _documentation(value: Any, err: _Errors) -> FluoroDocumentation:
    if not isinstance(value, dict):
        err.add("documentation", "must be an object")
        return FluoroDocumentation()
    err.unknown(value, {"fluoroscopy"}, "documentation.")
    fluoro = value.get("fluoroscopy", {})
    where = "documentation.fluoroscopy"
    if not isinstance(fluoro, dict):
        err.add(where, "must be an object")
        return FluoroDocumentation()
    err.unknown(fluoro, _FLUORO, f"{where}.")
    indication = fluoro.get("indication")
    if indication is not None and (
        not isinstance(indication, str) or not indication.strip()
    ):
        err.add(f"{where}.indication", "must be a non-empty string")
        indication = None
    minutes = fluoro.get("minutes")
    if minutes is not None and not _is_number(minutes):
        err.add(f"{where}.minutes", "must be a number of minutes")
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
        err.add(where, 'must be {"value": number, "unit": text}')
        return None
    number: Any = value.get("value")
    unit = value.get("unit")
    if not _is_number(number):
        err.add(f"{where}.value", "must be a number")
        return None
    if not isinstance(unit, str):
        err.add(f"{where}.unit", "required: the unit as text")
        return None
    try:
        normalised = float(convert(float(number), unit))
    except QuantityError as exc:
        err.add(f"{where}.unit", str(exc))
        return None
    return Dose(float(number), unit, normalised)


def _flag(value: Any, where: str, err: _Errors) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    err.add(where, "must be true or false")
    return None


def _distinct(value: Any, where: str, err: _Errors) -> DistinctIndication:
    if value is None:
        return DistinctIndication()
    if not isinstance(value, dict):
        err.add(where, "must be an object")
        return DistinctIndication()
    err.unknown(value, {"confirmed", "basis"}, f"{where}.")
    confirmed, basis = value.get("confirmed"), value.get("basis")
    if confirmed is not None and not isinstance(confirmed, bool):
        err.add(f"{where}.confirmed", "must be true, false or absent")
        return DistinctIndication()
    if confirmed is True and basis not in BASIS_MODIFIER:
        err.add(
            f"{where}.basis",
            "required with confirmed: one of " + ", ".join(BASIS_MODIFIER),
        )
        return DistinctIndication()
    if basis is not None and basis not in BASIS_MODIFIER:
        err.add(
            f"{where}.basis", f"{basis!r} is not one of " + ", ".join(BASIS_MODIFIER)
        )
    return DistinctIndication(confirmed, basis if confirmed else None)
