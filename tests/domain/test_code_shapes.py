"""Codes seen once are remembered (issue 11): the memory never lets a bad code through."""

from __future__ import annotations

from typing import Any

import pytest

from fluorocode.domain import encounter_input
from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.errors import ClaimInputError


def encounter(*codes: Any) -> dict[str, Any]:
    return {
        "id": "shapes",
        "date_of_service": "2024-08-15",
        "place_of_service": "11",
        "lines": [{"code": c} for c in codes],
    }


@pytest.mark.parametrize(
    "bad", ["7600", "76000 ", "76000\n", "g0008", 76000, ["76000"]]
)
def test_a_bad_code_is_refused_however_many_good_ones_were_seen(bad: Any) -> None:
    assert parse_encounter(encounter("76000", "G0008")).codes == ("76000", "G0008")
    with pytest.raises(ClaimInputError) as caught:
        parse_encounter(encounter("76000", bad))
    assert [(e.field, e.kind) for e in caught.value.errors] == [
        ("lines[1].code", "invalid_code")
    ]


def test_the_memory_of_codes_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encounter_input, "_SHAPED_KEPT", 3)
    monkeypatch.setattr(encounter_input, "_SHAPED_CODES", set())
    codes = [f"{n:05d}" for n in range(10)]
    assert parse_encounter(encounter(*codes)).codes == tuple(codes)
    assert len(encounter_input._SHAPED_CODES) <= 3
