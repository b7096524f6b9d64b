"""Reading the real 837P/837I samples: claims, lines, codes, dates, and what is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fluorocode.adapters.claims.errors import X12ParseError
from fluorocode.adapters.claims.x12_837 import X12Claim, read_transaction
from fluorocode.adapters.claims.x12_segments import Segment, SegmentReader, envelopes


def read(path: Path, program: str = "medicare") -> list[X12Claim]:
    with path.open("rb") as f:
        reader = SegmentReader(f, path.name)
        claims: list[X12Claim] = []
        for item in envelopes(reader):
            if not isinstance(item, Segment):
                claims += read_transaction(
                    item, path.name, len(claims), reader.delimiters.component, program
                )
    return claims


def encounters(claims: list[X12Claim]) -> list[dict[str, Any]]:
    return [e.encounter for c in claims for e in c.encounters]


def lines(enc: dict[str, Any]) -> list[tuple[str, int]]:
    return [(ln["code"], ln["units"]) for ln in enc["lines"]]


def test_837p_with_bom_indentation_and_two_dates(x12: Path) -> None:
    # TR3 example 1: one claim, 4 lines on 2006-10-03 (2) and 2006-10-10 (2, one RD8)
    claims = read(x12 / "837P_5010/Example1_HealthInsurance.txt")
    assert [c.claim_id for c in claims for c in c.encounters] == ["26463774"] * 2
    first, second = encounters(claims)
    assert (
        first["id"] == "26463774@2006-10-03" and second["id"] == "26463774@2006-10-10"
    )
    assert lines(first) == [("99213", 1), ("87070", 1)]
    assert lines(second) == [("99214", 1), ("86663", 1)]  # DTP*472*RD8 -> its first day
    assert {e["place_of_service"] for e in (first, second)} == {"11"}  # CLM05-1
    assert first["claim_type"] == "professional"
    # SBR09 "CI" (commercial) names no program: the default applies
    assert first["program"] == "medicare"
    assert (
        read(x12 / "837P_5010/Example1_HealthInsurance.txt", "medicaid")[0]
        .encounters[0]
        .encounter["program"]
        == "medicaid"
    )


def test_several_transactions_and_claims_in_one_file(x12: Path) -> None:
    claims = read(x12 / "837P_5010/Example1_2_And_3_Combined.txt")
    assert [c.encounters[0].claim_id for c in claims] == [
        "26463774",
        "26407789",
        "26462967",
    ]
    assert sum(len(c.lines) for c in claims) == 4 + 3 + 4
    assert lines(claims[1].encounters[0].encounter) == [
        ("99213", 1),
        ("90782", 1),
        ("J3301", 1),
    ]
    assert claims[1].encounters[0].encounter["date_of_service"] == "2005-10-03"


def test_line_break_terminator_and_sv105_place_of_service(x12: Path) -> None:
    # segments end at a line break, no "~"; the file ends without a final line break
    (claim,) = read(x12 / "837P_5010/ST1309-XX.txt")
    (enc,) = claim.encounters
    assert enc.encounter["id"] == "B330004Y"
    assert lines(enc.encounter) == [("99204", 1), ("73610", 1)]
    assert enc.encounter["date_of_service"] == "2013-03-12"
    assert enc.places["place_of_service"] == "segment 44 SV1-05"
    assert enc.source["lines"] == [
        {"line": "1", "segment": 44},
        {"line": "2", "segment": 49},
    ]


def test_masked_medicaid_file_rejects_each_claim_naming_segment_and_element(
    x12: Path,
) -> None:
    # every digit masked to 9 and HC to XX: five claims, each with two lines
    claims = read(x12 / "837P_5010/MedicaidExample.txt")
    assert len(claims) == 5 and all(len(c.lines) == 2 for c in claims)
    dates = [e["date_of_service"] for e in encounters(claims)]
    assert dates == [
        "2011-12-12",
        "2011-12-13",
        "2011-12-14",
        "2011-12-12",
        "2011-12-14",
    ]
    first = claims[0].encounters[0]
    assert [(e.field, e.message) for e in first.errors] == [
        ("segment 24 SV1-01-1", "'XX' is not HC: only HCPCS/CPT lines are checked"),
        ("segment 27 SV1-01-1", "'XX' is not HC: only HCPCS/CPT lines are checked"),
    ]
    assert first.places["lines[0].units"] == "segment 24 SV1-04"


def test_837i_two_claims_type_of_bill_13x(x12: Path) -> None:
    claims = read(x12 / "837I_5010/Spec_3.1.2_TwoClaimsForTheSameProvider.txt")
    a, b = encounters(claims)
    assert (a["id"], a["date_of_service"], lines(a)) == (
        "756048Q",
        "2005-03-15",
        [("85025", 1), ("93010", 3)],  # SV202 code, SV205 units
    )
    assert (b["id"], b["date_of_service"], lines(b)) == (
        "756049Q",
        "2005-04-01",
        [("85087", 1)],
    )
    assert a["claim_type"] == "institutional"
    assert a["place_of_service"] == "22"  # 13x: hospital outpatient
    assert all(e.not_subject is None for c in claims for e in c.encounters)


def test_837i_whose_isa16_does_not_match_its_data_is_rejected_with_a_hint(
    x12: Path,
) -> None:
    # Spec_3.1.1 declares "^" in ISA16 yet writes HC:85025
    (claim,) = read(x12 / "837I_5010/Spec_3.1.1.txt")
    error = claim.encounters[0].errors[0]
    assert error.field == "segment 38 SV2-02-1"
    assert "component separator declared in ISA16 is '^'" in error.message


def test_inpatient_bill_is_not_subject(x12: Path, derive: Any) -> None:
    path = derive(
        x12 / "837I_5010/Spec_3.1.2_TwoClaimsForTheSameProvider.txt",
        ("CLM*756048Q*89.95***13:A:1", "CLM*756048Q*89.95***11:A:1"),
    )
    first, second = read(path)
    assert "111 is an inpatient bill" in (first.encounters[0].not_subject or "")
    assert second.encounters[0].not_subject is None


def test_subscriber_sbr09_sets_the_program(x12: Path, derive: Any) -> None:
    path = derive(
        x12 / "837P_5010/ST1309-XX.txt",
        ("SBR*P**NY20392******HM", "SBR*P**NY20392******MC"),
    )
    (claim,) = read(path)
    assert claim.encounters[0].encounter["program"] == "medicaid"
    assert claim.encounters[0].places["program"] == "segment 13 SBR-09"


@pytest.mark.parametrize(
    "sample, message",
    [
        ("837P_5010/UnicodeExample.txt", "UTF-16"),
        (
            "837P_5010/ProfessionalClaim1.txt",
            "SE01 says '42' segments (ST to SE), the file has 61",
        ),
        ("837P_4010/Spec_4.1.1_PatientIsSubscriber.txt", "version 4010"),
    ],
)
def test_real_files_refused_as_a_whole(x12: Path, sample: str, message: str) -> None:
    with pytest.raises(X12ParseError) as info:
        read(x12 / sample)
    assert message in str(info.value)


def test_pyx12_4010_sample_is_refused(shared_data: Path) -> None:
    with pytest.raises(X12ParseError, match="4010"):
        read(shared_data / "x12/pyx12/simple_837p.txt")


def test_truncated_isa(x12: Path, tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    path.write_bytes((x12 / "837P_5010/Example1_HealthInsurance.txt").read_bytes()[:60])
    with pytest.raises(X12ParseError, match="truncated ISA segment") as info:
        read(path)
    assert info.value.segment == 1 and info.value.segment_id == "ISA"


def test_truncated_file_ends_inside_the_transaction(x12: Path, tmp_path: Path) -> None:
    data = (x12 / "837P_5010/Example1_HealthInsurance.txt").read_bytes()
    path = tmp_path / "cut.txt"
    path.write_bytes(data[: data.index(b"SE*42")])
    with pytest.raises(X12ParseError, match="ends before its SE"):
        read(path)


def test_a_segment_not_allowed_rejects_its_claim_alone(x12: Path, derive: Any) -> None:
    path = derive(
        x12 / "837I_5010/Spec_3.1.2_TwoClaimsForTheSameProvider.txt",
        ("CL1***01~", "CL1***01~\n            ZZZ*1~"),
        ("SE*48*987654", "SE*49*987654"),
    )
    first, second = read(path)
    assert [(e.field, e.message) for e in first.encounters[0].errors] == [
        ("segment 22 ZZZ", "segment ZZZ is not allowed in an 837 (5010)")
    ]
    assert second.encounters[0].errors == ()


def test_sv1_in_an_837i_is_not_allowed(x12: Path, derive: Any) -> None:
    path = derive(
        x12 / "837I_5010/Spec_3.1.2_TwoClaimsForTheSameProvider.txt",
        ("SV2*0300*HC:85087*50*UN*1", "SV1*HC:85087*50*UN*1"),
    )
    first, second = read(path)
    assert first.encounters[0].errors == ()
    messages = [e.message for e in second.encounters[0].errors]
    assert "segment SV1 is not allowed in an 837I (005010X223)" in messages


def test_segment_outside_any_claim_is_a_file_error(x12: Path, derive: Any) -> None:
    path = derive(
        x12 / "837P_5010/Example1_HealthInsurance.txt",
        ("BHT*0019", "XYZ*1~\n      BHT*0019"),
        ("SE*42*0021", "SE*43*0021"),
    )
    with pytest.raises(X12ParseError, match="segment XYZ is not allowed"):
        read(path)
